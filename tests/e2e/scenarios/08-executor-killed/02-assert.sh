# kill -9 of an executor pod's process mid-job: the pod fails, the operator records it in
# executorState and creates a replacement under a new id, the driver recomputes from
# lineage, and the app still COMPLETES with the same answer (sum of 0..59999999).
wait_state survivor RUNNING 90
wait_until 120 "both executors registering" bash -c 'kubectl logs survivor-1-driver | grep -q "registered executor 2 "'
sleep 2
[[ $(state survivor) == RUNNING ]] || fail "the job ended before an executor could be killed"
uid=$(kubectl get pod survivor-1-exec-1 -o jsonpath='{.metadata.uid}')
if [[ -n ${FLINT_CLUSTER_STATE:-} ]]; then
  # The process kubelet: the container's process is the child of its shim.
  run=$(ls "$FLINT_CLUSTER_STATE/kubelet/pods/$uid/containers/spark-kubernetes-executor/"*.run.json | tail -1)
  shim=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$run")
  child=$(pgrep -P "$shim" | head -1)
  [[ -n $child ]] || fail "no process under shim $shim"
  echo "  kill -9 $child (executor 1)"
  kill -9 "$child"
else
  kubectl delete pod survivor-1-exec-1 --grace-period=0 --force
fi
wait_state survivor COMPLETED 600
log=$(driver_log survivor)
echo "$log" | grep -Eq "^\|\s*1000\|\s*1799999970000000\|$" || fail "wrong answer after the loss:
$log"
echo "$log" | grep -q "lost executor 1" || fail "the driver did not see executor 1 go"
states=$(kubectl get sparkapp survivor -o jsonpath='{.status.executorState}')
[[ $states == *'"survivor-1-exec-1":"FAILED"'* ]] || fail "executorState does not record the loss: $states"
[[ $states == *'"survivor-1-exec-3"'* ]] || fail "no replacement executor pod: $states"
