//! Connect relations (`spark.connect.Relation`) as lazy Flint DataFrames.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{Column, DFSchema, JoinType, ScalarValue, TableReference};
use datafusion::datasource::MemTable;
use datafusion::functions::expr_fn::{coalesce, random};
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, ExprSchemable, GroupingSet, LogicalPlan, LogicalPlanBuilder, SortExpr, cast, col, lit,
};
use flint_engine::{DataFrame, FlintSession};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use spark_connect_proto::aggregate::GroupType;
use spark_connect_proto::expression::ExprType;
use spark_connect_proto::join::JoinType as ConnectJoinType;
use spark_connect_proto::read::ReadType;
use spark_connect_proto::relation::RelType;
use spark_connect_proto::set_operation::SetOpType;
use spark_connect_proto::{Expression, Relation};

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::local_relation;
use crate::plan::names::spark_name;
use crate::plan::{stat_functions, statistics};

/// Plans the relations of one request. Remembers the qualifier given to each client plan
/// id so that `df["col"]` references resolve after joins.
pub struct RelationPlanner {
    session: FlintSession,
    artifacts: Option<crate::session_manager::Artifacts>,
    persisted: Option<crate::session_manager::Persisted>,
    qualifiers: Mutex<HashMap<i64, String>>,
    subqueries: Mutex<HashMap<i64, Arc<LogicalPlan>>>,
    aliases: AtomicUsize,
}

impl RelationPlanner {
    /// A planner over `session`.
    pub fn new(session: FlintSession) -> Self {
        Self {
            session,
            artifacts: None,
            persisted: None,
            qualifiers: Mutex::new(HashMap::new()),
            subqueries: Mutex::new(HashMap::new()),
            aliases: AtomicUsize::new(0),
        }
    }

    /// A planner over a Connect session: its uploaded local relations and the relations
    /// it persisted.
    pub fn for_session(session: &crate::session_manager::ConnectSession) -> Self {
        let mut planner = Self::new(session.flint.clone()).with_artifacts(session.artifacts.clone());
        planner.persisted = Some(session.persisted.clone());
        planner
    }

    /// A planner that can read the session's cached local relations.
    pub fn with_artifacts(mut self, artifacts: crate::session_manager::Artifacts) -> Self {
        self.artifacts = Some(artifacts);
        self
    }

    fn artifact(&self, hash: &str) -> Result<bytes::Bytes> {
        let name = format!("cache/{hash}");
        self.artifacts.as_ref().and_then(|a| a.lock().get(&name).cloned()).ok_or_else(|| {
            ConnectError::InvalidPlan { reason: format!("cached local relation {hash} was not uploaded") }
        })
    }

    /// The lazy DataFrame of `relation`.
    pub fn plan<'a>(&'a self, relation: &'a Relation) -> BoxFuture<'a, Result<DataFrame>> {
        Box::pin(self.plan_inner(relation))
    }

