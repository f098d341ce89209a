//! `crds/` and `charts/flint/crds/` hold exactly what `flint crdgen` writes: a change to
//! the CRD types without regenerating fails here.

use std::path::PathBuf;

#[test]
fn committed_crds_match_the_types() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())).join("..");
    let manifests = flint_operator::crd::manifests().unwrap();
    assert!(!manifests.is_empty());
    for dir in ["crds", "charts/flint/crds"] {
        for (file, yaml) in &manifests {
            let path = root.join(dir).join(file);
            let committed = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}; run `flint crdgen`", path.display()));
            assert!(committed == *yaml, "{} is stale; run `flint crdgen` and commit the result", path.display());
        }
    }
}

#[test]
fn crd_has_the_subresources_columns_and_rules_users_rely_on() {
    let (_, yaml) = flint_operator::crd::manifests().unwrap().remove(0);
    for needle in [
        "shortNames:",
        "- sparkapp",
        "specReplicasPath: .spec.executor.instances",
        "statusReplicasPath: .status.executors",
        "name: State",
        "name: Executors",
        "x-kubernetes-preserve-unknown-fields: true",
        "Java, Scala and R applications are not supported",
        "mainClass is not supported",
        "deps.jars is not supported",
        "minExecutors must not exceed maxExecutors",
    ] {
        assert!(yaml.contains(needle), "the CRD lacks {needle:?}");
    }
    // Small: pod structures are preserved unknown fields, not embedded corev1 schemas.
    assert!(yaml.len() < 60_000, "the CRD grew to {} bytes", yaml.len());
}
