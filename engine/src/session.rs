//! The Flint session: a DataFusion context configured from Spark keys, Spark's SQL dialect
//! and functions, and the entry points of the DataFrame API.

use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider};
use datafusion::common::config::Dialect;
use datafusion::execution::{FunctionRegistry, SessionStateBuilder};
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{Set, Statement as SqlStatement};
use datafusion_spark::SessionStateBuilderSpark;
use parking_lot::Mutex;

use crate::cache_table::CachedTables;
use crate::config::{self, SparkConf};
use crate::dataframe::DataFrame;
use crate::error::{FlintError, Result};
use crate::managed_tables::CatalogTables;
use crate::path_tables::PathTables;
use crate::reader::DataFrameReader;
use crate::spark::divide::SparkDivision;
use crate::sql::parse_statements;
use crate::storage::{HadoopConf, ObjectStores};

/// Spill files one merge step of a sort reads at most at once; more are merged in steps.
const MAX_SPILL_MERGE_FAN_IN: usize = 16;

/// Pool memory a partition's share must hold per spill file its merge reads: a merge
/// reads a batch or two of each file and reserves twice their size.
const SPILL_MERGE_BYTES_PER_FILE: usize = 1 << 20;

/// How many spill files one merge step reads: as many as a partition's share of the pool
/// holds, from 2 to [`MAX_SPILL_MERGE_FAN_IN`]. DataFusion's merge reserves greedily, so a
/// fan-in the share cannot hold lets one sort's merge starve the merges beside it.
fn spill_merge_fan_in(pool_bytes: usize, partitions: usize) -> usize {
    (pool_bytes / partitions.max(1) / SPILL_MERGE_BYTES_PER_FILE).clamp(2, MAX_SPILL_MERGE_FAN_IN)
}

/// Spark's default catalog name.
pub const DEFAULT_CATALOG: &str = "spark_catalog";
/// Spark's default database name.
pub const DEFAULT_DATABASE: &str = "default";

/// Builds a [`FlintSession`] from Spark configuration, like `SparkSession.builder`.
#[derive(Debug, Default)]
pub struct SessionBuilder {
    conf: SparkConf,
}

impl SessionBuilder {
    /// Sets `spark.master` (`local`, `local[N]`, `local[*]`).
    pub fn master(mut self, master: &str) -> Self {
        self.conf.set(config::MASTER.name, master);
        self
    }

    /// Sets `spark.app.name`.
    pub fn app_name(mut self, name: &str) -> Self {
        self.conf.set(config::APP_NAME.name, name);
        self
    }

    /// Sets any configuration key.
    pub fn config(mut self, key: &str, value: &str) -> Self {
        self.conf.set(key, value);
        self
    }

    /// Creates the session; fails on configuration values it cannot use.
    pub fn build(self) -> Result<FlintSession> {
        FlintSession::new(self.conf)
    }
}

/// A Spark-style session. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct FlintSession {
    ctx: SessionContext,
    conf: Arc<Mutex<SparkConf>>,
    runner: Arc<Mutex<Option<Arc<dyn crate::job_runner::JobRunner>>>>,
    local: Arc<crate::local_runner::LocalJobRunner>,
    cached_tables: Arc<Mutex<CachedTables>>,
    /// The session's object stores, rebuilt when its `spark.hadoop.*` keys change.
    stores: Arc<ObjectStores>,
    /// The application's `spark.hadoop.*` keys (the configuration the session started
    /// with): what an unset Hadoop key falls back to.
    app_hadoop_keys: Arc<HadoopConf>,
    /// The tables the session's catalog knows (managed and external, by name).
    catalog_tables: Arc<Mutex<CatalogTables>>,
}

impl std::fmt::Debug for FlintSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlintSession").field("session_id", &self.ctx.session_id()).finish()
    }
}