    /// Converts expressions against `df`'s schema.
    pub fn with_exprs<T>(&self, df: &DataFrame, f: impl FnOnce(&ExprConverter<'_>) -> Result<T>) -> Result<T> {
        let state = self.session.context().state();
        let qualifiers = self.qualifiers.lock().clone();
        let subqueries = self.subqueries.lock().clone();
        let converter = ExprConverter {
            schema: df.inner().schema(),
            state: &state,
            plan_qualifiers: &qualifiers,
            subqueries: &subqueries,
        };
        f(&converter)
    }

    /// The session the relations are planned in.
    pub(crate) fn session(&self) -> &FlintSession {
        &self.session
    }

    /// Makes the relation with client plan id `plan_id` available to subquery
    /// expressions (`df.scalar()`, `df.exists()`, `col.isin(df)`).
    pub(crate) fn add_subquery(&self, plan_id: i64, plan: LogicalPlan) {
        self.subqueries.lock().insert(plan_id, Arc::new(plan));
    }

    /// The DataFrame of a relation's required input.
    pub(crate) async fn input(&self, input: Option<&Relation>, what: &str) -> Result<DataFrame> {
        match input {
            Some(input) => self.plan(input).await,
            None => Err(ConnectError::InvalidPlan { reason: format!("{what} without an input relation") }),
        }
    }

    /// `df` as a Flint DataFrame of this session.
    pub(crate) fn wrap(&self, df: datafusion::dataframe::DataFrame) -> DataFrame {
        DataFrame::new(self.session.clone(), df)
    }

    async fn plan_inner(&self, relation: &Relation) -> Result<DataFrame> {
        let Some(rel_type) = relation.rel_type.as_ref() else {
            return Err(ConnectError::InvalidPlan { reason: "relation without a type".into() });
        };
        let df = match rel_type {
            RelType::Range(range) => {
                let start = range.start.unwrap_or(0);
                // Spark: "requirement failed: step (0) cannot be 0"; never a silent step of 1.
                if range.step == 0 {
                    return Err(ConnectError::InvalidPlan { reason: "range step (0) cannot be 0".into() });
                }
                let step = range.step;
                // numPartitions splits the rows as Spark does (spark_partition_id() sees it).
                let partitions = range.num_partitions.map(|n| format!(", {n}")).unwrap_or_default();
                self.session.sql(&format!("SELECT id FROM range({start}, {}, {step}{partitions})", range.end)).await?
            }
            RelType::Sql(sql) => {
                let df = crate::plan::sql_parameters::plan(self, sql).await?;
                spark_sql_names(self, df)?
            }
            RelType::WithRelations(with) => crate::plan::with_relations::plan(self, with).await?,
            RelType::LocalRelation(local) => local_relation::read(&self.session, local)?,
            RelType::CachedLocalRelation(cached) => {
                let data = self.artifact(&cached.hash)?;
                local_relation::read_chunks(&self.session, &[data], None)?
            }
            RelType::ChunkedCachedLocalRelation(chunked) => {
                let chunks = chunked.data_hashes.iter().map(|h| self.artifact(h)).collect::<Result<Vec<_>>>()?;
                let schema = match &chunked.schema_hash {
                    Some(hash) => Some(String::from_utf8_lossy(&self.artifact(hash)?).into_owned()),
                    None => None,
                };
                local_relation::read_chunks(&self.session, &chunks, schema.as_deref())?
            }
            RelType::Read(read) => self.read(read).await?,
            RelType::Project(project) => {
                let input = match project.input.as_deref() {
                    Some(input) => self.plan(input).await?,
                    None => self.wrap(self.session.context().read_batch(RecordBatch::try_new_with_options(
                        Arc::new(Schema::empty()),
                        vec![],
                        &arrow::array::RecordBatchOptions::new().with_row_count(Some(1)),
                    )?)?),
                };
                if project.expressions.iter().any(crate::plan::generators::is_generator) {
                    crate::plan::generators::select(self, &input, &project.expressions)?
                } else {
                    let exprs = self.with_exprs(&input, |c| projection(c, &input, &project.expressions))?;
                    self.wrap(flint_engine::dataframe::select_with_aggregates(input.inner().clone(), exprs)?)
                }
            }
            RelType::Filter(filter) => {
                let input = self.input(filter.input.as_deref(), "filter").await?;
                let condition = filter.condition.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
                    reason: "filter without a condition".into(),
                })?;
                match self.with_exprs(&input, |c| c.expr(condition)) {
                    Ok(predicate) => self.wrap(input.inner().clone().filter(predicate)?),
                    Err(error @ ConnectError::UnresolvedColumn { .. }) => {
                        // Spark resolves a filter on a column the select dropped against
                        // the select's input: filter first, then project.
                        let pushed = below_projection(filter.input.as_deref(), |child| {
                            RelType::Filter(Box::new(spark_connect_proto::Filter {
                                input: Some(Box::new(child)),
                                condition: Some(condition.clone()),
                            }))
                        });
                        match pushed {
                            Some(relation) => self.plan(&relation).await?,
                            None => return Err(error),
                        }
                    }
                    Err(error) => return Err(error),
                }
            }
            RelType::Sort(sort) => {
                let input = self.input(sort.input.as_deref(), "sort").await?;
                match self.with_exprs(&input, |c| sort.order.iter().map(|o| c.sort(o)).collect::<Result<Vec<_>>>()) {
                    Ok(keys) => self.wrap(input.inner().clone().sort(keys)?),
                    Err(error @ ConnectError::UnresolvedColumn { .. }) => {
                        // As for filters: sort by a dropped column below the select.
                        let pushed = below_projection(sort.input.as_deref(), |child| {
                            RelType::Sort(Box::new(spark_connect_proto::Sort {
                                input: Some(Box::new(child)),
                                order: sort.order.clone(),
                                is_global: sort.is_global,
                            }))
                        });
                        match pushed {
                            Some(relation) => self.plan(&relation).await?,
                            None => return Err(error),
                        }
                    }
                    Err(error) => return Err(error),
                }
            }
            RelType::Limit(limit) => {
                let input = self.input(limit.input.as_deref(), "limit").await?;
                self.wrap(input.inner().clone().limit(0, Some(non_negative(limit.limit, "limit")?))?)
            }
            RelType::Offset(offset) => {
                let input = self.input(offset.input.as_deref(), "offset").await?;
                self.wrap(input.inner().clone().limit(non_negative(offset.offset, "offset")?, None)?)
            }
            RelType::Tail(tail) => {
                let input = self.input(tail.input.as_deref(), "tail").await?;
                let n = non_negative(tail.limit, "tail")?;
                let batches = input.collect().await?;
                let schema = input.schema();
                let all = arrow::compute::concat_batches(&schema, &batches)?;
                let skip = all.num_rows().saturating_sub(n);
                self.memory(schema, vec![all.slice(skip, all.num_rows() - skip)])?
            }
            RelType::Aggregate(aggregate) => self.aggregate(aggregate).await?,
            RelType::Join(join) => self.join(join).await?,
            RelType::SetOp(set_op) => self.set_op(set_op).await?,
            RelType::SubqueryAlias(alias) => {
                let input = self.input(alias.input.as_deref(), "alias").await?;
                self.wrap(input.inner().clone().alias(&alias.alias)?)
            }
            RelType::Repartition(r) => self.input(r.input.as_deref(), "repartition").await?,
            RelType::RepartitionByExpression(r) => self.input(r.input.as_deref(), "repartition").await?,
            RelType::Hint(h) => self.input(h.input.as_deref(), "hint").await?,
            RelType::ToDf(to_df) => {
                let input = self.input(to_df.input.as_deref(), "toDF").await?;
                let columns = input_columns(&input);
                if columns.len() != to_df.column_names.len() {
                    return Err(ConnectError::IllegalArgument {
                        reason: format!(
                            "[TOO_MANY_ARRAY_ELEMENTS] toDF expects {} column names, got {}",
                            columns.len(),
                            to_df.column_names.len()
                        ),
                    });
                }
                let exprs = columns.into_iter().zip(&to_df.column_names).map(|(c, n)| Expr::Column(c).alias(n)).collect::<Vec<_>>();
                self.wrap(input.inner().clone().select(exprs)?)
            }
            RelType::WithColumnsRenamed(renamed) => {
                let input = self.input(renamed.input.as_deref(), "withColumnsRenamed").await?;
                let mut pairs: Vec<(String, String)> =
                    renamed.renames.iter().map(|r| (r.col_name.clone(), r.new_col_name.clone())).collect();
                pairs.extend(renamed.rename_columns_map.iter().map(|(k, v)| (k.clone(), v.clone())));
                let exprs = input_columns(&input)
                    .into_iter()
                    .map(|c| match pairs.iter().find(|(old, _)| old.eq_ignore_ascii_case(&c.name)) {
                        Some((_, new)) => Expr::Column(c).alias(new),
                        None => Expr::Column(c),
                    })
                    .collect::<Vec<_>>();
                self.wrap(input.inner().clone().select(exprs)?)
            }
            RelType::WithColumns(with) => {
                let input = self.input(with.input.as_deref(), "withColumns").await?;
                let exprs = self.with_exprs(&input, |c| {
                    let mut exprs: Vec<Expr> = input_columns(&input).into_iter().map(Expr::Column).collect();
                    for alias in &with.aliases {
                        let name = alias.name.join(".");
                        let inner = alias.expr.as_deref().ok_or_else(|| ConnectError::InvalidPlan {
                            reason: format!("withColumn '{name}' without an expression"),
                        })?;
                        let value = c.expr(inner)?.alias(&name);
                        let existing = exprs.iter().position(|e| match e {
                            Expr::Column(col) => col.name.eq_ignore_ascii_case(&name),
                            Expr::Alias(a) => a.name.eq_ignore_ascii_case(&name),
                            _ => false,
                        });
                        match existing {
                            Some(i) => exprs[i] = value,
                            None => exprs.push(value),
                        }
                    }
                    Ok(exprs)
                })?;
                self.wrap(input.inner().clone().select(exprs)?)
            }
            RelType::Drop(drop) => {
                let input = self.input(drop.input.as_deref(), "drop").await?;
                // By name, every column of that name goes (names compare case-insensitively,
                // a name no column has is ignored), as Spark's `drop(colName)` does.
                let mut dropped: Vec<Column> = input_columns(&input)
                    .into_iter()
                    .filter(|c| drop.column_names.iter().any(|name| c.name.eq_ignore_ascii_case(name)))
                    .collect();
                // A Column names one attribute; one that does not resolve is ignored.
                dropped.extend(self.with_exprs(&input, |c| {
                    Ok(drop
                        .columns
                        .iter()
                        .filter_map(|expr| match c.expr(expr) {
                            Ok(Expr::Column(column)) => Some(column),
                            _ => None,
                        })
                        .collect::<Vec<_>>())
                })?);
                let exprs = input_columns(&input)
                    .into_iter()
                    .filter(|c| !dropped.contains(c))
                    .map(Expr::Column)
                    .collect::<Vec<_>>();
                self.wrap(input.inner().clone().select(exprs)?)
            }
            RelType::Deduplicate(dedup) => {
                let input = self.input(dedup.input.as_deref(), "dropDuplicates").await?;
                if dedup.column_names.is_empty() || dedup.all_columns_as_keys == Some(true) {
                    self.wrap(input.inner().clone().distinct()?)
                } else {
                    let (keys, all) = self.with_exprs(&input, |c| {
                        let keys = dedup
                            .column_names
                            .iter()
                            .map(|n| c.column(n, None).map(Expr::Column))
                            .collect::<Result<Vec<_>>>()?;
                        Ok((keys, input_columns(&input).into_iter().map(Expr::Column).collect::<Vec<_>>()))
                    })?;
                    self.wrap(input.inner().clone().distinct_on(keys, all, None)?)
                }
            }
            RelType::Sample(sample) => {
                let input = self.input(sample.input.as_deref(), "sample").await?;
                if sample.with_replacement == Some(true) {
                    return Err(ConnectError::Unsupported { what: "sample withReplacement=True".into() });
                }
                let fraction = sample.upper_bound - sample.lower_bound;
                self.wrap(input.inner().clone().filter(random().lt(lit(fraction)))?)
            }
            RelType::ShowString(show) => {
                let input = self.input(show.input.as_deref(), "show").await?;
                let rows = non_negative(show.num_rows, "show numRows")?;
                let truncate = usize::try_from(show.truncate.max(0)).unwrap_or(0);
                let text = if show.vertical {
                    let batches = input.limit(rows.saturating_add(1))?.collect().await?;
                    flint_engine::spark::show::show_vertical(&input.schema(), &batches, rows, truncate)
                } else {
                    input.show_string(rows, truncate).await?
                };
                self.single_string("show_string", text)?
            }
            RelType::FillNa(fill) => {
                let input = self.input(fill.input.as_deref(), "fillna").await?;
                let values = fill.values.iter().map(crate::plan::literals::scalar).collect::<Result<Vec<_>>>()?;
                let exprs = fill_na(&input, &fill.cols, &values)?;
                self.wrap(input.inner().clone().select(exprs)?)
            }
            RelType::DropNa(drop) => {
                let input = self.input(drop.input.as_deref(), "dropna").await?;
                let columns = self.with_exprs(&input, |c| {
                    if drop.cols.is_empty() {
                        Ok(input_columns(&input))
                    } else {
                        drop.cols.iter().map(|n| c.column(n, None)).collect()
                    }
                })?;
                let required = drop.min_non_nulls.map(i64::from).unwrap_or(columns.len() as i64);
                let non_nulls = columns
                    .into_iter()
                    .map(|c| {
                        Expr::Case(Case::new(
                            None,
                            vec![(Box::new(Expr::Column(c).is_not_null()), Box::new(lit(1i64)))],
                            Some(Box::new(lit(0i64))),
                        ))
                    })
                    .reduce(|a, b| a + b)
                    .unwrap_or(lit(0i64));
                self.wrap(input.inner().clone().filter(non_nulls.gt_eq(lit(required)))?)
            }
            RelType::Describe(describe) => {
                let input = self.input(describe.input.as_deref(), "describe").await?;
                let stats: Vec<String> = statistics::DESCRIBE.iter().map(|s| (*s).to_string()).collect();
                let (schema, batch) = statistics::statistics(&input, &describe.cols, &stats).await?;
                self.memory(schema, vec![batch])?
            }
            RelType::Summary(summary) => {
                let input = self.input(summary.input.as_deref(), "summary").await?;
                let stats: Vec<String> = if summary.statistics.is_empty() {
                    statistics::SUMMARY.iter().map(|s| (*s).to_string()).collect()
                } else {
                    summary.statistics.clone()
                };
                let (schema, batch) = statistics::statistics(&input, &[], &stats).await?;
                self.memory(schema, vec![batch])?
            }
            RelType::Cov(stat) => {
                let input = self.input(stat.input.as_deref(), "cov").await?;
                stat_functions::cov(self, &input, &stat.col1, &stat.col2).await?
            }
            RelType::Corr(stat) => {
                let input = self.input(stat.input.as_deref(), "corr").await?;
                stat_functions::corr(self, &input, &stat.col1, &stat.col2, stat.method.as_deref()).await?
            }
            RelType::ApproxQuantile(stat) => {
                let input = self.input(stat.input.as_deref(), "approxQuantile").await?;
                stat_functions::approx_quantile(self, &input, stat).await?
            }
            RelType::Crosstab(stat) => {
                let input = self.input(stat.input.as_deref(), "crosstab").await?;
                stat_functions::crosstab(self, &input, stat).await?
            }
            RelType::FreqItems(stat) => {
                let input = self.input(stat.input.as_deref(), "freqItems").await?;
                stat_functions::freq_items(self, &input, stat).await?
            }
            RelType::SampleBy(stat) => {
                let input = self.input(stat.input.as_deref(), "sampleBy").await?;
                stat_functions::sample_by(self, &input, stat).await?
            }
            RelType::UnresolvedTableValuedFunction(call) => {
                crate::plan::table_functions::table_function(self, call).await?
            }
            RelType::Catalog(catalog) => crate::plan::catalog::catalog(&self.session, catalog).await?,
            RelType::Unpivot(unpivot) => {
                let input = self.input(unpivot.input.as_deref(), "unpivot").await?;
                self.unpivot(&input, unpivot)?
            }
            RelType::MapPartitions(map) => crate::plan::python_relations::map_partitions(self, map).await?,
            RelType::GroupMap(group) => crate::plan::python_relations::group_map(self, group).await?,
            RelType::CoGroupMap(cogroup) => crate::plan::python_relations::cogroup_map(self, cogroup).await?,
            RelType::Replace(replace) => {
                let input = self.input(replace.input.as_deref(), "replace").await?;
                let exprs = na_replace(&input, replace)?;
                self.wrap(input.inner().clone().select(exprs)?)
            }
            other => {
                return Err(ConnectError::Unsupported { what: format!("relation {}", rel_name(other)) });
            }
        };
        // Planned anyway, so the plan ids inside a persisted relation stay known.
        let df = self.persisted(relation).unwrap_or(df);
        if let Some(plan_id) = relation.common.as_ref().and_then(|c| c.plan_id) {
            let qualifier = df.inner().schema().iter().find_map(|(q, _)| q.map(|q| q.table().to_string()));
            if let Some(qualifier) = qualifier {
                self.qualifiers.lock().insert(plan_id, qualifier);
            }
        }
        Ok(df)
    }

    /// The DataFrame reading the cache of `relation`, if the client persisted it.
    fn persisted(&self, relation: &Relation) -> Option<DataFrame> {
        let persisted = self.persisted.as_ref()?.lock();
        if persisted.is_empty() {
            return None;
        }
        persisted.get(&prost::Message::encode_to_vec(relation)).cloned()
    }

    /// A DataFrame of `batches` held in memory.
    pub(crate) fn memory(&self, schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<DataFrame> {
        let table = MemTable::try_new(schema, vec![batches])?;
        Ok(self.wrap(self.session.context().read_table(Arc::new(table))?))
    }

    fn single_string(&self, name: &str, text: String) -> Result<DataFrame> {
        let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(vec![text]))])?;
        self.memory(schema, vec![batch])
    }

    async fn read(&self, read: &spark_connect_proto::Read) -> Result<DataFrame> {
        match read.read_type.as_ref() {
            Some(ReadType::NamedTable(table)) => Ok(self.session.table(&table.unparsed_identifier).await?),
            Some(ReadType::DataSource(source)) => {
                let mut reader = self.session.read().format(source.format.as_deref().unwrap_or("parquet"));
                for (key, value) in &source.options {
                    reader = reader.option(key, value);
                }
                if let Some(schema) = source.schema.as_deref().filter(|s| !s.trim().is_empty()) {
                    reader = reader.schema(Arc::new(local_relation::parse_schema(schema)?));
                }
                let paths: Vec<&str> = source.paths.iter().map(String::as_str).collect();
                Ok(reader.load(&paths).await?)
            }
            None => Err(ConnectError::InvalidPlan { reason: "read without a source".into() }),
        }
    }

    /// `unpivot(ids, values, var, val)`: one row per input row and value column.
    fn unpivot(&self, input: &DataFrame, unpivot: &spark_connect_proto::Unpivot) -> Result<DataFrame> {
        let (ids, values) = self.with_exprs(input, |c| {
            let ids = unpivot.ids.iter().map(|e| c.named(e)).collect::<Result<Vec<_>>>()?;
            let values = match &unpivot.values {
                Some(values) => values
                    .values
                    .iter()
                    .map(|e| Ok((spark_name(e), c.expr(e)?)))
                    .collect::<Result<Vec<_>>>()?,
                None => {
                    let id_names: Vec<String> = ids.iter().map(|e| e.schema_name().to_string()).collect();
                    input_columns(input)
                        .into_iter()
                        .filter(|col| !id_names.iter().any(|n| n == &col.name || n.ends_with(&format!(".{}", col.name))))
                        .map(|col| (col.name.clone(), Expr::Column(col)))
                        .collect()
                }
            };
            Ok((ids, values))
        })?;
        let Some((_, first)) = values.first() else {
            return Err(ConnectError::IllegalArgument {
                reason: "[UNPIVOT_REQUIRES_VALUE_COLUMNS] At least one value column needs to be specified for UNPIVOT".into(),
            });
        };
        let value_type = first.get_type(input.inner().schema())?;
        let mut result: Option<datafusion::dataframe::DataFrame> = None;
        for (name, value) in values {
            let mut exprs = ids.clone();
            exprs.push(lit(name).alias(&unpivot.variable_column_name));
            exprs.push(cast(value, value_type.clone()).alias(&unpivot.value_column_name));
            let part = input.inner().clone().select(exprs)?;
            result = Some(match result {
                Some(acc) => acc.union(part)?,
                None => part,
            });
        }
        result.map(|df| self.wrap(df)).ok_or_else(|| ConnectError::InvalidPlan { reason: "unpivot without values".into() })
    }

    async fn aggregate(&self, aggregate: &spark_connect_proto::Aggregate) -> Result<DataFrame> {
        let input = self.input(aggregate.input.as_deref(), "aggregate").await?;
        let group_type = GroupType::try_from(aggregate.group_type).unwrap_or(GroupType::Groupby);
        if group_type == GroupType::Pivot {
            return self.pivot(&input, aggregate).await;
        }
        let (groups, aggs) = self.with_exprs(&input, |c| {
            let groups = aggregate.grouping_expressions.iter().map(|e| c.named(e)).collect::<Result<Vec<_>>>()?;
            let aggs = aggregate.aggregate_expressions.iter().map(|e| c.named(e)).collect::<Result<Vec<_>>>()?;
            Ok((groups, aggs))
        })?;
        let groups = match group_type {
            GroupType::Rollup => vec![Expr::GroupingSet(GroupingSet::Rollup(groups))],
            GroupType::Cube => vec![Expr::GroupingSet(GroupingSet::Cube(groups))],
            _ => groups,
        };
        let df = input.inner().clone().aggregate(groups, aggs)?;
        // Rollup and cube add an internal grouping id column: keep only Spark's columns.
        let keep: Vec<Expr> = df
            .schema()
            .columns()
            .into_iter()
            .filter(|c| !c.name.starts_with("__grouping_id"))
            .map(Expr::Column)
            .collect();
        Ok(self.wrap(df.select(keep)?))
    }

    async fn pivot(&self, input: &DataFrame, aggregate: &spark_connect_proto::Aggregate) -> Result<DataFrame> {
        let pivot = aggregate.pivot.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
            reason: "pivot without a pivot column".into(),
        })?;
        let pivot_col = pivot.col.as_ref().ok_or_else(|| ConnectError::InvalidPlan {
            reason: "pivot without a pivot column".into(),
        })?;
        let mut values: Vec<ScalarValue> =
            pivot.values.iter().map(crate::plan::literals::scalar).collect::<Result<_>>()?;
        if values.is_empty() {
            let column = self.with_exprs(input, |c| c.expr(pivot_col))?;
            let distinct = input.inner().clone().select(vec![column.clone().alias("v")])?.distinct()?.sort(vec![
                SortExpr::new(col("v"), true, true),
            ])?;
            for batch in distinct.collect().await? {
                for row in 0..batch.num_rows() {
                    values.push(ScalarValue::try_from_array(batch.column(0), row)?);
                }
            }
        }
        let (groups, aggs) = self.with_exprs(input, |c| {
            let pivot_expr = c.expr(pivot_col)?;
            let groups = aggregate.grouping_expressions.iter().map(|e| c.named(e)).collect::<Result<Vec<_>>>()?;
            let mut aggs = Vec::new();
            for value in &values {
                for agg in &aggregate.aggregate_expressions {
                    let Some(ExprType::UnresolvedFunction(f)) = agg.expr_type.as_ref() else {
                        return Err(ConnectError::Unsupported { what: "pivot over a non-function aggregate".into() });
                    };
                    let mut f = f.clone();
                    let condition = pivot_expr.clone().eq(Expr::Literal(value.clone(), None));
                    let args = f
                        .arguments
                        .drain(..)
                        .map(|a| {
                            let e = c.expr(&a)?;
                            Ok(Expr::Case(Case::new(None, vec![(Box::new(condition.clone()), Box::new(e))], None)))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let call = crate::plan::functions::call(c.state, &f.function_name, args, f.is_distinct, c.schema)?;
                    let value_name = if value.is_null() { "null".to_string() } else { value.to_string() };
                    let name = if aggregate.aggregate_expressions.len() == 1 {
                        value_name
                    } else {
                        format!("{value_name}_{}", spark_name(agg))
                    };
                    aggs.push(call.alias(name));
                }
            }
            Ok((groups, aggs))
        })?;
        Ok(self.wrap(input.inner().clone().aggregate(groups, aggs)?))
    }

    async fn join(&self, join: &spark_connect_proto::Join) -> Result<DataFrame> {
        let left = self.qualified(self.input(join.left.as_deref(), "join").await?, join.left.as_deref())?;
        let right = self.qualified(self.input(join.right.as_deref(), "join").await?, join.right.as_deref())?;
        let join_type = match ConnectJoinType::try_from(join.join_type).unwrap_or(ConnectJoinType::Inner) {
            ConnectJoinType::Unspecified | ConnectJoinType::Inner | ConnectJoinType::Cross => JoinType::Inner,
            ConnectJoinType::FullOuter => JoinType::Full,
            ConnectJoinType::LeftOuter => JoinType::Left,
            ConnectJoinType::RightOuter => JoinType::Right,
            ConnectJoinType::LeftAnti => JoinType::LeftAnti,
            ConnectJoinType::LeftSemi => JoinType::LeftSemi,
        };
        if !join.using_columns.is_empty() {
            let how = match join_type {
                JoinType::Full => "full",
                JoinType::Left => "left",
                JoinType::Right => "right",
                JoinType::LeftAnti => "left_anti",
                JoinType::LeftSemi => "left_semi",
                _ => "inner",
            };
            // Resolve the key names case-insensitively against the left side.
            let keys = self.with_exprs(&left, |c| {
                join.using_columns.iter().map(|k| c.column(k, None).map(|c| c.name)).collect::<Result<Vec<_>>>()
            })?;
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            return Ok(left.join_using(&right, &keys, how)?);
        }
        let (state, left_plan) = left.inner().clone().into_parts();
        let (_, right_plan) = right.inner().clone().into_parts();
        let builder = LogicalPlanBuilder::from(left_plan);
        let plan = match join.join_condition.as_ref() {
            None => builder.join_on(right_plan, join_type, None)?.build()?,
            Some(condition) => {
                let combined = left.inner().schema().join(right.inner().schema())?;
                let qualifiers = self.qualifiers.lock().clone();
                let subqueries = self.subqueries.lock().clone();
                let converter = ExprConverter {
                    schema: &combined,
                    state: &state,
                    plan_qualifiers: &qualifiers,
                    subqueries: &subqueries,
                };
                let on = converter.expr(condition)?;
                builder.join_on(right_plan, join_type, [on])?.build()?
            }
        };
        Ok(self.wrap(datafusion::dataframe::DataFrame::new(state, plan)))
    }

    /// `df` with a qualifier on every column, so both sides of a join can be told apart.
    fn qualified(&self, df: DataFrame, relation: Option<&Relation>) -> Result<DataFrame> {
        // An aliased relation or a join keeps its qualifiers (`a.id` must still resolve).
        let keeps_qualifiers = matches!(
            relation.and_then(|r| r.rel_type.as_ref()),
            Some(RelType::SubqueryAlias(_) | RelType::Join(_))
        );
        if keeps_qualifiers && df.inner().schema().iter().all(|(q, _)| q.is_some()) {
            return Ok(df);
        }
        let plan_id = relation.and_then(|r| r.common.as_ref()).and_then(|c| c.plan_id);
        let alias = match plan_id {
            Some(id) => format!("__plan_{id}"),
            None => format!("__join_{}", self.aliases.fetch_add(1, Ordering::Relaxed)),
        };
        if let Some(id) = plan_id {
            self.qualifiers.lock().insert(id, alias.clone());
        }
        Ok(self.wrap(df.inner().clone().alias(&alias)?))
    }

    async fn set_op(&self, set_op: &spark_connect_proto::SetOperation) -> Result<DataFrame> {
        let left = self.input(set_op.left_input.as_deref(), "set operation").await?;
        let right = self.input(set_op.right_input.as_deref(), "set operation").await?;
        let (left, right) = (left.inner().clone(), right.inner().clone());
        let all = set_op.is_all.unwrap_or(false);
        let by_name = set_op.by_name.unwrap_or(false);
        let df = match (SetOpType::try_from(set_op.set_op_type).unwrap_or(SetOpType::Union), all, by_name) {
            (SetOpType::Union, true, false) => left.union(right)?,
            (SetOpType::Union, false, false) => left.union_distinct(right)?,
            (SetOpType::Union, true, true) => left.union_by_name(right)?,
            (SetOpType::Union, false, true) => left.union_by_name_distinct(right)?,
            (SetOpType::Intersect, true, _) => left.intersect(right)?,
            (SetOpType::Intersect, false, _) => left.intersect_distinct(right)?,
            (SetOpType::Except, true, _) => except_all(left, right)?,
            (SetOpType::Except, false, _) => left.except_distinct(right)?,
            (SetOpType::Unspecified, ..) => {
                return Err(ConnectError::InvalidPlan { reason: "set operation without a type".into() });
            }
        };
        Ok(self.wrap(df))
    }
}

