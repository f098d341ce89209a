# Shared shell functions for tests/cluster/{build,up,down,smoke}. Sourced, not run.

cluster_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# die MESSAGE...: print an error to stderr and exit 1.
die() { echo "error: $*" >&2; exit 1; }

# log MESSAGE...: print a progress line to stderr.
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# module_version GO_MOD MODULE: the version GO_MOD requires for MODULE.
module_version() {
  awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$1"
}

# cluster_cache_root: where built binaries and cluster state live (outside the clone).
cluster_cache_root() { echo "${FLINT_CACHE:-$HOME/.cache/flint}"; }

# cluster_bin_dir: the versioned directory tests/cluster/build fills.
cluster_bin_dir() {
  local k8s
  k8s="$(module_version "$cluster_here/go/kubernetes/go.mod" k8s.io/kubernetes)"
  echo "$(cluster_cache_root)/k8s-${k8s#v}/bin"
}

# cluster_build_stamp: a hash of everything that decides the built binaries.
cluster_build_stamp() {
  {
    cat "$cluster_here"/go/*/go.mod "$cluster_here"/go/*/go.sum
    sed -n '/^kv=/,/^$/p;/ldflags/p' "$cluster_here/build"
    "${GO:-go}" version 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# cluster_parse_args ARGS...: parse the options `up`, `down` and `smoke` share and set
# CLUSTER_NAME, CLUSTER_PORT_BASE, CLUSTER_NET and CLUSTER_STATE. Unknown options are
# left in CLUSTER_REST.
#   --name NAME        cluster name (env FLINT_CLUSTER_NAME, default "flint")
#   --port-base N      first of 6 consecutive ports (env FLINT_PORT_BASE, default 16443)
#   --net N            second octet of the pod loopback network 127.N.0.0/16
#                      (env FLINT_POD_NET, default derived from the port base)
#   --state-dir DIR    state directory (env FLINT_STATE_DIR,
#                      default $FLINT_CACHE/clusters/NAME)
cluster_parse_args() {
  CLUSTER_NAME="${FLINT_CLUSTER_NAME:-flint}"
  CLUSTER_PORT_BASE="${FLINT_PORT_BASE:-16443}"
  CLUSTER_NET="${FLINT_POD_NET:-}"
  CLUSTER_STATE="${FLINT_STATE_DIR:-}"
  CLUSTER_REST=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) CLUSTER_NAME="$2"; shift 2 ;;
      --port-base) CLUSTER_PORT_BASE="$2"; shift 2 ;;
      --net) CLUSTER_NET="$2"; shift 2 ;;
      --state-dir) CLUSTER_STATE="$2"; shift 2 ;;
      *) CLUSTER_REST+=("$1"); shift ;;
    esac
  done
  [[ "$CLUSTER_NAME" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--name must be a DNS label, got '$CLUSTER_NAME'"
  [[ "$CLUSTER_PORT_BASE" =~ ^[0-9]+$ ]] || die "--port-base must be a number"
  if [[ -z "$CLUSTER_NET" ]]; then
    CLUSTER_NET=$(( 10 + (CLUSTER_PORT_BASE / 10) % 240 ))
  fi
  (( CLUSTER_NET >= 1 && CLUSTER_NET <= 254 )) || die "--net must be in 1..254"
  CLUSTER_STATE="${CLUSTER_STATE:-$(cluster_cache_root)/clusters/$CLUSTER_NAME}"
  PORT_APISERVER=$CLUSTER_PORT_BASE
  PORT_ETCD=$((CLUSTER_PORT_BASE + 1))
  PORT_ETCD_PEER=$((CLUSTER_PORT_BASE + 2))
  PORT_CONTROLLER_MANAGER=$((CLUSTER_PORT_BASE + 3))
  PORT_SCHEDULER=$((CLUSTER_PORT_BASE + 4))
  PORT_KUBELET=$((CLUSTER_PORT_BASE + 5))
  NODE_IP="127.$CLUSTER_NET.0.1"
  NODE_NAME="$CLUSTER_NAME-node"
}

# pid_carries PID NAME=VALUE: true when PID is alive, not a zombie, and carries NAME=VALUE
# in its environment (a marker its starter set, so a recycled PID is never signalled).
pid_carries() {
  local pid="$1" marker="$2" state
  [[ -r "/proc/$pid/environ" ]] || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" && -n "$state" ]] || return 1
  grep -qxzF "$marker" "/proc/$pid/environ" 2>/dev/null
}

# pid_is_ours PID ID: true when PID is alive, not a zombie, and carries
# FLINT_CLUSTER_ID=ID in its environment.
pid_is_ours() { pid_carries "$1" "FLINT_CLUSTER_ID=$2"; }

# pids_with_marker ID: every live process whose environment has FLINT_CLUSTER_ID=ID.
pids_with_marker() {
  local id="$1" p pid
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    pid_is_ours "$pid" "$id" && echo "$pid"
  done
  return 0
}
