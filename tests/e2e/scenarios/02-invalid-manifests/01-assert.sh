# Invalid manifests are refused by the API server (schema and CEL rules, no webhook) with
# a message naming the field.
refused() {
  local what=$1 needle=$2 patch=$3 out
  out=$(python3 - "$patch" <<'PY' | kubectl apply -f - 2>&1
import json, sys
app = {"apiVersion": "flint.dev/v1alpha1", "kind": "SparkApplication", "metadata": {"name": "bad"},
       "spec": {"type": "SQL", "mainApplicationFile": "local:///app.sql", "driver": {}, "executor": {"instances": 1}}}
patch = json.loads(sys.argv[1])
for path, value in patch.items():
    node = app["spec"]
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
print(json.dumps(app))
PY
) && fail "$what was accepted"
  [[ $out == *"$needle"* ]] || fail "$what: the message does not name $needle: $out"
  echo "  refused $what: $out"
}
refused "instances -1" "spec.executor.instances" '{"executor.instances": -1}'
refused "memory lots" "spec.driver.memory" '{"driver.memory": "lots"}'
refused "type Scala" "spec.type" '{"type": "Scala"}'
refused "type Scala names Scala as unsupported" "Scala" '{"type": "Scala"}'
refused "no mainApplicationFile" "spec.mainApplicationFile" '{"mainApplicationFile": null}'
refused "an http mainApplicationFile" "or an object in a bucket (s3a://bucket/key" '{"mainApplicationFile": "http://example.com/app.py"}'
refused "cores 0" "spec.executor.cores" '{"executor.cores": 0}'
refused "a secret in sparkConf" "spark.authenticate.secret may not be set" '{"sparkConf": {"spark.authenticate.secret": "s3cr3t"}}'
refused "authentication off" "spark.authenticate cannot be turned off" '{"sparkConf": {"spark.authenticate": "false"}}'
refused "mainClass" "mainClass is not supported" '{"mainClass": "org.example.Main"}'
refused "deps.jars" "deps.jars is not supported" '{"deps": {"jars": ["a.jar"]}}'
refused "dynamicAllocation min > max" "minExecutors must not exceed maxExecutors" \
  '{"dynamicAllocation": {"enabled": true, "minExecutors": 5, "maxExecutors": 2}}'
[[ -z $(kubectl get sparkapp bad -o name 2>/dev/null) ]] || fail "an invalid app was stored"