/// `exceptAll`: each row of `left` survives as many times as it occurs there more often
/// than in `right`. Rows are numbered within their duplicates on both sides first, so a
/// distinct EXCEPT on (row, number) keeps exactly the surplus copies.
fn except_all(
    left: datafusion::dataframe::DataFrame,
    right: datafusion::dataframe::DataFrame,
) -> Result<datafusion::dataframe::DataFrame> {
    const NUMBER: &str = "__flint_dup_number";
    let names: Vec<String> = left.schema().fields().iter().map(|f| f.name().clone()).collect();
    let number = |df: datafusion::dataframe::DataFrame| -> Result<datafusion::dataframe::DataFrame> {
        let columns: Vec<Expr> = df
            .schema()
            .columns()
            .into_iter()
            .zip(&names)
            .map(|(c, name)| Expr::Column(c).alias(name))
            .collect();
        let renamed = df.select(columns)?;
        let keys: Vec<Expr> = names.iter().map(|n| col(Column::new_unqualified(n))).collect();
        let row_number = datafusion::functions_window::expr_fn::row_number()
            .partition_by(keys.clone())
            .build()?
            .alias(NUMBER);
        let mut exprs = keys;
        exprs.push(row_number);
        Ok(renamed.select(exprs)?)
    };
    let surplus = number(left)?.except_distinct(number(right)?)?;
    let keep: Vec<Expr> = names.iter().map(|n| col(Column::new_unqualified(n))).collect();
    Ok(surplus.select(keep)?)
}

