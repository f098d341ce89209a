# Retried once (OnFailure, onFailureRetries 1), then FAILED with the exit code and the
# driver's last log lines in errorMessage; both attempts' driver pods stay for their logs.
wait_state failing FAILED 240
[[ $(kubectl get sparkapp failing -o jsonpath='{.status.executionAttempts}') == 2 ]] \
  || fail "expected 2 execution attempts, got $(kubectl get sparkapp failing -o jsonpath='{.status.executionAttempts}')"
error=$(kubectl get sparkapp failing -o jsonpath='{.status.applicationState.errorMessage}')
[[ $error == *"exit code 1"* ]] || fail "errorMessage lacks the exit code: $error"
[[ $error == *"no_such_table"* ]] || fail "errorMessage lacks the driver's log lines: $error"
[[ $error == *"failed after 2 attempts"* ]] || fail "errorMessage does not count the attempts: $error"
for attempt in 1 2; do
  [[ $(kubectl get pod "failing-$attempt-driver" -o jsonpath='{.status.phase}') == Failed ]] || fail "failing-$attempt-driver is not Failed"
done
grep -q RetryOnFailure <<<"$(kubectl get events --field-selector involvedObject.name=failing -o jsonpath='{.items[*].reason}')" \
  || fail "no RetryOnFailure event"
