//! `--master local-cluster[E,C,M]` with real executor processes: same answers as local,
//! executor loss between and during jobs, lost shuffle blocks, losing every executor,
//! task failures and protocol mismatches.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const FLINT: &str = env!("CARGO_BIN_EXE_flint");

/// One local cluster at a time: each test starts its own executor processes, and on two
/// cores clusters running side by side starve each other's heartbeats.
static ONE_CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_cluster() -> std::sync::MutexGuard<'static, ()> {
    ONE_CLUSTER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Two views over generated rows.
fn tables() -> String {
    concat!(
        "create temporary view orders as select id as o_id, id % 97 as o_cust, ",
        "cast(id % 1000 as double) as o_total from range(0, 200000);\n",
        "create temporary view customers as select id as c_id, concat('c', cast(id as string)) as c_name from range(0, 97);\n",
    )
    .to_string()
}

const QUERY: &str = "select c_name, count(*) as n, sum(o_total) as t from orders join customers on o_cust = c_id group by c_name order by t desc, c_name limit 20;\n";

fn submit(master: &str, script: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(FLINT).args(["submit", "--master", master]).args(extra).arg(script).output().unwrap()
}

/// A `flint submit` running in the background: stdout lines arrive on `stdout`, stderr is
/// collected, and executors are recorded as they register.
struct Submission {
    child: std::process::Child,
    stdout: mpsc::Receiver<String>,
    log: std::thread::JoinHandle<String>,
    executors: Arc<Mutex<Vec<(String, u32)>>>,
}

impl Submission {
    fn start(master: &str, script: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(FLINT)
            .args(["submit", "--master", master])
            .args(extra)
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let executors = Arc::new(Mutex::new(Vec::new()));
        let registered = Arc::clone(&executors);
        let stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap();
                // flint: registered executor 0 (pid 1234, 1 cores) at 127.0.0.1:5678
                if let Some(rest) = line.strip_prefix("flint: registered executor ") {
                    let id = rest.split(' ').next().unwrap().to_string();
                    let pid = rest.split("(pid ").nth(1).and_then(|p| p.split(',').next()).unwrap().parse().unwrap();
                    registered.lock().unwrap().push((id, pid));
                }
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let (lines, stdout) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                if lines.send(line.unwrap() + "\n").is_err() {
                    break;
                }
            }
        });
        Self { child, stdout, log, executors }
    }

    /// The executors registered so far, as (id, pid).
    fn executors(&self) -> Vec<(String, u32)> {
        self.executors.lock().unwrap().clone()
    }

    /// Polls `found` every few milliseconds until it returns a value; panics if the
    /// submission ends first.
    fn wait_for<T>(&mut self, what: &str, mut found: impl FnMut(&Self) -> Option<T>) -> T {
        loop {
            if let Some(value) = found(self) {
                return value;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the submission ended ({status}) before {what}:\n{}", self.kill_and_take_log());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kills the driver (on a failing test) and returns its stderr so far; its executors
    /// stop on their own once their heartbeats go unanswered.
    fn kill_and_take_log(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.log, std::thread::spawn(String::new)).join().unwrap()
    }

    /// Waits for the submission to end, at most `limit` (a hang is killed and fails the
    /// test); returns its status, stdout and stderr.
    fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > limit {
                panic!("the submission still runs after {limit:?}:\n{}", self.kill_and_take_log());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout: String = self.stdout.iter().collect();
        (status, stdout, self.log.join().unwrap())
    }
}

fn kill_9(pid: u32) {
    let status = Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -9 {pid}");
}

/// A map output block an executor has finished writing, found under `spark.local.dir`.
#[derive(Debug, Clone)]
struct Block {
    path: PathBuf,
    /// The executor id, from the block manager directory `executor-<id>-<pid>`.
    executor: String,
    pid: u32,
    /// The `job-J/stage-S` directory.
    stage: PathBuf,
}

/// Every finished block (`part-R.arrow`, not a temporary file) under `local_dir`.
fn blocks(local_dir: &Path) -> Vec<Block> {
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default()
    };
    let mut found = Vec::new();
    for manager in entries(local_dir) {
        let name = manager.file_name().unwrap().to_string_lossy().to_string();
        let Some((executor, pid)) = name.strip_prefix("executor-").and_then(|rest| rest.rsplit_once('-')) else {
            continue;
        };
        let (executor, pid) = (executor.to_string(), pid.parse().unwrap());
        for job in entries(&manager) {
            for stage in entries(&job) {
                for map in entries(&stage) {
                    for path in entries(&map) {
                        if path.extension().is_some_and(|e| e == "arrow") {
                            let stage = stage.strip_prefix(&manager).unwrap().to_path_buf();
                            found.push(Block { path, executor: executor.clone(), pid, stage });
                        }
                    }
                }
            }
        }
    }
    found
}