impl FlintSession {
    /// A builder, as `SparkSession.builder`.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// Creates a session from `conf`.
    pub fn new(conf: SparkConf) -> Result<Self> {
        let pool_bytes = conf.memory_bytes(&config::DRIVER_MEMORY)?;
        let partitions = conf.shuffle_partitions()?;
        let pool = TrackConsumersPool::new(
            FairSpillPool::new(pool_bytes),
            NonZeroUsize::MIN.saturating_add(4),
        );
        let local_dirs = conf.local_dirs();
        // DataFusion creates a missing directory with a plain mkdir, which fails when
        // another application sharing `spark.local.dir` creates it at the same moment.
        for dir in &local_dirs {
            std::fs::create_dir_all(dir).map_err(|e| FlintError::InvalidConf {
                key: "spark.local.dir".to_string(),
                value: dir.display().to_string(),
                reason: format!("cannot create the directory: {e}"),
            })?;
        }
        let disk_mode = if local_dirs.is_empty() {
            DiskManagerMode::OsTmpDirectory
        } else {
            DiskManagerMode::Directories(local_dirs)
        };
        // No listing cache: a path read again after `mode("overwrite")` must see the new files.
        let caches = CacheManagerConfig::default().with_list_files_cache_limit(0);
        let app_hadoop_keys = Arc::new(HadoopConf::from_spark(&conf));
        let stores = Arc::new(ObjectStores::new(HadoopConf::clone(&app_hadoop_keys)));
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(caches)
            .with_memory_pool(Arc::new(pool))
            .with_disk_manager_builder(
                DiskManagerBuilder::default()
                    .with_mode(disk_mode)
                    .with_max_spill_merge_fan_in(spill_merge_fan_in(pool_bytes, partitions)),
            )
            // s3a://, gs://, abfss://: a store per bucket from the spark.hadoop.* keys.
            .with_object_store_registry(stores.clone())
            .build_arc()?;
        let mut session_config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_information_schema(true)
            .with_create_default_catalog_and_schema(false)
            .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_DATABASE);
        let options = session_config.options_mut();
        options.sql_parser.dialect = Dialect::Spark;
        // Spark sorts NULL as the smallest value: first ascending, last descending.
        options.sql_parser.default_null_ordering = "nulls_min".to_string();
        // Spark reads `1.5` as DECIMAL(2,1), not DOUBLE.
        options.sql_parser.parse_float_as_decimal = true;
        options.execution.time_zone = Some(conf.time_zone().to_string());
        // Each sort keeps this much back for merging its spills; DataFusion's 10 MiB would
        // not fit the partitions of a small pool.
        options.execution.sort_spill_reservation_bytes = (pool_bytes / (4 * partitions)).min(10 << 20);
        set_broadcast_threshold(options, conf.broadcast_threshold()?);
        // DataFusion's own settings pass through by their names, for tuning.
        for (key, value) in conf.iter().filter(|(key, _)| key.starts_with("datafusion.")) {
            options.set(key, value)?;
        }
        let session_config = session_config.with_extension(Arc::new(crate::python::PythonSettings::from_conf(&conf)));
        let mut state = SessionStateBuilder::new()
            .with_config(session_config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_spark_features()
            .with_query_planner(Arc::new(crate::python::planner::FlintQueryPlanner));
        state.expr_planners().get_or_insert_with(Vec::new).insert(0, Arc::new(SparkDivision));
        let state = state.build();
        let ctx = SessionContext::new_with_state(state);
        if matches!(conf.master()?, config::Master::LocalCluster { .. }) {
            crate::planner::configure_session_for_stages(&ctx);
        }
        // datafusion-spark's avg returns DOUBLE for decimals; Spark returns DECIMAL(p + 4, s + 4).
        // Spark's try_avg is avg with NULL for overflow, as avg itself is with ANSI off.
        ctx.register_udaf(crate::spark::avg::spark_avg().with_aliases(["try_avg"]));
        for function in crate::spark::aggregate_rewrites::all() {
            ctx.register_udaf(function);
        }
        crate::spark::central_moments::all().into_iter().for_each(|function| ctx.register_udaf(function));
        ctx.register_udtf("range", Arc::new(crate::spark::range::SparkRange));
        crate::spark::non_ansi::all().into_iter().for_each(|function| ctx.register_udf(function));
        ctx.state_ref().write().register_function_rewrite(Arc::new(crate::spark::non_ansi::NonAnsiSemantics))?;
        ctx.register_udf(crate::spark::split::spark_split());
        ctx.register_udf(crate::spark::type_of::spark_typeof());
        crate::spark::raise_error::all().into_iter().for_each(|function| ctx.register_udf(function));
        ctx.register_udf(crate::spark::extract_value::spark_extract_value());
        ctx.register_udf(crate::spark::bround::spark_bround());
        ctx.register_udf(crate::spark::mask::spark_mask());
        ctx.register_udf(crate::spark::murmur3_hash::spark_hash());
        ctx.register_udf(crate::spark::concat::spark_concat());
        ctx.register_udf(crate::spark::flatten::spark_flatten());
        ctx.register_udf(crate::spark::arrays_overlap::spark_arrays_overlap());
        for function in crate::spark::array_append::all() {
            ctx.register_udf(function);
        }
        let rewrites = crate::spark::rewrites::all().into_iter().chain(crate::spark::collections::all());
        let rewrites = rewrites.chain(crate::spark::cast_functions::all()).chain(crate::spark::regexp::all());
        let rewrites = rewrites.chain(crate::spark::null_handling::all());
        let rewrites = rewrites.chain(crate::spark::locate::all());
        let rewrites = rewrites.chain(crate::spark::current_catalog::all());
        let rewrites = rewrites
            .chain(crate::spark::logarithms::all())
            .chain(crate::spark::array_sort::all())
            .chain(crate::spark::element_at::all())
            .chain(crate::spark::try_arithmetic::all());
        let rewrites = rewrites.chain(crate::spark::datetime::all()).chain(crate::spark::datetime_parse::all());
        let rewrites = rewrites.chain([crate::spark::intervals::make_ym_interval()]).chain(crate::spark::timestamp_units::all());
        let rewrites = rewrites.chain(crate::spark::make_timestamp::all()).chain([crate::spark::months_between::months_between()]);
        let rewrites = rewrites.chain(crate::spark::json_functions::all());
        let rewrites = rewrites.chain(crate::spark::json_path::all());
        let rewrites = rewrites.chain(crate::spark::csv::all());
        for function in rewrites {
            ctx.register_udf(function);
        }
        for function in crate::spark::higher_order::all() {
            ctx.register_higher_order_function(function);
        }
        let catalog = MemoryCatalogProvider::new();
        catalog.register_schema(DEFAULT_DATABASE, Arc::new(MemorySchemaProvider::new()))?;
        for (name, format) in PathTables::formats() {
            catalog.register_schema(name, Arc::new(PathTables::new(format, ctx.state_weak_ref())))?;
        }
        ctx.register_catalog(DEFAULT_CATALOG, Arc::new(catalog));
        let local = Arc::new(crate::local_runner::LocalJobRunner::new(ctx.state_weak_ref(), conf.max_result_size()?));
        Ok(Self {
            ctx,
            conf: Arc::new(Mutex::new(conf)),
            runner: Arc::new(Mutex::new(None)),
            local,
            cached_tables: Arc::default(),
            stores,
            app_hadoop_keys,
            catalog_tables: Arc::default(),
        })
    }