/// `Project(X)` rewritten as `Project(op(X))` when `input` is a projection, so an
/// operator can use columns the projection drops (Spark's missing-reference rule).
fn below_projection(input: Option<&Relation>, op: impl FnOnce(Relation) -> RelType) -> Option<Relation> {
    let input = input?;
    let Some(RelType::Project(project)) = input.rel_type.as_ref() else {
        return None;
    };
    let child = project.input.as_deref()?.clone();
    let pushed = Relation { common: None, rel_type: Some(op(child)) };
    Some(Relation {
        common: input.common.clone(),
        rel_type: Some(RelType::Project(Box::new(spark_connect_proto::Project {
            input: Some(Box::new(pushed)),
            expressions: project.expressions.clone(),
        }))),
    })
}

/// `df` with its columns renamed as Spark names SQL output (see [`spark_sql_name`]).
pub(crate) fn spark_sql_names(planner: &RelationPlanner, df: DataFrame) -> Result<DataFrame> {
    let columns = input_columns(&df);
    if columns.iter().all(|c| crate::plan::names::spark_sql_name(&c.name) == c.name) {
        return Ok(df);
    }
    let exprs: Vec<Expr> = columns
        .into_iter()
        .map(|c| {
            let name = crate::plan::names::spark_sql_name(&c.name);
            if name == c.name { Expr::Column(c) } else { Expr::Column(c).alias(name) }
        })
        .collect();
    Ok(planner.wrap(df.inner().clone().select(exprs)?))
}

