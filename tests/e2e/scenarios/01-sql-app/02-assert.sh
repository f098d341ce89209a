# The SQL example completes with the answer the formula gives, on executor pods the
# operator created; status, conditions, printer columns and events say so.
wait_state sql-buckets COMPLETED 240
log=$(driver_log sql-buckets)
grep -q "registered executor 1 " <<<"$log" || fail "executor 1 never registered with the driver"
for b in 0 1 2 3 4 5 6 7 8 9; do
  total=$((49999500000 + 100000 * b))
  echo "$log" | grep -Eq "^\|\s*$b\|\s*100000\|\s*$total\|$" || fail "bucket $b: no row |$b|100000|$total| in the driver log:
$log"
done
echo "$log" | grep -Eq "^\|\s*1000000\|\s*499999500000\|$" || fail "no total row |1000000|499999500000| in the driver log"
[[ $(kubectl get sparkapp sql-buckets -o jsonpath='{.status.executionAttempts}') == 1 ]] || fail "expected 1 attempt"
gen=$(kubectl get sparkapp sql-buckets -o jsonpath='{.metadata.generation}')
cond=$(kubectl get sparkapp sql-buckets -o jsonpath='{.status.conditions[?(@.type=="Succeeded")].status}/{.status.conditions[?(@.type=="Succeeded")].observedGeneration}')
[[ $cond == "True/$gen" ]] || fail "Succeeded condition is $cond, expected True/$gen"
states=$(kubectl get sparkapp sql-buckets -o jsonpath='{.status.executorState}')
[[ $states == *'"sql-buckets-1-exec-1":"COMPLETED"'* && $states == *'"sql-buckets-1-exec-2":"COMPLETED"'* ]] \
  || fail "executorState is $states"
grep -Eq "^sql-buckets\s+COMPLETED\s+1\s+0\s" <<<"$(kubectl get sparkapp sql-buckets)" || fail "printer columns: $(kubectl get sparkapp sql-buckets)"
wait_until 60 "the end of every executor pod" bash -c \
  '[[ -z $(kubectl get pods -l flint.dev/app=sql-buckets,flint.dev/role=executor --field-selector=status.phase!=Succeeded,status.phase!=Failed -o name) ]]'
[[ $(kubectl get sparkapp sql-buckets -o jsonpath='{.status.lastExecutorId}') == 2 ]] || fail "executors were replaced in a healthy run"

grep -q Completed <<<"$(kubectl get events --field-selector involvedObject.name=sql-buckets -o jsonpath='{.items[*].reason}')" \
  || fail "no Completed event: $(kubectl get events --field-selector involvedObject.name=sql-buckets)"

# The app's secret: one Secret owned by the app, injected into the driver from that
# Secret (never as a literal; 08 checks running executors), and never in the driver's log.
uid=$(kubectl get sparkapp sql-buckets -o jsonpath='{.metadata.uid}')
secret_name=$(auth_secret_of sql-buckets)
owner=$(kubectl get secret "$secret_name" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}')
[[ $owner == "SparkApplication/sql-buckets/$uid" ]] || fail "Secret $secret_name is owned by '$owner', not the app"
secret=$(kubectl get secret "$secret_name" -o jsonpath='{.data.secret}' | base64 -d)
(( ${#secret} >= 32 )) || fail "the app's secret is ${#secret} characters long"
for pod in sql-buckets-1-driver; do
  ref=$(kubectl get pod "$pod" -o jsonpath='{.spec.containers[0].env[?(@.name=="_SPARK_AUTH_SECRET")].valueFrom.secretKeyRef.name}')
  [[ $ref == "$secret_name" ]] || fail "pod $pod does not take _SPARK_AUTH_SECRET from Secret $secret_name (got '$ref')"
  grep -qF "$secret" <<<"$(kubectl get pod "$pod" -o json)" && fail "pod $pod carries the secret's value in its spec"
done
grep -qF "$secret" <<<"$log" && fail "the driver's log shows the app's secret"
true