    /// Sends every later action to `runner` (a cluster backend) instead of running it here.
    pub fn set_job_runner(&self, runner: Arc<dyn crate::job_runner::JobRunner>) {
        *self.runner.lock() = Some(runner);
    }

    /// The cluster backend actions go to, if any, seen through this session (its jobs
    /// carry the session's Hadoop keys: [`crate::session_runner::SessionJobRunner`]).
    pub fn job_runner(&self) -> Option<Arc<dyn crate::job_runner::JobRunner>> {
        let backend = self.runner.lock().clone()?;
        Some(Arc::new(crate::session_runner::SessionJobRunner::new(backend, Arc::clone(&self.conf))))
    }

    /// The backend that runs this session's jobs: the cluster's, or this process's for
    /// `local[N]`.
    pub fn runner(&self) -> Arc<dyn crate::job_runner::JobRunner> {
        self.job_runner().unwrap_or_else(|| self.local.clone())
    }

    /// The names `CACHE TABLE` cached.
    pub(crate) fn cached_tables(&self) -> &Mutex<CachedTables> {
        &self.cached_tables
    }

    /// The session's catalog tables: where each keeps its files, and their properties.
    pub fn catalog_tables(&self) -> &Mutex<CatalogTables> {
        &self.catalog_tables
    }

    /// The database unqualified names resolve in (`USE db`, `spark.catalog.setCurrentDatabase`).
    pub fn current_database(&self) -> String {
        self.ctx.state().config().options().catalog.default_schema.clone()
    }

