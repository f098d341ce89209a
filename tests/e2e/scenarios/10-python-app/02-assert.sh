# The Python example: an unmodified PySpark script on the driver's Connect server, its
# jobs on executor pods; the answer from the formula for ids 0..99999 grouped by id % 4.
wait_state py-buckets COMPLETED 240
log=$(driver_log py-buckets)
for b in 0 1 2 3; do
  line="bucket=$b n=25000 total=$((1249950000 + 25000 * b))"
  grep -qx "$line" <<<"$log" || fail "no line '$line' in the driver log:
$log"
done
grep -q "registered executor 1 " <<<"$log" || fail "the script's jobs did not run on executors"