/// The columns of `df`, qualified as in its schema.
fn input_columns(df: &DataFrame) -> Vec<Column> {
    df.inner().schema().columns()
}

/// `select` expressions with `*` expanded and Spark's column names.
/// The expressions of a select, `*` and `s.*` expanded, each named as Spark names it.
pub(crate) fn projection(c: &ExprConverter<'_>, input: &DataFrame, exprs: &[Expression]) -> Result<Vec<Expr>> {
    let mut out = Vec::new();
    for expr in exprs {
        match expr.expr_type.as_ref() {
            Some(ExprType::UnresolvedStar(star)) => {
                let target = star.unparsed_target.as_deref().map(|t| t.trim_end_matches(".*"));
                out.extend(expand_star(c, input, target)?);
            }
            _ => match crate::plan::json_tuple::columns(c, expr)? {
                Some(columns) => out.extend(columns),
                None => out.push(c.named(expr)?),
            },
        }
    }
    Ok(out)
}

/// `*` (every column), `t.*` (the columns of the input aliased `t`) or `s.*` (the fields
/// of struct column `s`, each under its own name), as Spark expands them.
fn expand_star(c: &ExprConverter<'_>, input: &DataFrame, target: Option<&str>) -> Result<Vec<Expr>> {
    let schema = input.inner().schema();
    let of_qualifier = |keep: &dyn Fn(Option<&TableReference>) -> bool| -> Vec<Expr> {
        schema
            .iter()
            .filter(|(qualifier, _)| keep(*qualifier))
            .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
            .collect()
    };
    let Some(target) = target else { return Ok(of_qualifier(&|_| true)) };
    let columns = of_qualifier(&|qualifier| qualifier.is_some_and(|q| q.table().eq_ignore_ascii_case(target)));
    if !columns.is_empty() {
        return Ok(columns);
    }
    let cannot_expand = || ConnectError::CannotExpandStar {
        target: target.to_string(),
        columns: schema.fields().iter().map(|f| format!("`{}`", f.name())).collect::<Vec<_>>().join(", "),
    };
    let column = c.column(target, None).map_err(|_| cannot_expand())?;
    match schema.qualified_field_from_column(&column).map(|(_, f)| f.data_type().clone()) {
        Ok(DataType::Struct(fields)) => Ok(fields
            .iter()
            .map(|field| {
                datafusion::functions::core::get_field()
                    .call(vec![Expr::Column(column.clone()), datafusion::prelude::lit(field.name().as_str())])
                    .alias(field.name())
            })
            .collect()),
        _ => Err(cannot_expand()),
    }
}

