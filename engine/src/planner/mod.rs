//! Distributed planning: a physical plan split into stages at exchanges.

pub mod cached_relation;
pub mod distributed_joins;
mod registries;
pub mod in_process;
pub mod stage_origins;
pub mod stages;
pub mod subqueries;

pub use cached_relation::CachedRelationExec;
pub use in_process::run_in_process;
pub use stage_origins::{operator_count, stage_origins};
pub use subqueries::run_scalar_subqueries;
pub use stages::{Stage, configure_session_for_stages, StageKind, StagePlan, resolve_shuffle_reads, split_into_stages};
