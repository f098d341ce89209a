//! Which job gets the next free slot: `spark.scheduler.mode=FIFO` (the default) or `FAIR`
//! with pools, as Spark's `FIFOSchedulingAlgorithm` and `FairSchedulingAlgorithm` have it.
//! Pure decisions.
//!
//! FIFO: the earliest submitted job first; a later job gets slots its elders leave.
//! FAIR: jobs go to the pool their `spark.scheduler.pool` names (`default` when unset;
//! pools not in `spark.scheduler.allocation.file` are created with weight 1, minShare 0
//! and FIFO inside). The next slot goes to the pool below its `minShare` with the fewest
//! running tasks for its share, else to the pool with the fewest running tasks per unit
//! of `weight`; inside a pool, to its first job (FIFO) or its job with the fewest running
//! tasks (FAIR).

use flint_engine::ids::JobId;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The pool jobs go to when they name none.
pub const DEFAULT_POOL: &str = "default";

/// `spark.scheduler.mode`, and a pool's `schedulingMode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SchedulingMode {
    /// First in, first out.
    #[default]
    Fifo,
    /// Fair sharing.
    Fair,
}

/// A `spark.scheduler.mode` value that is neither FIFO nor FAIR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheduling mode {value:?} in {key}: use FIFO or FAIR")]
pub struct UnknownSchedulingMode {
    /// The setting it was read from.
    pub key: String,
    /// The value.
    pub value: String,
}

impl SchedulingMode {
    /// Parses `FIFO` or `FAIR` (any case), read from `key`.
    pub fn parse(key: &str, value: &str) -> Result<Self, UnknownSchedulingMode> {
        match value.trim().to_ascii_uppercase().as_str() {
            "FIFO" => Ok(Self::Fifo),
            "FAIR" => Ok(Self::Fair),
            _ => Err(UnknownSchedulingMode { key: key.to_string(), value: value.to_string() }),
        }
    }
}

/// A pool's settings, from `spark.scheduler.allocation.file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConf {
    /// How jobs inside the pool share its slots.
    pub mode: SchedulingMode,
    /// Its share of slots against other pools.
    pub weight: u32,
    /// Slots it gets before weights count.
    pub min_share: u32,
}

impl Default for PoolConf {
    fn default() -> Self {
        Self { mode: SchedulingMode::Fifo, weight: 1, min_share: 0 }
    }
}

/// What a malformed allocation file says wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {element} {value:?} for pool {pool} in spark.scheduler.allocation.file: {expected}")]
pub struct BadAllocationFile {
    /// The pool.
    pub pool: String,
    /// The element (`weight`, `minShare`, `schedulingMode`).
    pub element: String,
    /// Its text.
    pub value: String,
    /// What it should be.
    pub expected: String,
}

/// The root scheduling mode and the configured pools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pools {
    mode: SchedulingMode,
    pools: BTreeMap<String, PoolConf>,
}

/// One job competing for a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobShare {
    /// The job.
    pub job: JobId,
    /// Its pool (`spark.scheduler.pool`), if it named one.
    pub pool: Option<String>,
    /// Its running tasks.
    pub running: usize,
}

impl Pools {
    /// Pools for `mode` with `pools` configured (others get [`PoolConf::default`]).
    pub fn new(mode: SchedulingMode, pools: BTreeMap<String, PoolConf>) -> Self {
        Self { mode, pools }
    }

    /// The root scheduling mode.
    pub fn mode(&self) -> SchedulingMode {
        self.mode
    }

