# Mid-job, a change of spec.executor.instances alone is a scale: the same attempt gets a
# second executor. A change of sparkConf is a spec change: INVALIDATING, the attempt's
# pods are deleted, and a second attempt with the new configuration COMPLETES with the
# answer (sum of 0..59999999 = 1799999970000000).
wait_state changed RUNNING 90
wait_until 120 "executor 1 registering" bash -c 'kubectl logs changed-1-driver | grep -q "registered executor 1 "'
driver_uid=$(kubectl get pod changed-1-driver -o jsonpath='{.metadata.uid}')
kubectl scale sparkapp/changed --replicas=2
wait_until 120 "executor 2 registering after the scale" bash -c 'kubectl logs changed-1-driver | grep -q "registered executor 2 "'
[[ $(state changed) == RUNNING ]] || fail "the job ended before its spec could be changed; make it longer"
[[ $(kubectl get sparkapp changed -o jsonpath='{.status.attempt}') == 1 ]] || fail "the scale started a new attempt"
[[ $(kubectl get pod changed-1-driver -o jsonpath='{.metadata.uid}') == "$driver_uid" ]] || fail "the scale replaced the driver"
[[ $(kubectl get sparkapp changed -o jsonpath='{.status.stateHistory[*].state}') != *INVALIDATING* ]] \
  || fail "the scale invalidated the app"

kubectl patch sparkapp changed --type merge -p '{"spec":{"sparkConf":{"spark.sql.shuffle.partitions":"3"}}}'
wait_until 60 "INVALIDATING" bash -c '[[ $(kubectl get sparkapp changed -o jsonpath="{.status.stateHistory[*].state}") == *INVALIDATING* ]]'
wait_until 120 "the first attempt's pods going" bash -c \
  '[[ -z $(kubectl get pods -l flint.dev/app=changed,flint.dev/attempt=1 -o name) ]]'
wait_state changed COMPLETED 600
[[ $(kubectl get sparkapp changed -o jsonpath='{.status.attempt}') == 2 ]] || fail "expected attempt 2"
[[ $(kubectl get sparkapp changed -o jsonpath='{.status.driverInfo.podName}') == changed-2-driver ]] || fail "not the second driver"
grep -qx 'spark.sql.shuffle.partitions=3' <<<"$(kubectl get configmap changed-2-conf -o jsonpath='{.data.spark\.properties}')" \
  || fail "the second attempt does not run the changed configuration"
log=$(driver_log changed)
echo "$log" | grep -Eq "^\|\s*1000\|\s*1799999970000000\|$" || fail "wrong answer after the change:
$log"
