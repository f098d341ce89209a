# FAILED after the pending timeout with the scheduler's reason, not stuck.
wait_state too-big FAILED 90
error=$(kubectl get sparkapp too-big -o jsonpath='{.status.applicationState.errorMessage}')
[[ $error == *"Insufficient cpu"* ]] || fail "errorMessage lacks the scheduler's reason: $error"
[[ $error == *"too-big-1-exec-1"* ]] || fail "errorMessage does not name the pod: $error"
# The driver, whose job waited for that executor, sees the operator give up (from its
# app's status; it has no pod permissions), fails the job with the reason and exits non-zero.
wait_until 60 "the driver's exit" bash -c '[[ $(kubectl get pod too-big-1-driver -o jsonpath="{.status.phase}") == Failed ]]'
log=$(kubectl logs too-big-1-driver)
[[ $log == *"giving up on executors: the operator failed the application"*"Insufficient cpu"* ]] || fail "the driver did not say why it gave up:
$log"
# Before that, the operator's ExecutorsScheduled condition told the driver why it waited.
[[ $log == *"waiting for executors: executor pod too-big-1-exec-1 cannot be scheduled: "*"Insufficient cpu"* ]] \
  || fail "the driver did not report the unschedulable executor:
$log"