    /// The jobs in the order the next free slot should be offered to them.
    pub fn order(&self, jobs: &[JobShare]) -> Vec<JobId> {
        let mut jobs: Vec<&JobShare> = jobs.iter().collect();
        jobs.sort_by_key(|share| share.job);
        if self.mode == SchedulingMode::Fifo {
            return jobs.into_iter().map(|share| share.job).collect();
        }
        let mut by_pool: BTreeMap<&str, Vec<&JobShare>> = BTreeMap::new();
        for share in jobs {
            by_pool.entry(share.pool.as_deref().unwrap_or(DEFAULT_POOL)).or_default().push(share);
        }
        let default = PoolConf::default();
        let mut pools: Vec<PoolShare<'_>> = by_pool
            .into_iter()
            .map(|(name, jobs)| PoolShare {
                name,
                conf: self.pools.get(name).unwrap_or(&default),
                running: jobs.iter().map(|share| share.running).sum(),
                jobs,
            })
            .collect();
        pools.sort_by(|a, b| {
            fair_order((a.conf.min_share, a.conf.weight, a.running), (b.conf.min_share, b.conf.weight, b.running))
                .then(a.name.cmp(b.name))
        });
        let mut order = Vec::new();
        for mut pool in pools {
            if pool.conf.mode == SchedulingMode::Fair {
                pool.jobs.sort_by(|a, b| fair_order((0, 1, a.running), (0, 1, b.running)).then(a.job.cmp(&b.job)));
            }
            order.extend(pool.jobs.into_iter().map(|share| share.job));
        }
        order
    }
}

/// One pool competing for a slot: its jobs and their running tasks.
struct PoolShare<'a> {
    name: &'a str,
    conf: &'a PoolConf,
    running: usize,
    jobs: Vec<&'a JobShare>,
}

/// Spark's `FairSchedulingAlgorithm.comparator` over (minShare, weight, running tasks):
/// a schedulable below its minimum share comes first, then the lower share of its minimum,
/// else the fewer running tasks per unit of weight.
fn fair_order(a: (u32, u32, usize), b: (u32, u32, usize)) -> Ordering {
    let (a_min, a_weight, a_running) = (a.0 as f64, a.1.max(1) as f64, a.2 as f64);
    let (b_min, b_weight, b_running) = (b.0 as f64, b.1.max(1) as f64, b.2 as f64);
    let (a_needy, b_needy) = (a_running < a_min, b_running < b_min);
    match (a_needy, b_needy) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (true, true) => (a_running / a_min.max(1.0)).total_cmp(&(b_running / b_min.max(1.0))),
        (false, false) => (a_running / a_weight).total_cmp(&(b_running / b_weight)),
    }
}

/// Parses Spark's `fairscheduler.xml`: `<allocations>` of `<pool name="...">` elements,
/// each with optional `<schedulingMode>`, `<weight>` and `<minShare>`.
pub fn parse_allocation_file(xml: &str) -> Result<BTreeMap<String, PoolConf>, BadAllocationFile> {
    let mut pools = BTreeMap::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<pool") {
        let after = &rest[start + "<pool".len()..];
        let Some(tag_end) = after.find('>') else { break };
        let attributes = &after[..tag_end];
        let self_closing = attributes.trim_end().ends_with('/');
        let body_start = &after[tag_end + 1..];
        let (body, next) = if self_closing {
            ("", body_start)
        } else {
            match body_start.find("</pool>") {
                Some(end) => (&body_start[..end], &body_start[end + "</pool>".len()..]),
                None => (body_start, ""),
            }
        };
        rest = next;
        let Some(name) = attribute(attributes, "name") else { continue };
        let mut conf = PoolConf::default();
        let bad = |element: &str, value: &str, expected: &str| BadAllocationFile {
            pool: name.to_string(),
            element: element.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        if let Some(value) = element(body, "schedulingMode") {
            conf.mode = SchedulingMode::parse("schedulingMode", value).map_err(|_| bad("schedulingMode", value, "FIFO or FAIR"))?;
        }
        if let Some(value) = element(body, "weight") {
            conf.weight = value.parse().map_err(|_| bad("weight", value, "a whole number"))?;
        }
        if let Some(value) = element(body, "minShare") {
            conf.min_share = value.parse().map_err(|_| bad("minShare", value, "a whole number"))?;
        }
        pools.insert(name.to_string(), conf);
    }
    Ok(pools)
}

