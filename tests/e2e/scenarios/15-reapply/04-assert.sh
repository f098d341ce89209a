# The second app removes what the first left under its names, then runs its own query
# in pods it owns, with a Secret of its own.
wait_until 180 "the second app completing" bash -c '[[ $(kubectl get sparkapp again -o jsonpath="{.status.applicationState.state}") == COMPLETED ]]'
uid=$(kubectl get sparkapp again -o jsonpath='{.metadata.uid}')
log=$(kubectl logs again-1-driver)
grep -Eq "^\|\s*2000\|$" <<<"$log" || fail "the second app did not print its own answer |2000|:
$log"
for object in pod/again-1-driver service/again-driver-svc configmap/again-1-conf; do
  owner=$(kubectl get "$object" -o jsonpath='{.metadata.ownerReferences[?(@.controller==true)].uid}')
  [[ $owner == "$uid" ]] || fail "$object is controlled by '$owner', not the second app ($uid)"
done
ref=$(kubectl get pod again-1-driver -o jsonpath='{.spec.containers[0].env[?(@.name=="_SPARK_AUTH_SECRET")].valueFrom.secretKeyRef.name}')
[[ $ref == "$(auth_secret_of again)" ]] \
  || fail "the driver takes its secret from '$ref', not the second app's Secret"

