//! The `flint` binary as a user runs it: output on stdout, errors on stderr, exit codes.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn flint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flint")).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn sql_prints_results_as_show_does() {
    let output = flint(&["sql", "-e", "SELECT id, id * 2 AS twice FROM range(3) ORDER BY id"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "+---+-----+\n| id|twice|\n+---+-----+\n|  0|    0|\n|  1|    2|\n|  2|    4|\n+---+-----+\n"
    );
}

#[test]
fn submit_runs_a_sql_job_with_conf_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.sql");
    let out = dir.path().join("out");
    std::fs::write(
        &job,
        format!(
            "SET spark.sql.shuffle.partitions=3;\n\
             CREATE TEMPORARY VIEW t AS SELECT id % 3 AS k, id FROM range(30);\n\
             CREATE TEMPORARY VIEW totals AS SELECT k, sum(id) AS total FROM t GROUP BY k;\n\
             SELECT * FROM totals ORDER BY k;\n\
             EXPLAIN SELECT total FROM parquet.`{0}` WHERE k = 1;\n",
            out.display()
        ),
    )
    .unwrap();
    // The EXPLAIN reads a Parquet table written by the SQL below.
    std::fs::create_dir_all(&out).unwrap();
    let writer = flint(&[
        "sql",
        "-e",
        &format!(
            "CREATE EXTERNAL TABLE sink (k BIGINT, total BIGINT) STORED AS PARQUET LOCATION '{}/';\n\
             INSERT INTO sink SELECT id % 3, id FROM range(3)",
            out.display()
        ),
    ]);
    assert!(writer.status.success(), "{}", stderr(&writer));

    let output = flint(&[
        "submit",
        "--master",
        "local[2]",
        "--conf",
        "spark.driver.memory=512m",
        "--name",
        "totals",
        job.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("+---+-----+\n|  k|total|\n+---+-----+\n|  0|  135|\n|  1|  145|\n|  2|  155|\n"), "{text}");
    assert!(text.contains("== Physical Plan =="), "{text}");
    assert!(text.contains("projection=[k, total]") && text.contains("predicate=k@0 = 1"), "{text}");
}

#[test]
fn bad_sql_shows_where_it_failed() {
    let output = flint(&["sql", "-e", "SELECT a FROM t WHERE a = = 1"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.starts_with("Error: [PARSE_SYNTAX_ERROR] Syntax error: Expected: an expression, found: ="), "{text}");
    assert!(text.contains("(line 1, pos 27)"), "{text}");
    assert!(text.contains("== SQL ==\nSELECT a FROM t WHERE a = = 1\n--------------------------^^^\n"), "{text}");
}

#[test]
fn unknown_columns_and_missing_files_are_named() {
    let column = flint(&["sql", "-e", "SELECT nmae FROM (SELECT 1 AS name)"]);
    assert_eq!(column.status.code(), Some(1));
    assert!(stderr(&column).contains("No field named nmae. Did you mean 'name'?"), "{}", stderr(&column));

    let file = flint(&["sql", "-e", "SELECT * FROM parquet.`/data/nowhere.parquet`"]);
    assert_eq!(file.status.code(), Some(1));
    assert_eq!(stderr(&file), "Error: [PATH_NOT_FOUND] Path does not exist: file:/data/nowhere.parquet\n");

    let script = flint(&["submit", "/data/nowhere.sql"]);
    assert_eq!(script.status.code(), Some(1));
    assert!(stderr(&script).starts_with("Error: cannot read /data/nowhere.sql"), "{}", stderr(&script));
}

#[test]
fn bad_arguments_are_refused_clearly() {
    let conf = flint(&["sql", "--conf", "spark.driver.memory", "-e", "SELECT 1"]);
    assert_eq!(conf.status.code(), Some(1));
    assert_eq!(stderr(&conf), "Error: --conf 'spark.driver.memory' is not of the form key=value\n");

    let master = flint(&["sql", "--master", "yarn", "-e", "SELECT 1"]);
    assert_eq!(master.status.code(), Some(1));
    assert!(stderr(&master).contains("invalid value 'yarn' for spark.master"), "{}", stderr(&master));

    let python = flint(&["submit", "/data/nowhere/job.py"]);
    assert_eq!(python.status.code(), Some(1));
    assert!(stderr(&python).contains("cannot read /data/nowhere/job.py"), "{}", stderr(&python));

    let other = flint(&["submit", "job.jar"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(stderr(&other).contains("runs .sql and .py applications"), "{}", stderr(&other));
}