/// TPC-H at scale factor `sf` as Parquet, under `${FLINT_CACHE:-~/.cache/flint}/tpch/sf<sf>`;
/// generated with `flint-tpch` (built if needed) when missing.
fn tpch_data(sf: &str) -> PathBuf {
    let cache = std::env::var_os("FLINT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/flint"));
    let data = cache.join(format!("tpch/sf{sf}"));
    if data.join("_SUCCESS").exists() {
        return data;
    }
    let tpch = Path::new(FLINT).with_file_name("flint-tpch");
    if !tpch.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let built = Command::new(cargo).args(["build", "-q", "-p", "flint-bench-tpch", "--bin", "flint-tpch"]).status().unwrap();
        assert!(built.success(), "cannot build flint-tpch to generate TPC-H data");
    }
    let generated =
        Command::new(&tpch).args(["generate", "--sf", sf, "--out"]).arg(&data).status().unwrap();
    assert!(generated.success(), "flint-tpch generate --sf {sf} --out {} failed", data.display());
    data
}

/// A script writing to `dir` that creates the TPC-H views over `data` and runs query `n`.
fn tpch_script(dir: &Path, data: &Path, n: u32) -> PathBuf {
    let path = dir.join(format!("q{n}.sql"));
    std::fs::write(&path, tpch_queries(data, &[n])).unwrap();
    path
}

/// The TPC-H tables under `data` as temporary views, then the queries numbered `queries`.
fn tpch_queries(data: &Path, queries: &[u32]) -> String {
    let mut script = String::new();
    for table in ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"] {
        script.push_str(&format!("create temporary view {table} as select * from parquet.`{}`;\n", data.join(table).display()));
    }
    let queries_dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())).join("../bench/tpch/queries");
    for n in queries {
        script.push_str(&std::fs::read_to_string(queries_dir.join(format!("q{n}.sql"))).unwrap());
        script.push_str(";\n");
    }
    script
}

fn local_dir_conf(local_dir: &Path) -> String {
    format!("spark.local.dir={}", local_dir.display())
}

#[test]
fn local_cluster_answers_like_local_and_survives_a_killed_executor() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sql");
    std::fs::write(&script, format!("{}{QUERY}{QUERY}", tables())).unwrap();
    let local = submit("local[2]", &script, &[]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    let expected = String::from_utf8_lossy(&local.stdout).to_string();
    assert!(expected.lines().count() > 20, "{expected}");

    // Run the same script on three executors; after the first answer, kill -9 one.
    let run = Submission::start("local-cluster[3,1,512]", &script, &[]);
    let mut actual = String::new();
    let mut borders = 0;
    let mut killed = false;
    while let Ok(line) = run.stdout.recv() {
        if line.starts_with("+-") {
            borders += 1;
        }
        actual.push_str(&line);
        if borders == 3 && !killed {
            kill_9(run.executors()[0].1);
            killed = true;
        }
    }
    let (status, rest, log) = run.finish(Duration::from_secs(120));
    actual.push_str(&rest);
    assert!(status.success(), "{log}");
    assert!(killed);
    assert!(log.contains("flint: lost executor"), "{log}");
    assert_eq!(actual, expected, "{log}");
}

