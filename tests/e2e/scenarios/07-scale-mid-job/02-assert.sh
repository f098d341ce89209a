# `kubectl scale sparkapp/scaled --replicas=3` while the job waits: three executor pods,
# all register, the job completes with the right answer (sum of 0..99999 = 4999950000).
wait_state scaled RUNNING 90
sleep 3
[[ $(state scaled) == RUNNING ]] || fail "the job did not wait for executors"
kubectl scale sparkapp/scaled --replicas=3
[[ $(kubectl get sparkapp scaled -o jsonpath='{.spec.executor.instances}') == 3 ]] || fail "scale did not set spec.executor.instances"
wait_state scaled COMPLETED 180
log=$(driver_log scaled)
for id in 1 2 3; do
  grep -q "registered executor $id " <<<"$log" || fail "executor $id did not register:
$log"
done
echo "$log" | grep -Eq "^\|\s*100000\|\s*4999950000\|$" || fail "wrong answer:
$log"
[[ $(kubectl get sparkapp scaled -o jsonpath='{.status.executionAttempts}') == 1 ]] || fail "the scale restarted the app"
