# The driver's service account may read and scale its app, and do nothing with pods.
sa=system:serviceaccount:default:flint-driver
[[ $(kubectl auth can-i create pods --as=$sa) == no ]] || fail "the driver may create pods"
[[ $(kubectl auth can-i list pods --as=$sa) == no ]] || fail "the driver may list pods"
[[ $(kubectl auth can-i delete pods --as=$sa) == no ]] || fail "the driver may delete pods"
[[ $(kubectl auth can-i get sparkapplications.flint.dev --as=$sa) == yes ]] || fail "the driver may not read its app"
[[ $(kubectl auth can-i patch sparkapplications.flint.dev --subresource=scale --as=$sa) == yes ]] || fail "the driver may not scale its app"
[[ $(kubectl auth can-i patch sparkapplications.flint.dev --as=$sa) == no ]] || fail "the driver may patch its app's spec"
# The operator applied its own CRD at start (the upgrade path Helm lacks), and may touch
# no other CRD.
managers=$(kubectl get crd sparkapplications.flint.dev -o jsonpath='{.metadata.managedFields[*].manager}')
[[ $managers == *flint-operator/crds* ]] || fail "the operator did not apply its CRD (managers: $managers)"
op=system:serviceaccount:default:flint-operator
[[ $(kubectl auth can-i patch customresourcedefinitions/sparkapplications.flint.dev --as=$op) == yes ]] || fail "the operator may not patch its CRD"
[[ $(kubectl auth can-i patch customresourcedefinitions/other.example.com --as=$op) == no ]] || fail "the operator may patch any CRD"
# Pods get the app's secret from its Secret through the kubelet: the driver needs no
# Secret permission, and the operator only creates them.
[[ $(kubectl auth can-i get secrets --as=$sa) == no ]] || fail "the driver may read Secrets"
[[ $(kubectl auth can-i create secrets --as=$op) == yes ]] || fail "the operator may not create Secrets"
[[ $(kubectl auth can-i get secrets --as=$op) == no ]] || fail "the operator may read Secrets"
