# Deleting a running app removes all its pods (owner references), and its ConfigMap and Service.
wait_state doomed RUNNING 90
wait_until 30 "the executor pod's creation" bash -c '[[ -n $(kubectl get pods -l flint.dev/app=doomed,flint.dev/role=executor -o name) ]]'
kubectl delete sparkapp doomed --wait=true --timeout=60s
wait_until 90 "the removal of doomed's pods" no_pods_of doomed
wait_until 60 "the removal of doomed's ConfigMap and Service" \
  bash -c '[[ -z $(kubectl get configmap,service -l flint.dev/app=doomed -o name) ]]'
