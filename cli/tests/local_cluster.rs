//! `--master local-cluster[E,C,M]` with real executor processes: same answers as local,
//! executor loss, task failures and protocol mismatches.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

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
    let mut child = Command::new(FLINT)
        .args(["submit", "--master", "local-cluster[3,1,512]"])
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (pids_tx, pids_rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("flint: registered executor ") {
                let pid = rest.split("(pid ").nth(1).and_then(|p| p.split(',').next()).unwrap_or("").to_string();
                let _ = pids_tx.send(pid);
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut actual = String::new();
    let mut borders = 0;
    let mut killed = false;
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("+-") {
            borders += 1;
        }
        actual.push_str(&line);
        line.clear();
        if borders == 3 && !killed {
            let pid = pids_rx.recv().unwrap();
            let status = Command::new("kill").args(["-9", &pid]).status().unwrap();
            assert!(status.success());
            killed = true;
        }
    }
    let status = child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(status.success(), "{log}");
    assert!(killed);
    assert!(log.contains("flint: lost executor"), "{log}");
    assert_eq!(actual, expected, "{log}");
}

/// Outer, semi and anti joins over multi-file Parquet tables with a small build side,
/// which DataFusion would collect into every probe partition: each task on its own
/// executor must still emit the right unmatched rows.
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
         (SELECT 1 FROM orders WHERE o_cust = c_id AND o_total < 3);\n"
    );
    std::fs::write(&script, queries).unwrap();
    let local = submit("local[2]", &script, &[]);
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    let cluster = submit("local-cluster[2,1,512]", &script, &[]);
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
        "create temporary view v as select concat('x', cast(id as string)) as s from range(0, 100);\nselect sum(cast(s as int)) from v;\n",
    )
    .unwrap();
    let out = submit("local-cluster[2,1,512]", &script, &["--conf", "spark.task.maxFailures=3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("failed 3 times"), "{stderr}");
    assert!(stderr.contains("of stage"), "{stderr}");
    assert!(stderr.contains("Cannot cast string 'x"), "{stderr}");
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

/// TPC-H at SF0.01, generated by `bench/tpch/run --sf 0.01 --debug` under `$FLINT_CACHE`
/// (default `~/.cache/flint`), as temporary views, then the queries with numbers `queries`.
fn tpch_script(queries: &[u32]) -> String {
    let cache = std::env::var("FLINT_CACHE").unwrap_or_else(|_| format!("{}/.cache/flint", std::env::var("HOME").unwrap()));
    let data = Path::new(&cache).join("tpch/sf0.01");
    assert!(data.join("lineitem").is_dir(), "no TPC-H data in {}: run bench/tpch/run --sf 0.01 --debug once", data.display());
    let mut script = String::new();
    for table in ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"] {
        script.push_str(&format!("create temporary view {table} as select * from parquet.`{}`;\n", data.join(table).display()));
    }
    let queries_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/tpch/queries");
    for n in queries {
        script.push_str(&std::fs::read_to_string(queries_dir.join(format!("q{n}.sql"))).unwrap());
        script.push_str(";\n");
    }
    script
}

/// Queries with uncorrelated scalar subqueries (q22's is nested in a derived table) run
/// each subquery as a job of its own before the query, on the executors.
#[test]
fn tpch_scalar_subqueries_answer_like_local() {
    let _cluster = one_cluster();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tpch.sql");
    std::fs::write(&script, tpch_script(&[11, 15, 22])).unwrap();
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