/// The `N` and `M` of "rerunning N tasks that were running and M lost map outputs".
fn recomputed(log: &str) -> (usize, usize) {
    let line = log.lines().find(|l| l.starts_with("flint: rerunning ")).unwrap_or_else(|| panic!("nothing rerun:\n{log}"));
    let numbers: Vec<usize> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1])
}

/// TPC-H q9 and q18 (several shuffles each) answer exactly as on `local[2]` when an
/// executor is killed with -9 in the middle of the job: once blocks of three map stages
/// exist, the executor holding the most of them dies, so its finished map outputs are
/// lost while later stages run (reducers fetching from it over Flight fail) and its
/// running task is lost too.
#[test]
fn tpch_q9_and_q18_answer_like_local_when_an_executor_dies_mid_job() {
    let _cluster = one_cluster();
    let data = tpch_data("0.1");
    for query in [9, 18] {
        let dir = tempfile::tempdir().unwrap();
        let script = tpch_script(dir.path(), &data, query);
        let local = submit("local[2]", &script, &[]);
        assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
        let expected = String::from_utf8_lossy(&local.stdout).to_string();
        assert!(expected.lines().count() > 5, "{expected}");

        let local_dir = dir.path().join("local");
        let mut run = Submission::start("local-cluster[3,1,1024]", &script, &["--conf", &local_dir_conf(&local_dir)]);
        let victim = run.wait_for("blocks of three stages exist", |_| {
            let blocks = blocks(&local_dir);
            let mut stages: Vec<&PathBuf> = blocks.iter().map(|b| &b.stage).collect();
            stages.sort();
            stages.dedup();
            let count = |b: &Block| blocks.iter().filter(|o| o.executor == b.executor).count();
            (stages.len() >= 3).then(|| blocks.iter().max_by_key(|b| count(b)).cloned()).flatten()
        });
        kill_9(victim.pid);
        let (status, actual, log) = run.finish(Duration::from_secs(300));
        assert!(status.success(), "q{query}: {log}");
        assert!(log.contains(&format!("flint: lost executor {}: ", victim.executor)), "q{query}: {log}");
        let (tasks, outputs) = recomputed(&log);
        assert!(tasks + outputs > 0, "q{query}: nothing recomputed after the kill:\n{log}");
        assert_eq!(actual, expected, "q{query}: {log}");
    }
}

/// A map output that vanishes before it is read is computed again. Every stage has 16
/// partitions on 2 one-core executors, so map tasks run in waves and a stage's readers
/// start only after its last wave: the test deletes the first block file that appears,
/// which its reducer has therefore not read yet. The reducer's fetch fails (from disk or
/// over Flight, whichever executor it runs on), the driver recomputes the writer's map
/// outputs, and the answer is unchanged.
#[test]
fn a_deleted_shuffle_block_is_recomputed() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sql");
    std::fs::write(&script, format!("{}{QUERY}", tables())).unwrap();
    let partitions = ["--conf", "spark.sql.shuffle.partitions=16"];
    let local = submit("local[2]", &script, &partitions);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));

    let local_dir = dir.path().join("local");
    let conf = local_dir_conf(&local_dir);
    let mut run = Submission::start("local-cluster[2,1,512]", &script, &[partitions[0], partitions[1], "--conf", &conf]);
    let deleted = run.wait_for("a block was written", |_| blocks(&local_dir).into_iter().next());
    std::fs::remove_file(&deleted.path).unwrap();
    let (status, actual, log) = run.finish(Duration::from_secs(300));
    assert!(status.success(), "{log}");
    assert!(
        log.contains(&format!("from executor {}; recomputing it", deleted.executor)),
        "no fetch failure after deleting {}:\n{log}",
        deleted.path.display()
    );
    assert_eq!(actual, String::from_utf8_lossy(&local.stdout), "{log}");
}

