# kill -9 of an executor pod's process mid-job: the pod fails, the operator records it in
# executorState and creates a replacement under a new id, the driver recomputes from
# lineage, and the app still COMPLETES with the same answer (sum of 0..59999999).
wait_state survivor RUNNING 90
wait_until 120 "both executors registering" bash -c 'kubectl logs survivor-1-driver | grep -q "registered executor 2 "'
sleep 2
[[ $(state survivor) == RUNNING ]] || fail "the job ended before an executor could be killed"
secret_name=$(auth_secret_of survivor)
for pod in survivor-1-exec-1 survivor-1-exec-2; do
  ref=$(kubectl get pod "$pod" -o jsonpath='{.spec.containers[0].env[?(@.name=="_SPARK_AUTH_SECRET")].valueFrom.secretKeyRef.name}')
  [[ $ref == "$secret_name" ]] || fail "executor pod $pod does not take _SPARK_AUTH_SECRET from Secret $secret_name (got '$ref')"
done
kill_container survivor-1-exec-1 spark-kubernetes-executor
wait_state survivor COMPLETED 600
log=$(driver_log survivor)
echo "$log" | grep -Eq "^\|\s*1000\|\s*1799999970000000\|$" || fail "wrong answer after the loss:
$log"
grep -q "lost executor 1" <<<"$log" || fail "the driver did not see executor 1 go"
states=$(kubectl get sparkapp survivor -o jsonpath='{.status.executorState}')
[[ $states == *'"survivor-1-exec-1":"FAILED"'* ]] || fail "executorState does not record the loss: $states"
[[ $states == *'"survivor-1-exec-3"'* ]] || fail "no replacement executor pod: $states"