    /// Makes `database` (a schema of `spark_catalog`) the current one; fails with
    /// Spark's SCHEMA_NOT_FOUND when it does not exist.
    pub fn set_current_database(&self, database: &str) -> Result<()> {
        let exists = self.ctx.catalog(DEFAULT_CATALOG).is_some_and(|c| c.schema(database).is_some());
        if !exists {
            return Err(datafusion::error::DataFusionError::Plan(format!(
                "[SCHEMA_NOT_FOUND] The schema `{database}` cannot be found. Verify the spelling and correctness of \
                 the schema and catalog."
            ))
            .into());
        }
        self.ctx.state_ref().write().config_mut().options_mut().catalog.default_schema = database.to_string();
        Ok(())
    }

    /// The DataFusion context underneath, for the layers that plan and run jobs.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// A copy of the session's configuration.
    pub fn conf(&self) -> SparkConf {
        self.conf.lock().clone()
    }

    /// Sets a configuration key at run time (SQL `SET key=value`, the Config RPC); keys
    /// that shape planning take effect for the next query, `spark.hadoop.*` keys for the
    /// next read or write (on the driver and, with each job, on the executors), and
    /// `spark.sql.*` keys Flint would not honour are refused (see [`crate::sql_conf`]).
    pub fn set_conf(&self, key: &str, value: &str) -> Result<()> {
        crate::sql_conf::check_runtime_key(key, value)?;
        let mut conf = self.conf();
        conf.set(key, value);
        self.apply_conf(conf)
    }

    /// Unsets a configuration key at run time (the Config RPC's `unset`): it is back at
    /// its default for the next query, and a `spark.hadoop.*` key back at the
    /// application's value for the next read or write (as a Spark session's Hadoop
    /// configuration falls back to its SparkContext's).
    pub fn unset_conf(&self, key: &str) -> Result<()> {
        let mut conf = self.conf();
        conf.remove(key);
        let app_value = key.strip_prefix(crate::storage::SPARK_HADOOP_PREFIX).and_then(|hadoop_key| self.app_hadoop_keys.get(hadoop_key));
        if let Some(setting) = app_value {
            conf.set(key, setting.value);
        }
        self.apply_conf(conf)
    }

    /// Makes `conf` the session's configuration, applying what it changes to planning
    /// and to the object stores; nothing changes when a value cannot be used.
    fn apply_conf(&self, conf: SparkConf) -> Result<()> {
        let partitions = conf.shuffle_partitions()?;
        let time_zone = conf.time_zone().to_string();
        let broadcast = conf.broadcast_threshold()?;
        let state = self.ctx.state_ref();
        let mut state = state.write();
        state.config_mut().set_extension(Arc::new(crate::python::PythonSettings::from_conf(&conf)));
        let options = state.config_mut().options_mut();
        options.execution.target_partitions = partitions;
        options.execution.time_zone = Some(time_zone);
        set_broadcast_threshold(options, broadcast);
        self.stores.set_conf(HadoopConf::from_spark(&conf));
        *self.conf.lock() = conf;
        Ok(())
    }

    /// Runs one SQL statement: queries stay lazy, DDL and `SET` take effect at once.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        let mut statements = parse_statements(sql)?;
        let statement = match (statements.pop_front(), statements.is_empty()) {
            (Some(statement), true) => statement,
            (None, _) => {
                return Err(datafusion::error::DataFusionError::Plan(
                    "no SQL statement was given".to_string(),
                )
                .into());
            }
            (Some(_), false) => {
                return Err(datafusion::error::DataFusionError::Plan(
                    "spark.sql takes one statement; run a script statement by statement".to_string(),
                )
                .into());
            }
        };
        self.execute(statement).await
    }

    /// Plans one parsed statement, running it at once when it is DDL, `SET` or
    /// `CACHE TABLE`.
    pub async fn execute(&self, statement: Statement) -> Result<DataFrame> {
        if let Some((key, value)) = spark_set(&statement) {
            self.set_conf(&key, &value)?;
            return Ok(DataFrame::new(self.clone(), self.ctx.read_empty()?));
        }
        if let Some(df) = crate::managed_tables::execute(self, &statement).await? {
            return Ok(df);
        }
        if crate::cache_table::execute(self, &statement).await? {
            return Ok(DataFrame::new(self.clone(), self.ctx.read_empty()?));
        }
        let plan = self.ctx.state().statement_to_plan(temporary_as_session_view(statement)).await?;
        crate::spark::decimal_literals::check(&plan)?;
        let plan = crate::spark::integer_literals::narrow_output(plan)?;
        let df = self.ctx.execute_logical_plan(plan).await?;
        Ok(DataFrame::new(self.clone(), df))
    }

    /// A reader for files, as `spark.read`.
    pub fn read(&self) -> DataFrameReader {
        DataFrameReader::new(self.clone())
    }

    /// A table or view by name, as `spark.table`.
    pub async fn table(&self, name: &str) -> Result<DataFrame> {
        Ok(DataFrame::new(self.clone(), self.ctx.table(name).await?))
    }
}