fn non_negative(value: i32, what: &str) -> Result<usize> {
    usize::try_from(value).map_err(|_| ConnectError::IllegalArgument {
        reason: format!("{what} must be non-negative, got {value}"),
    })
}

/// `fillna`: each column whose type matches a value's gets nulls replaced by it.
fn fill_na(input: &DataFrame, cols: &[String], values: &[ScalarValue]) -> Result<Vec<Expr>> {
    let schema: &DFSchema = input.inner().schema();
    let mut exprs = Vec::new();
    for (qualifier, field) in schema.iter() {
        let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
        let chosen = if cols.is_empty() {
            values.first()
        } else {
            match cols.iter().position(|c| c.eq_ignore_ascii_case(field.name())) {
                Some(p) if values.len() == cols.len() => values.get(p),
                Some(_) => values.first(),
                None => None,
            }
        };
        let fits = |v: &ScalarValue| {
            let (vt, ft) = (v.data_type(), field.data_type());
            (vt.is_numeric() && ft.is_numeric())
                || (matches!(vt, DataType::Utf8) && matches!(ft, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8))
                || (vt == DataType::Boolean && *ft == DataType::Boolean)
        };
        match chosen.filter(|v| fits(v)) {
            Some(value) => {
                let filler = cast(Expr::Literal(value.clone(), None), field.data_type().clone());
                exprs.push(coalesce(vec![column, filler]).alias(field.name()));
            }
            None => exprs.push(column),
        }
    }
    Ok(exprs)
}

