# The first app completes; it is deleted with --cascade=orphan, so its pods, Service and
# ConfigMap certainly outlive it (the garbage collector usually takes them a moment later;
# orphaning makes that moment last).
wait_until 180 "the first app completing" bash -c '[[ $(kubectl get sparkapp again -o jsonpath="{.status.applicationState.state}") == COMPLETED ]]'
kubectl delete sparkapp again --cascade=orphan --wait=true
[[ -n $(kubectl get pods -l flint.dev/app=again -o name) ]] || fail "the orphaned pods are gone already"
kubectl get service again-driver-svc >/dev/null || fail "the orphaned Service is gone already"
