# The operator is killed (SIGKILL, no grace) while it creates the app's pods; the
# Deployment starts a new one, which picks the app up from its status and the pods it
# finds: the app completes, and no pod was created twice (the driver keeps its uid;
# executors 1..3 only, no replacement ids).
wait_until 60 "the driver pod's creation" bash -c '[[ -n $(kubectl get pod restarted-1-driver -o name 2>/dev/null) ]]'
driver_uid=$(kubectl get pod restarted-1-driver -o jsonpath='{.metadata.uid}')
secret_name=$(auth_secret_of restarted)
secret_uid=$(kubectl get secret "$secret_name" -o jsonpath='{.metadata.uid}')
secret=$(kubectl get secret "$secret_name" -o jsonpath='{.data.secret}')
kubectl delete pod -l app.kubernetes.io/component=operator --grace-period=0 --force >/dev/null 2>&1
wait_state restarted COMPLETED 240
[[ $(kubectl get pod restarted-1-driver -o jsonpath='{.metadata.uid}') == "$driver_uid" ]] || fail "the driver pod was created again"
[[ $(kubectl get secret "$secret_name" -o jsonpath='{.metadata.uid}/{.data.secret}') == "$secret_uid/$secret" ]] \
  || fail "the restarted operator replaced the app's Secret or changed its secret"
# Executors 1..3 and no others (the operator deletes them once the driver ended).
[[ $(kubectl get sparkapp restarted -o jsonpath='{.status.lastExecutorId}') == 3 ]] || fail "executor ids beyond 3 were used"
states=$(kubectl get sparkapp restarted -o jsonpath='{.status.executorState}')
[[ $states == '{"restarted-1-exec-1":"COMPLETED","restarted-1-exec-2":"COMPLETED","restarted-1-exec-3":"COMPLETED"}' ]] \
  || fail "unexpected executors: $states"
log=$(driver_log restarted)
echo "$log" | grep -Eq "^\|\s*3000000\|\s*4499998500000\|$" || fail "wrong answer:
$log"
[[ $(kubectl get sparkapp restarted -o jsonpath='{.status.executionAttempts}') == 1 ]] || fail "the restart resubmitted the app"
kubectl wait --for=condition=Available deployment -l app.kubernetes.io/component=operator --timeout=60s >/dev/null
