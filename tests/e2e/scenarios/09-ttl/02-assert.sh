wait_state short-lived COMPLETED 180
wait_until 60 "the deletion of short-lived after its TTL" bash -c '[[ -z $(kubectl get sparkapp short-lived -o name 2>/dev/null) ]]'
wait_until 60 "the removal of short-lived's pods" no_pods_of short-lived
