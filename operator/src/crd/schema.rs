//! Hand-written schemas for fields whose derived schema would be too large or too loose:
//! Kubernetes structures kept as preserved unknown fields, memory sizes, the type enum.

use schemars::{Schema, SchemaGenerator, json_schema};

/// A Kubernetes object (affinity, a pod template) the API server checks when the operator
/// creates the pod, not here: keeps the CRD small.
pub fn preserved_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// A list of Kubernetes objects (volumes, env, tolerations), each kept as is.
pub fn preserved_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
    })
}

/// A memory size as Spark writes it (`512m`, `2g`, `1024k`, bytes) or a Kubernetes
/// quantity (`512Mi`, `2Gi`).
pub fn memory(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "maxLength": 32,
        "x-kubernetes-validations": [{
            "rule": "self.matches('^[0-9]+([kKmMgGtTpP][iI]?[bB]?)?$')",
            "message": "must be a memory size such as 512m, 2g or 2Gi"
        }]
    })
}

/// `type`: a plain string with a rule, so that the message can say what is unsupported.
pub fn application_type(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "maxLength": 16,
        "x-kubernetes-validations": [{
            "rule": "self == 'Python' || self == 'SQL'",
            "message": "type must be Python or SQL: Java, Scala and R applications are not supported by Flint"
        }]
    })
}

/// An RFC 3339 time.
pub fn date_time(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "format": "date-time"})
}

/// An optional RFC 3339 time.
pub fn optional_date_time(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "format": "date-time", "nullable": true})
}
