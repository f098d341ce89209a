# The bucket example (examples/k8s/s3-app.yaml) against the S3 server tests/e2e/local
# starts on loopback (tests/s3/up; pods are host processes, so 127.0.0.1 reaches it):
# the script and the orders go into the bucket, the example is applied pointed at that
# server with its keys in the Secret, and the app must COMPLETE having fetched its script
# from s3a://, read the orders and written the totals per region with a _SUCCESS marker;
# the totals must be the input generator's own.
[[ -n ${FLINT_S3_ENDPOINT:-} && -n ${FLINT_S3_FILER:-} ]] \
  || fail "no S3 server: this scenario needs FLINT_S3_ENDPOINT, FLINT_S3_FILER, FLINT_S3_BUCKET and the keys of tests/s3/up (tests/e2e/local starts one)"
bucket=$FLINT_S3_BUCKET
work=$(mktemp -d)
trap 'rm -rf "$work"; kubectl delete secret s3-credentials --ignore-not-found >/dev/null 2>&1 || true' EXIT

# The input, and the totals computed from it here, independently of Flint.
python3 - "$work" <<'PY'
import json, sys
regions = ["east", "north", "south", "west"]
rows = [(i, regions[i % 4], (i * 37) % 1000) for i in range(10000)]
with open(f"{sys.argv[1]}/orders.csv", "w") as out:
    out.write("id,region,amount\n")
    out.writelines(f"{i},{r},{a}\n" for i, r, a in rows)
totals = {r: {"orders": sum(1 for _, x, _ in rows if x == r), "amount": sum(a for _, x, a in rows if x == r)} for r in regions}
json.dump(totals, open(f"{sys.argv[1]}/expected.json", "w"), sort_keys=True)
PY
# Uploaded through the server's filer, which needs no signature (buckets are /buckets/NAME).
upload() { curl -sSf -o /dev/null -F "file=@$1" "$FLINT_S3_FILER/buckets/$bucket/$2" || fail "cannot upload $1 to $2"; }
upload "$E2E_REPO/examples/k8s/s3/region_totals.py" apps/region_totals.py
upload "$work/orders.csv" input/orders.csv

# The example as a user would edit it: the endpoint, the bucket and the keys.
python3 - "$E2E_REPO/examples/k8s/s3-app.yaml" > "$work/app.yaml" <<'PY'
import os, sys
text = open(sys.argv[1]).read()
text = text.replace("http://s3.storage.svc.cluster.local:8333", os.environ["FLINT_S3_ENDPOINT"])
text = text.replace("s3a://flint/", f"s3a://{os.environ['FLINT_S3_BUCKET']}/")
text = text.replace("REPLACE-WITH-ACCESS-KEY", os.environ["FLINT_S3_ACCESS_KEY"])
text = text.replace("REPLACE-WITH-SECRET-KEY", os.environ["FLINT_S3_SECRET_KEY"])
print(text)
PY
kubectl apply -f "$work/app.yaml"
wait_state s3-region-totals COMPLETED 300
log=$(driver_log s3-region-totals)
grep -q "registered executor 1 " <<<"$log" || fail "the app's jobs did not run on executors"

# What the app wrote: data files (every name not starting with _ or ., as Spark's readers
# take them) and _SUCCESS under the target, nothing staged left.
listing=$(curl -sSf -H "Accept: application/json" "$FLINT_S3_FILER/buckets/$bucket/output/region-totals/?limit=1000") \
  || fail "cannot list the output"
names=$(python3 -c 'import json, sys; print("\n".join(e["FullPath"].rsplit("/", 1)[1] for e in json.load(sys.stdin).get("Entries") or []))' <<<"$listing")
grep -qx "_SUCCESS" <<<"$names" || fail "no _SUCCESS under output/region-totals: $names"
grep -q "^[^_.].*\.json$" <<<"$names" || fail "no data file under output/region-totals: $names"
! grep -q "^\.flint-\|_temporary" <<<"$names" || fail "staging left under the target: $names"
for name in $(grep "^[^_.].*\.json$" <<<"$names"); do
  curl -sSf "$FLINT_S3_FILER/buckets/$bucket/output/region-totals/$name" >> "$work/written.json" || fail "cannot read $name"
done
python3 - "$work" <<'PY' || fail "the written totals are not the generator's"
import json, sys
expected = json.load(open(f"{sys.argv[1]}/expected.json"))
written = {}
for line in open(f"{sys.argv[1]}/written.json"):
    if line.strip():
        row = json.loads(line)
        written[row["region"]] = {"orders": row["orders"], "amount": row["amount"]}
print("  written:", json.dumps(written, sort_keys=True))
sys.exit(0 if written == expected else f"expected {expected}")
PY
for region in east north south west; do
  line=$(python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))[sys.argv[2]]; print("region=%s orders=%s amount=%s" % (sys.argv[2], t["orders"], t["amount"]))' "$work/expected.json" "$region")
  grep -qx "$line" <<<"$log" || fail "no line '$line' in the driver log"
done
# The keys reached the pods from the Secret only.
! grep -qF "$FLINT_S3_SECRET_KEY" <<<"$log" || fail "the secret key is in the driver log"
! grep -qF "$FLINT_S3_SECRET_KEY" <<<"$(kubectl get configmap -o yaml; kubectl get pods -o yaml)" || fail "the secret key is in a ConfigMap or a pod spec"
kubectl delete -f "$work/app.yaml" --wait=true --timeout=60s >/dev/null
