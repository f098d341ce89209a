# examples/k8s/on-failure-app.yaml itself: its first driver is killed (kill -9) as soon as
# its process runs, before the job can end; restartPolicy OnFailure runs a second
# attempt, which COMPLETES with the count (1000). The failed attempt's driver pod stays
# for its logs, and the status and events show the retry.
wait_until 90 "the first driver's process" container_started retried-count-1-driver spark-kubernetes-driver
kill_container retried-count-1-driver spark-kubernetes-driver
wait_state retried-count COMPLETED 240
[[ $(kubectl get sparkapp retried-count -o jsonpath='{.status.executionAttempts}') == 2 ]] \
  || fail "expected 2 execution attempts, got $(kubectl get sparkapp retried-count -o jsonpath='{.status.executionAttempts}')"
[[ $(kubectl get pod retried-count-1-driver -o jsonpath='{.status.phase}') == Failed ]] \
  || fail "the killed attempt's driver pod is $(kubectl get pod retried-count-1-driver -o jsonpath='{.status.phase}'), not Failed"
[[ $(kubectl get sparkapp retried-count -o jsonpath='{.status.driverInfo.podName}') == retried-count-2-driver ]] \
  || fail "the completed attempt is not the second one"
log=$(driver_log retried-count)
echo "$log" | grep -Eq "^\|\s*1000\|$" || fail "no |1000| row in the second driver's log:
$log"
history=$(kubectl get sparkapp retried-count -o jsonpath='{.status.stateHistory[*].state}')
[[ $history == *"FAILING PENDING_RERUN"* && $history == *COMPLETED ]] || fail "state history: $history"
grep -q RetryOnFailure <<<"$(kubectl get events --field-selector involvedObject.name=retried-count -o jsonpath='{.items[*].reason}')" \
  || fail "no RetryOnFailure event"