/// The value of `name="..."` (or single quotes) in a tag's attributes.
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let at = attributes.find(&format!("{name}="))? + name.len() + 1;
    let quoted = &attributes[at..];
    let quote = quoted.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &quoted[1..];
    value.find(quote).map(|end| &value[..end])
}

/// The trimmed text of `<name>...</name>` in `body`.
fn element<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))?;
    Some(body[start..start + end].trim())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn share(job: u64, pool: Option<&str>, running: usize) -> JobShare {
        JobShare { job: JobId(job), pool: pool.map(str::to_string), running }
    }

    #[test]
    fn fifo_offers_the_earliest_job_first_whatever_runs() {
        let pools = Pools::default();
        let order = pools.order(&[share(3, None, 0), share(1, Some("x"), 5), share(2, None, 0)]);
        assert_eq!(order, vec![JobId(1), JobId(2), JobId(3)]);
    }

    #[test]
    fn fair_shares_slots_between_pools_by_running_tasks_and_weight() {
        let pools = Pools::new(
            SchedulingMode::Fair,
            [("heavy".to_string(), PoolConf { weight: 3, ..PoolConf::default() })].into_iter().collect(),
        );
        // default runs 2 (2 per weight), heavy runs 3 (1 per weight): heavy first.
        let order = pools.order(&[share(1, None, 2), share(2, Some("heavy"), 3)]);
        assert_eq!(order, vec![JobId(2), JobId(1)]);
        // Equal jobs in the default pool (FIFO inside): the earlier one first, even busier.
        assert_eq!(pools.order(&[share(5, None, 4), share(4, None, 1)]), vec![JobId(4), JobId(5)]);
        // Two unconfigured pools: the one with fewer running tasks first.
        assert_eq!(pools.order(&[share(1, Some("a"), 2), share(2, Some("b"), 1)]), vec![JobId(2), JobId(1)]);
    }

    #[test]
    fn a_pool_below_its_min_share_goes_first_and_fair_pools_share_inside() {
        let configured = parse_allocation_file(
            r#"<?xml version="1.0"?>
            <allocations>
              <pool name="production">
                <schedulingMode>FAIR</schedulingMode>
                <weight>1</weight>
                <minShare>2</minShare>
              </pool>
              <pool name='test'><schedulingMode>FIFO</schedulingMode><weight>2</weight></pool>
              <pool name="empty"/>
            </allocations>"#,
        )
        .unwrap();
        assert_eq!(configured["production"], PoolConf { mode: SchedulingMode::Fair, weight: 1, min_share: 2 });
        assert_eq!(configured["test"], PoolConf { mode: SchedulingMode::Fifo, weight: 2, min_share: 0 });
        assert_eq!(configured["empty"], PoolConf::default());
        let pools = Pools::new(SchedulingMode::Fair, configured);
        let order = pools.order(&[share(1, Some("test"), 0), share(2, Some("production"), 1), share(3, Some("production"), 0)]);
        assert_eq!(order, vec![JobId(3), JobId(2), JobId(1)], "production is below minShare; inside, fewer running first");
    }

    #[test]
    fn bad_modes_and_numbers_are_refused_with_what_to_write() {
        let err = parse_allocation_file(r#"<pool name="p"><weight>heavy</weight></pool>"#).unwrap_err();
        assert!(err.to_string().contains("bad weight \"heavy\" for pool p"), "{err}");
        let err = SchedulingMode::parse("spark.scheduler.mode", "RANDOM").unwrap_err();
        assert_eq!(err.to_string(), "unknown scheduling mode \"RANDOM\" in spark.scheduler.mode: use FIFO or FAIR");
        assert_eq!(SchedulingMode::parse("k", "fair").unwrap(), SchedulingMode::Fair);
    }
}