/// Killing every executor in the middle of a job fails it within seconds with an error
/// naming the lost executors; the driver exits non-zero instead of hanging, and no
/// executor process is left behind.
#[test]
fn losing_every_executor_fails_the_job_promptly_and_leaves_no_process() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sql");
    std::fs::write(&script, format!("{}{QUERY}", tables())).unwrap();
    let local_dir = dir.path().join("local");
    let mut run = Submission::start("local-cluster[2,1,512]", &script, &["--conf", &local_dir_conf(&local_dir)]);
    let executors = run.wait_for("the job wrote a block", |run| {
        let executors = run.executors();
        (executors.len() == 2 && !blocks(&local_dir).is_empty()).then_some(executors)
    });
    for (_, pid) in &executors {
        kill_9(*pid);
    }
    let (status, _, log) = run.finish(Duration::from_secs(15));
    assert!(!status.success(), "{log}");
    let failure = log.lines().find(|l| l.contains("no executor is left")).unwrap_or_else(|| panic!("{log}"));
    for (id, _) in &executors {
        assert!(failure.contains(&format!("executor {id}: ")), "{failure}");
    }
    let marker = local_dir.display().to_string();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&marker))
        .collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// Two applications whose executors share `spark.local.dir` (both numbered from 0, both
/// running job 0 with the same plan shape over different data) each get their own answer.
/// Executors used to keep blocks under `executor-<id>`, so side by side local clusters
/// read, overwrote and removed each other's blocks and answered wrongly.
#[test]
fn two_applications_sharing_spark_local_dir_answer_independently() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let conf = local_dir_conf(&dir.path().join("local"));
    let scripts: Vec<PathBuf> = ["1000", "999"]
        .iter()
        .map(|modulus| {
            let script = dir.path().join(format!("job{modulus}.sql"));
            std::fs::write(&script, format!("{}{QUERY}", tables().replace("id % 1000", &format!("id % {modulus}")))).unwrap();
            script
        })
        .collect();
    let expected: Vec<String> = scripts
        .iter()
        .map(|script| {
            let local = submit("local[2]", script, &[]);
            assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
            String::from_utf8_lossy(&local.stdout).to_string()
        })
        .collect();
    assert_ne!(expected[0], expected[1]);
    for _ in 0..2 {
        let runs: Vec<Submission> =
            scripts.iter().map(|script| Submission::start("local-cluster[2,1,512]", script, &["--conf", &conf])).collect();
        for (run, expected) in runs.into_iter().zip(&expected) {
            let (status, actual, log) = run.finish(Duration::from_secs(120));
            assert!(status.success(), "{log}");
            assert_eq!(&actual, expected, "{log}");
        }
    }
}

/// Outer, semi and anti joins, and NOT IN over nullable columns, over multi-file Parquet
/// tables with a small build side, which DataFusion would collect into every probe
/// partition: each task on its own executor must still emit the right unmatched rows.
#[test]
fn outer_semi_and_anti_joins_answer_like_local() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display();
    let setup = format!(
        "CREATE EXTERNAL TABLE o (o_id BIGINT, o_cust BIGINT, o_total DOUBLE) STORED AS PARQUET LOCATION '{data}/orders/';\n\
         INSERT INTO o SELECT id, id % 1500, cast(id % 1000 AS double) FROM range(0, 8000);\n\
         INSERT INTO o SELECT id, id % 1500, cast(id % 1000 AS double) FROM range(8000, 16000);\n\
         CREATE EXTERNAL TABLE c (c_id BIGINT) STORED AS PARQUET LOCATION '{data}/customers/';\n\
         INSERT INTO c SELECT id FROM range(0, 1000);\n\
         INSERT INTO c SELECT id FROM range(1000, 2000);\n"
    );
    let written = Command::new(FLINT).args(["sql", "-e", &setup]).output().unwrap();
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let script = dir.path().join("joins.sql");
    let queries = format!(
        "CREATE TEMPORARY VIEW orders AS SELECT * FROM parquet.`{data}/orders`;\n\
         CREATE TEMPORARY VIEW customers AS SELECT * FROM parquet.`{data}/customers`;\n\
         SELECT count(*) AS n, sum(cnt) AS s FROM (SELECT c_id, count(o_id) AS cnt FROM customers \
         LEFT JOIN orders ON c_id = o_cust AND o_total > 990 GROUP BY c_id);\n\
         SELECT count(*) AS with_orders FROM customers WHERE EXISTS \
         (SELECT 1 FROM orders WHERE o_cust = c_id AND o_total < 3);\n\
         SELECT count(*) AS without_orders FROM customers WHERE NOT EXISTS \
         (SELECT 1 FROM orders WHERE o_cust = c_id AND o_total < 3);\n\
         CREATE TEMPORARY VIEW maybe AS SELECT CASE WHEN c_id % 50 = 0 THEN NULL ELSE c_id END AS m FROM customers;\n\
         SELECT count(*) AS not_in FROM maybe WHERE m NOT IN (SELECT o_cust FROM orders WHERE o_total < 3);\n\
         SELECT count(*) AS not_in_nulls FROM customers WHERE c_id NOT IN (SELECT m FROM maybe WHERE m > 1000 OR m IS NULL);\n"
    );
    std::fs::write(&script, queries).unwrap();
    let local = submit("local[2]", &script, &[]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    // Compressed blocks here (spark.shuffle.compress, off by default on local-cluster).
    let cluster = submit("local-cluster[2,1,512]", &script, &["--conf", "spark.shuffle.compress=true"]);
    assert!(cluster.status.success(), "{}", String::from_utf8_lossy(&cluster.stderr));
    assert_eq!(String::from_utf8_lossy(&cluster.stdout), String::from_utf8_lossy(&local.stdout));
}

