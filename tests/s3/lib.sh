# Shared shell functions for tests/s3/{build,up,down,test}. Sourced, not run.

s3_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# die, log, pid_carries: the process helpers of the local control plane's scripts.
# shellcheck source=../cluster/lib.sh
source "$s3_here/../cluster/lib.sh"

# s3_version: the SeaweedFS version tests/s3/go/go.mod pins.
s3_version() {
  awk '$1 == "require" && $2 == "github.com/seaweedfs/seaweedfs" {print $3; exit}' "$s3_here/go/go.mod"
}

# s3_bin: the `weed` binary tests/s3/build makes, keyed by version.
s3_bin() { echo "$(cluster_cache_root)/seaweedfs-$(s3_version)/bin/weed"; }

# s3_build_stamp: a hash of everything that decides the built binary.
s3_build_stamp() {
  { cat "$s3_here/go/go.mod" "$s3_here/go/go.sum"; "${GO:-go}" version 2>/dev/null || true; } | sha256sum | cut -d' ' -f1
}

# s3_parse_args ARGS...: parse the options `up` and `down` share and set S3_NAME,
# S3_PORT (the S3 port; the server's other ports follow it) and S3_STATE.
#   --name NAME       server name (env FLINT_S3_NAME, default "flint")
#   --port N          S3 port on 127.0.0.1 (env FLINT_S3_PORT, default 18333); the
#                     server also takes the next 9 ports
#   --state-dir DIR   state directory (default $FLINT_CACHE/s3/NAME)
s3_parse_args() {
  S3_NAME="${FLINT_S3_NAME:-flint}"
  S3_PORT="${FLINT_S3_PORT:-18333}"
  S3_STATE=""
  S3_REST=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) S3_NAME="$2"; shift 2 ;;
      --port) S3_PORT="$2"; shift 2 ;;
      --state-dir) S3_STATE="$2"; shift 2 ;;
      *) S3_REST+=("$1"); shift ;;
    esac
  done
  [[ "$S3_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--name must be a DNS label, got '$S3_NAME'"
  [[ "$S3_PORT" =~ ^[0-9]+$ ]] && (( S3_PORT > 1024 && S3_PORT < 55000 )) || die "--port must be a number in 1025..54999"
  S3_STATE="${S3_STATE:-$(cluster_cache_root)/s3/$S3_NAME}"
}

# s3_pid_is_ours PID ID: true when PID is alive and carries FLINT_S3_ID=ID in its
# environment (so a recycled PID is never signalled).
s3_pid_is_ours() { pid_carries "$1" "FLINT_S3_ID=$2"; }
