# Each attempt succeeds and is followed by another (SUCCEEDING → PENDING_RERUN, never
# COMPLETED): a third attempt starts, the first two drivers both printed the answer
# (sum of 0..99999 = 4999950000) and stay for their logs, with a RestartAlways event.
wait_until 300 "a third attempt" bash -c '(( $(kubectl get sparkapp forever -o jsonpath="{.status.attempt}") >= 3 ))'
for attempt in 1 2; do
  [[ $(kubectl get pod "forever-$attempt-driver" -o jsonpath='{.status.phase}') == Succeeded ]] \
    || fail "forever-$attempt-driver is $(kubectl get pod "forever-$attempt-driver" -o jsonpath='{.status.phase}'), not Succeeded"
  grep -Eq "^\|\s*100000\|\s*4999950000\|$" <<<"$(kubectl logs "forever-$attempt-driver")" \
    || fail "attempt $attempt did not print the answer: $(kubectl logs "forever-$attempt-driver")"
done
history=$(kubectl get sparkapp forever -o jsonpath='{.status.stateHistory[*].state}')
[[ $history == *"SUCCEEDING PENDING_RERUN"* ]] || fail "no SUCCEEDING → PENDING_RERUN in the history: $history"
[[ $history != *COMPLETED* && $history != *FAILED* ]] || fail "an Always app ended: $history"
(( $(kubectl get sparkapp forever -o jsonpath='{.status.executionAttempts}') >= 3 )) \
  || fail "executionAttempts is $(kubectl get sparkapp forever -o jsonpath='{.status.executionAttempts}')"
grep -q RestartAlways <<<"$(kubectl get events --field-selector involvedObject.name=forever -o jsonpath='{.items[*].reason}')" \
  || fail "no RestartAlways event"
