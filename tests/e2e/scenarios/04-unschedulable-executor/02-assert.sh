# FAILED after the pending timeout with the scheduler's reason, not stuck.
wait_state too-big FAILED 90
error=$(kubectl get sparkapp too-big -o jsonpath='{.status.applicationState.errorMessage}')
[[ $error == *"Insufficient cpu"* ]] || fail "errorMessage lacks the scheduler's reason: $error"
[[ $error == *"too-big-1-exec-1"* ]] || fail "errorMessage does not name the pod: $error"