/// `na.replace`: in each chosen column whose type fits, values equal to an old value
/// become the new one.
fn na_replace(input: &DataFrame, replace: &spark_connect_proto::NaReplace) -> Result<Vec<Expr>> {
    let pairs = replace
        .replacements
        .iter()
        .map(|r| {
            let old = r.old_value.as_ref().map(crate::plan::literals::scalar).transpose()?;
            let new = r.new_value.as_ref().map(crate::plan::literals::scalar).transpose()?;
            Ok((old.unwrap_or(ScalarValue::Null), new.unwrap_or(ScalarValue::Null)))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut exprs = Vec::new();
    for (qualifier, field) in input.inner().schema().iter() {
        let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
        let chosen = replace.cols.is_empty() || replace.cols.iter().any(|c| c.eq_ignore_ascii_case(field.name()));
        let field_type = field.data_type();
        let fits = |v: &ScalarValue| {
            let vt = v.data_type();
            (vt.is_numeric() && field_type.is_numeric())
                || (matches!(vt, DataType::Utf8) && matches!(field_type, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8))
                || (vt == DataType::Boolean && *field_type == DataType::Boolean)
        };
        let whens: Vec<(Box<Expr>, Box<Expr>)> = pairs
            .iter()
            .filter(|(old, _)| chosen && fits(old))
            .map(|(old, new)| {
                let condition = column.clone().eq(cast(Expr::Literal(old.clone(), None), field_type.clone()));
                let value = cast(Expr::Literal(new.clone(), None), field_type.clone());
                (Box::new(condition), Box::new(value))
            })
            .collect();
        if whens.is_empty() {
            exprs.push(column);
        } else {
            exprs.push(Expr::Case(Case::new(None, whens, Some(Box::new(column)))).alias(field.name()));
        }
    }
    Ok(exprs)
}

fn rel_name(rel: &RelType) -> String {
    let debug = format!("{rel:?}");
    debug.split('(').next().unwrap_or("unknown").to_string()
}
