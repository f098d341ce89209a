//! `AnalyzePlan`: schema, explain, printSchema text, version, DDL parsing and the
//! plan-level questions the client asks without running anything.

use std::hash::{Hash, Hasher};

use spark_connect_proto::analyze_plan_request::Analyze;
use spark_connect_proto::analyze_plan_response::{self as resp, Result as AnalyzeResult};
use prost::Message;
use spark_connect_proto::{Plan, Relation, StorageLevel};
use spark_connect_proto::plan::OpType;

use crate::config::SPARK_VERSION;
use crate::errors::{ConnectError, Result};
use crate::plan::local_relation::parse_schema;
use crate::plan::relations::RelationPlanner;
use crate::session_manager::ConnectSession;
use crate::types::{parse_type_name, spark_schema, spark_type, tree_string};

/// Answers one analyze request.
pub async fn analyze(session: &ConnectSession, analyze: Analyze) -> Result<AnalyzeResult> {
    let result = match analyze {
        Analyze::Schema(s) => {
            let df = plan(session, s.plan.as_ref()).await?;
            AnalyzeResult::Schema(resp::Schema { schema: Some(spark_schema(&df.schema())) })
        }
        Analyze::TreeString(t) => {
            let df = plan(session, t.plan.as_ref()).await?;
            AnalyzeResult::TreeString(resp::TreeString { tree_string: tree_string(&df.schema()) })
        }
        Analyze::Explain(e) => {
            let df = plan(session, e.plan.as_ref()).await?;
            let extended = e.explain_mode > 1;
            AnalyzeResult::Explain(resp::Explain { explain_string: df.explain(extended).await? })
        }
        Analyze::IsLocal(_) => AnalyzeResult::IsLocal(resp::IsLocal { is_local: false }),
        Analyze::IsStreaming(_) => AnalyzeResult::IsStreaming(resp::IsStreaming { is_streaming: false }),
        Analyze::InputFiles(_) => AnalyzeResult::InputFiles(resp::InputFiles { files: vec![] }),
        Analyze::SparkVersion(_) => {
            AnalyzeResult::SparkVersion(resp::SparkVersion { version: SPARK_VERSION.to_string() })
        }
        Analyze::DdlParse(d) => {
            let parsed = match parse_type_name(&d.ddl_string) {
                Some(data_type) => spark_type(&data_type),
                None => spark_schema(&parse_schema(&d.ddl_string)?),
            };
            AnalyzeResult::DdlParse(resp::DdlParse { parsed: Some(parsed) })
        }
        Analyze::SameSemantics(s) => {
            let a = plan(session, s.target_plan.as_ref()).await?;
            let b = plan(session, s.other_plan.as_ref()).await?;
            let same = a.explain(false).await? == b.explain(false).await?;
            AnalyzeResult::SameSemantics(resp::SameSemantics { result: same })
        }
        Analyze::SemanticHash(s) => {
            let df = plan(session, s.plan.as_ref()).await?;
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            df.explain(false).await?.hash(&mut hasher);
            let result = i32::try_from(hasher.finish() & 0x7fff_ffff).unwrap_or(0);
            AnalyzeResult::SemanticHash(resp::SemanticHash { result })
        }
        Analyze::Persist(p) => {
            persist(session, p.relation.as_ref()).await?;
            AnalyzeResult::Persist(resp::Persist {})
        }
        Analyze::Unpersist(u) => {
            let cached = u.relation.as_ref().and_then(|r| session.persisted.lock().remove(&r.encode_to_vec()));
            if let Some(cached) = cached {
                cached.unpersist().await?;
            }
            AnalyzeResult::Unpersist(resp::Unpersist {})
        }
        Analyze::GetStorageLevel(g) => {
            let persisted = g.relation.as_ref().is_some_and(|r| session.persisted.lock().contains_key(&r.encode_to_vec()));
            // Flint keeps every cache one way; a relation not persisted is StorageLevel.NONE.
            let storage_level = StorageLevel {
                use_disk: persisted,
                use_memory: persisted,
                use_off_heap: false,
                deserialized: persisted,
                replication: 1,
            };
            AnalyzeResult::GetStorageLevel(resp::GetStorageLevel { storage_level: Some(storage_level) })
        }
        Analyze::JsonToDdl(_) => return Err(ConnectError::Unsupported { what: "AnalyzePlan JsonToDDL".into() }),
    };
    Ok(result)
}

/// Caches `relation` (Flint has one storage level); later plans containing it read the
/// cache. Persisting it again keeps the first cache.
async fn persist(session: &ConnectSession, relation: Option<&Relation>) -> Result<()> {
    let relation = relation.ok_or_else(|| ConnectError::InvalidPlan { reason: "persist without a relation".into() })?;
    let key = relation.encode_to_vec();
    if session.persisted.lock().contains_key(&key) {
        return Ok(());
    }
    let cached = RelationPlanner::for_session(session).plan(relation).await?.persist()?;
    session.persisted.lock().insert(key, cached);
    Ok(())
}

async fn plan(session: &ConnectSession, plan: Option<&Plan>) -> Result<flint_engine::DataFrame> {
    match plan.and_then(|p| p.op_type.as_ref()) {
        Some(OpType::Root(relation)) => Ok(RelationPlanner::for_session(session).plan(relation).await?),
        _ => Err(ConnectError::InvalidPlan { reason: "analyze needs a plan with a root relation".into() }),
    }
}