#[test]
fn a_task_that_always_fails_ends_the_job_after_max_failures() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fail.sql");
    std::fs::write(
        &script,
        "select sum(id) from range(0, 100) where assert_true(id < 90, concat('id ', id, ' is too big')) is null;\n",
    )
    .unwrap();
    let out = submit("local-cluster[2,1,512]", &script, &["--conf", "spark.task.maxFailures=3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("failed 3 times"), "{stderr}");
    assert!(stderr.contains("of stage"), "{stderr}");
    assert!(stderr.contains("[USER_RAISED_EXCEPTION] id 9"), "{stderr}");
}

#[test]
fn an_executor_with_another_protocol_version_is_refused() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("count.sql");
    std::fs::write(&script, "select count(*) from range(0, 100);\n").unwrap();
    let out = submit("local-cluster[1,1,512]", &script, &["--conf", "spark.flint.test.executorProtocolVersion=99"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("speaks protocol version 99 but this driver speaks 1"), "{stderr}");
}

/// Queries with uncorrelated scalar subqueries (q22's is nested in a derived table) run
/// each subquery as a job of its own before the query, on the executors.
#[test]
fn tpch_scalar_subqueries_answer_like_local() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tpch.sql");
    std::fs::write(&script, tpch_queries(&tpch_data("0.01"), &[11, 15, 22])).unwrap();
    let local = submit("local[2]", &script, &[]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    let expected = String::from_utf8_lossy(&local.stdout).to_string();
    assert_eq!(expected.lines().filter(|l| l.starts_with("+-")).count(), 9, "three tables: {expected}");
    assert!(expected.lines().count() > 30, "{expected}");
    let cluster = submit("local-cluster[2,1,1024]", &script, &[]);
    assert!(cluster.status.success(), "{}", String::from_utf8_lossy(&cluster.stderr));
    assert_eq!(String::from_utf8_lossy(&cluster.stdout), expected);
}

/// `CACHE TABLE` on a cluster keeps the partitions in the executors: later queries compute
/// none of them, and after an executor is killed only the partitions it held are
/// computed again, from lineage.
#[test]
fn cached_table_stays_on_executors_and_a_lost_partition_is_recomputed() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cache.sql");
    let cached = "select * from agg order by k;\n";
    std::fs::write(
        &script,
        format!(
            "create temporary view src as select id, id % 7 as k from range(0, 200000);\n\
             cache table agg as select k, count(*) as n, sum(id) as s from src group by k;\n\
             {cached}select sum(n) as total from agg;\n\
             select count(*) as busy from range(0, 3000000) where id % 3 = 0;\n\
             {cached}uncache table agg;\n{cached}"
        ),
    )
    .unwrap();
    let local = submit("local[2]", &script, &[]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    let expected = String::from_utf8_lossy(&local.stdout).to_string();
    assert_eq!(expected.lines().filter(|l| l.starts_with("+-")).count(), 15, "five tables: {expected}");

    let mut child = Command::new(FLINT)
        .args(["submit", "--master", "local-cluster[2,1,512]"])
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let _ = lines_tx.send(line.clone());
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut actual, mut line, mut borders) = (String::new(), String::new(), 0);
    let mut killed = None;
    let mut seen = Vec::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        borders += usize::from(line.starts_with("+-"));
        actual.push_str(&line);
        line.clear();
        if borders == 6 && killed.is_none() {
            // Both reads of the cache are done: kill the executor holding partition 0.
            let holder = loop {
                let logged: String = lines_rx.recv().unwrap();
                seen.push(logged.clone());
                if let Some(executor) = logged.strip_prefix("flint: cache 0 partition 0 is on executor ") {
                    break executor.to_string();
                }
            };
            let pid = seen
                .iter()
                .find_map(|l| l.strip_prefix(&format!("flint: registered executor {holder} (pid ")))
                .and_then(|rest| rest.split(',').next())
                .unwrap()
                .to_string();
            assert!(Command::new("kill").args(["-9", &pid]).status().unwrap().success());
            killed = Some(holder);
        }
    }
    let status = child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(status.success(), "{log}");
    assert_eq!(actual, expected, "{log}");
    let holder = killed.unwrap();

    let reads: Vec<&str> = log.lines().filter(|l| l.contains(" reads cache 0: computing partitions ")).collect();
    assert_eq!(reads.len(), 4, "cache table, two queries, one after the kill, none after uncache: {log}");
    assert!(reads[0].ends_with("computing partitions [0, 1] of 2"), "{log}");
    assert!(reads[1].ends_with("computing partitions [] of 2") && reads[2].ends_with("computing partitions [] of 2"), "{log}");
    let (before_kill, after_kill) = log.split_once("flint: lost executor").unwrap();
    let stored = |text: &str| text.lines().filter(|l| l.starts_with("flint: cache 0 partition ")).count();
    assert_eq!(stored(before_kill), 2, "each partition is computed once before the kill: {log}");
    let lost_line = format!("with executor {holder}");
    let lost = after_kill.lines().find(|l| l.starts_with("flint: cache 0 lost partitions ") && l.ends_with(&lost_line));
    let lost = lost.unwrap_or_else(|| panic!("no lost partitions logged: {log}"));
    let partitions = lost.trim_start_matches("flint: cache 0 lost partitions ").split(" with").next().unwrap();
    assert!(partitions.starts_with("[0"), "{log}");
    assert!(reads[3].ends_with(&format!("computing partitions {partitions} of 2")), "only the lost ones: {log}");
    assert_eq!(stored(after_kill), partitions.split(',').count(), "{log}");
    assert!(log.contains("flint: released cache 0"), "{log}");
}

/// A task status that never reaches the driver (each executor here loses its first one,
/// as a dropped connection would): the executor's heartbeats stop listing the task, so
/// the driver runs it again and the job ends with the right answer instead of hanging.
#[test]
fn a_lost_task_status_is_reconciled_from_heartbeats_and_the_task_runs_again() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sum.sql");
    std::fs::write(&script, "select sum(id % 7) as s from range(0, 1000000);\n").unwrap();
    let mut child = Command::new(FLINT)
        .args(["submit", "--master", "local-cluster[2,1,512]"])
        .arg(&script)
        .env("FLINT_TEST_DROP_TASK_STATUSES", "1")
        .env("FLINT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("the job hangs after a lost task status:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    // sum(id % 7) over 0..10^6: 142857 full cycles of 0+1+...+6, then 0.
    assert!(stdout.contains(&(142_857 * 21).to_string()), "{stdout}\n{stderr}");
    assert!(stderr.contains("its status never arrived; running it again"), "{stderr}");
}
