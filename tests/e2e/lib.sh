# Helpers for scenario assert steps (tests/e2e/scenarios/*/NN-assert.sh), sourced by run.
# Every step runs with KUBECONFIG set and kubectl/helm on PATH, under `set -euo pipefail`:
# match a command's output with `grep -q PATTERN <<<"$(command)"`, never
# `command | grep -q PATTERN`, which fails at random when grep exits at the first match
# and the still-writing command dies of SIGPIPE.

# fail MESSAGE: prints MESSAGE and what the cluster says about the scenario's apps, exits 1.
fail() {
  echo "ASSERTION FAILED: $*" >&2
  kubectl get sparkapp -o wide >&2 || true
  kubectl get pods -o wide >&2 || true
  for app in $(kubectl get sparkapp -o name 2>/dev/null); do
    kubectl get "$app" -o jsonpath='{.status}' >&2 || true
    echo >&2
  done
  exit 1
}

# state APP: the app's status.applicationState.state.
state() { kubectl get sparkapp "$1" -o jsonpath='{.status.applicationState.state}' 2>/dev/null; }

# wait_state APP STATE TIMEOUT_SECONDS: until APP is in STATE; fails at once on another
# terminal state.
wait_state() {
  local app=$1 want=$2 timeout=$3 started=$SECONDS now
  while (( SECONDS - started < timeout )); do
    now=$(state "$app")
    [[ $now == "$want" ]] && return 0
    if [[ $now == COMPLETED || $now == FAILED ]]; then
      fail "$app is $now, expected $want: $(kubectl get sparkapp "$app" -o jsonpath='{.status.applicationState.errorMessage}')"
    fi
    sleep 0.5
  done
  fail "$app did not reach $want within ${timeout}s (state: $(state "$app"))"
}

# driver_log APP: the log of APP's current driver pod.
driver_log() {
  local pod
  pod=$(kubectl get sparkapp "$1" -o jsonpath='{.status.driverInfo.podName}')
  [[ -n $pod ]] || fail "$1 has no driver pod in its status"
  kubectl logs "$pod"
}

# wait_until TIMEOUT DESCRIPTION COMMAND...: until COMMAND succeeds.
wait_until() {
  local timeout=$1 what=$2 started=$SECONDS
  shift 2
  while (( SECONDS - started < timeout )); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  fail "$what did not happen within ${timeout}s"
}

# no_pods_of APP: true when no pod carries flint.dev/app=APP.
no_pods_of() { [[ -z $(kubectl get pods -l "flint.dev/app=$1" -o name 2>/dev/null) ]]; }

# kill_container POD CONTAINER: kill -9 of the container's process (the process kubelet:
# the child of its shim), or a forced delete of the pod on a real cluster.
kill_container() {
  local pod=$1 container=$2 uid run shim child
  if [[ -z ${FLINT_CLUSTER_STATE:-} ]]; then
    kubectl delete pod "$pod" --grace-period=0 --force
    return
  fi
  uid=$(kubectl get pod "$pod" -o jsonpath='{.metadata.uid}')
  run=$(ls "$FLINT_CLUSTER_STATE/kubelet/pods/$uid/containers/$container/"*.run.json 2>/dev/null | tail -1)
  [[ -n $run ]] || fail "pod $pod has no running $container container"
  shim=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$run")
  children=$(pgrep -P "$shim" || true)
  child=${children%%$'\n'*}
  [[ -n $child ]] || fail "no process under shim $shim of pod $pod"
  echo "  kill -9 $child ($pod)"
  kill -9 "$child"
}

# container_started POD CONTAINER: true once the container's process runs (the process
# kubelet), or the pod is Running (a real cluster).
container_started() {
  local uid
  if [[ -z ${FLINT_CLUSTER_STATE:-} ]]; then
    [[ $(kubectl get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null) == Running ]]
    return
  fi
  uid=$(kubectl get pod "$1" -o jsonpath='{.metadata.uid}' 2>/dev/null) || return 1
  [[ -n $uid ]] && compgen -G "$FLINT_CLUSTER_STATE/kubelet/pods/$uid/containers/$2/*.run.json" >/dev/null
}

# auth_secret_of APP: the name of APP's authentication Secret, `APP-auth-` and the first
# 8 hex digits of the app's UID (operator/src/pod_builder.rs auth_secret_name).
auth_secret_of() {
  local uid
  uid=$(kubectl get sparkapp "$1" -o jsonpath='{.metadata.uid}')
  uid=${uid//-/}
  echo "$1-auth-${uid:0:8}"
}