/// Spark broadcasts a join side estimated below spark.sql.autoBroadcastJoinThreshold
/// (`bytes`, 0 for off); DataFusion's CollectLeft join is that broadcast, decided by
/// rows too when sizes are unknown, so off means off by rows as well.
fn set_broadcast_threshold(options: &mut datafusion::config::ConfigOptions, bytes: usize) {
    options.optimizer.hash_join_single_partition_threshold = bytes;
    options.optimizer.hash_join_single_partition_threshold_rows =
        if bytes == 0 { 0 } else { datafusion::config::OptimizerOptions::default().hash_join_single_partition_threshold_rows };
}

/// `CREATE TEMPORARY VIEW` as a plain view: the session's catalog lives in memory and
/// dies with the session, which is what Spark's temporary views do.
fn temporary_as_session_view(statement: Statement) -> Statement {
    match statement {
        Statement::Statement(mut inner) => {
            if let SqlStatement::CreateView(view) = inner.as_mut() {
                view.temporary = false;
            }
            Statement::Statement(inner)
        }
        other => other,
    }
}

/// `SET spark.x = value` as a key and value; other statements give `None`.
fn spark_set(statement: &Statement) -> Option<(String, String)> {
    let Statement::Statement(inner) = statement else {
        return None;
    };
    let SqlStatement::Set(Set::SingleAssignment { variable, values, .. }) = inner.as_ref() else {
        return None;
    };
    let key = variable.to_string();
    if !key.to_ascii_lowercase().starts_with("spark.") {
        return None;
    }
    let value = values
        .iter()
        .map(|v| v.to_string().trim_matches(['\'', '"']).to_string())
        .collect::<Vec<_>>()
        .join(",");
    Some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_merge_reads_what_a_partitions_share_of_the_pool_holds() {
        assert_eq!(spill_merge_fan_in(8 << 20, 2), 4);
        assert_eq!(spill_merge_fan_in(1 << 20, 8), 2, "a merge needs two files");
        assert_eq!(spill_merge_fan_in(1 << 30, 2), MAX_SPILL_MERGE_FAN_IN);
    }

    #[test]
    fn datafusion_settings_pass_through() {
        let session = FlintSession::builder().config("datafusion.execution.batch_size", "1024").build();
        let batch_size = session.map(|s| s.context().copied_config().batch_size()).ok();
        assert_eq!(batch_size, Some(1024));
        let unknown = FlintSession::builder().config("datafusion.no.such.key", "1").build();
        assert!(unknown.is_err());
    }

    #[test]
    fn hadoop_keys_set_at_run_time_reach_the_object_stores_and_unset_ones_fall_back() -> Result<()> {
        let endpoint = "spark.hadoop.fs.s3a.endpoint";
        let session = FlintSession::builder().config(endpoint, "http://127.0.0.1:1").build()?;
        let in_use = |s: &FlintSession| s.stores.conf().get("fs.s3a.endpoint").map(|s| s.value);
        session.set_conf(endpoint, "http://127.0.0.1:2")?;
        session.set_conf("spark.hadoop.fs.s3a.path.style.access", "true")?;
        assert_eq!(in_use(&session).as_deref(), Some("http://127.0.0.1:2"));
        session.unset_conf(endpoint)?;
        session.unset_conf("spark.hadoop.fs.s3a.path.style.access")?;
        assert_eq!(in_use(&session).as_deref(), Some("http://127.0.0.1:1"), "back at the application's value");
        assert_eq!(session.stores.conf(), HadoopConf::from_spark(&session.conf()));
        assert!(session.conf().get("spark.hadoop.fs.s3a.path.style.access").is_none());
        Ok(())
    }
}
