"""The Flint web UI end to end (issue 11): a multi-stage job on
`connect-server --master local-cluster[2,1,512]` with one executor process killed while
it runs, then the live UI and `flint history-server` opened in headless Chromium (Debian's
`chromium`), checked from the DOM as a user would read them, with a screenshot of each
page kept under $FLINT_UI_OUT; the REST API, the driver's and an executor's /metrics
checked over HTTP."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from conftest import _free_port, _wait_for_port, connect_server
from test_cluster import executor_pids

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = os.environ.get("FLINT_UI_OUT", os.path.join(os.environ.get("CARGO_TARGET_DIR", tempfile.gettempdir()), "ui-test"))
ROWS = 3_000_000


def was_killed(reason):
    """Whether an executor's remove reason says it died by SIGKILL: when the driver's next
    task launch to it failed before its exit was seen, the exit status, coming second,
    replaces that failure as the reason."""
    return "signal: 9" in reason


def http_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def http_text(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get("Content-Type", ""), response.read().decode()


def browse(url, name):
    """The page's DOM after its script ran, as headless Chromium has it; a screenshot of
    it goes to OUT/<name>.png."""
    os.makedirs(OUT, exist_ok=True)
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--window-size=1400,1000", "--virtual-time-budget=6000"]
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    screenshot = os.path.join(OUT, f"{name}.png")
    subprocess.run(common + [f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    assert os.path.getsize(screenshot) > 10_000, f"{screenshot} is empty"
    return dom


def cells(dom, table, row_attr, cls):
    """{row key: text of the cell of class `cls`} of the table with id `table`."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', dom, re.S)
    assert body, f"no table {table} in the page:\n{dom[:3000]}"
    found = {}
    for key, row in re.findall(rf'<tr {row_attr}="([^"]+)"[^>]*>(.*?)</tr>', body.group(1), re.S):
        cell = re.search(rf'<td class="{cls}">(.*?)</td>', row, re.S)
        found[key] = re.sub(r"<[^>]+>", "", cell.group(1)) if cell else None
    return found


def check_pages(base, app, label, killed):
    """What a user sees on the Jobs, Stages, Executors and SQL pages of `app`."""
    jobs = cells(browse(f"{base}#/jobs", f"{label}-jobs"), "jobs-table", "data-job-id", "job-status")
    assert jobs and set(jobs.values()) == {"SUCCEEDED"}, jobs
    rest_jobs = http_json(f"{base_api(base)}/{app}/jobs")
    job = max(rest_jobs, key=lambda j: len(j["stageIds"]))
    assert len(job["stageIds"]) >= 3, job

    stages = cells(browse(f"{base}#/stages", f"{label}-stages"), "stages-table", "data-stage-id", "stage-status")
    assert {str(s) for s in job["stageIds"]} <= set(stages), (job, stages)
    assert set(stages.values()) <= {"COMPLETE", "SKIPPED"}, stages

    failed = [s for s in http_json(f"{base_api(base)}/{app}/stages") if s["numFailedTasks"]]
    assert failed, "the stage the executor was lost in counts its failed task"
    stage_dom = browse(f"{base}#/stage/{failed[0]['stageId']}/{failed[0]['attemptId']}", f"{label}-stage-tasks")
    task_status = cells(stage_dom, "tasks-table", "data-task-id", "task-status")
    task_errors = cells(stage_dom, "tasks-table", "data-task-id", "error")
    lost = [t for t, v in task_status.items() if v == "FAILED"]
    assert lost and all("ExecutorLostFailure" in task_errors[t] for t in lost), (task_status, task_errors)
    assert "SUCCESS" in task_status.values(), task_status
    assert '<table id="task-quantiles">' in stage_dom

    executors_dom = browse(f"{base}#/executors", f"{label}-executors")
    status = cells(executors_dom, "executors-table", "data-executor-id", "executor-status")
    reasons = cells(executors_dom, "executors-table", "data-executor-id", "remove-reason")
    assert status[killed] == "Dead", status
    assert was_killed(reasons[killed]), reasons
    assert "Active" in [v for k, v in status.items() if k != killed], status

    execution = job["sqlExecutionId"]
    sql = browse(f"{base}#/sql/{execution}", f"{label}-sql-plan")
    graph = re.search(r'<svg id="plan-graph".*?</svg>', sql, re.S)
    assert graph, sql[:3000]
    names = re.findall(r'<g class="plan-node" data-node-id="\d+" data-node-name="([^"]+)"', graph.group(0))
    assert "AggregateExec" in names and "RepartitionExec" in names, names
    assert graph.group(0).count('class="plan-edge"') == len(names) - 1, "a tree: one edge less than nodes"


def base_api(base):
    return re.sub(r"/(history/[^/]+/)?$", "", base) + "/api/v1/applications"


def test_the_live_ui_and_the_history_server_show_a_job_that_survived_a_lost_executor():
    subprocess.run([CHROMIUM, "--version"], check=True, capture_output=True)
    ui_port = _free_port()
    with tempfile.TemporaryDirectory() as events, tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        args = ["--master", "local-cluster[2,1,512]", "--conf", f"spark.ui.port={ui_port}",
                "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.eventLog.enabled=true",
                "--conf", f"spark.eventLog.dir={events}", "--conf", "spark.sql.shuffle.partitions=4",
                "--conf", "spark.authenticate.secret=do-not-show-me", "--conf", "spark.flint.executor.metricsPort=0"]
        with connect_server(log, *args, env={"FLINT_LOG": "warn,flint_executor=info"}) as (process, url):
            api = f"http://127.0.0.1:{ui_port}/api/v1/applications"
            app = http_json(api)[0]["id"]
            executor_pids(log.name)
            with open(log.name) as text:
                pids = dict(re.findall(r"flint: registered executor (\S+) \(pid (\d+),", text.read()))
            spark = SparkSession.builder.remote(url).create()
            killed = {}

            def kill_an_executor_running_a_task():
                deadline = time.time() + 60
                while time.time() < deadline and not killed:
                    for stage in http_json(f"{api}/{app}/stages?status=active"):
                        tasks = http_json(f"{api}/{app}/stages/{stage['stageId']}/{stage['attemptId']}/taskList")
                        running = [t["executorId"] for t in tasks if t["status"] == "RUNNING"]
                        if running and not killed:
                            os.kill(int(pids[running[0]]), signal.SIGKILL)
                            killed["id"] = running[0]
                    time.sleep(0.02)

            killer = threading.Thread(target=kill_an_executor_running_a_task)
            killer.start()
            try:
                df = (spark.range(0, ROWS, 1, 4).withColumn("k", F.col("id") % 97)
                      .groupBy("k").agg(F.sum("id").alias("s"), F.count("*").alias("n")).orderBy("k"))
                got = [(r.k, r.s, r.n) for r in df.collect()]
            finally:
                killer.join()
                spark.stop()
            assert killed, "an executor was killed while the job ran"
            assert got == [(k, sum(range(k, ROWS, 97)), len(range(k, ROWS, 97))) for k in range(97)]

            executors = http_json(f"{api}/{app}/allexecutors")
            dead = [e for e in executors if not e["isActive"]]
            assert [e["id"] for e in dead] == [killed["id"]], executors
            assert was_killed(dead[0]["removeReason"]), executors
            killed_id = killed["id"]
            live = f"http://127.0.0.1:{ui_port}/"
            check_pages(live, app, "live", killed_id)

            env = {k: v for k, v in http_json(f"{api}/{app}/environment")["sparkProperties"]}
            assert env["spark.authenticate.secret"] == "*********(redacted)"
            assert env["spark.sql.shuffle.partitions"] == "4"

            content_type, metrics = http_text(f"http://127.0.0.1:{ui_port}/metrics")
            assert content_type.startswith("application/openmetrics-text"), content_type
            samples = dict(re.findall(r"^(flint_[a-z_]+(?:\{[^}]*\})?) (\S+)$", metrics, re.M))
            assert samples['flint_executors{state="lost"}'] == "1", metrics
            assert samples["flint_executors_lost_total"] == "1", metrics
            assert int(samples['flint_jobs_finished_total{state="succeeded"}']) >= 1, metrics
            assert int(samples['flint_tasks_total{state="failed"}']) >= 1, f"the killed executor's task failed: {metrics}"
            assert float(samples["flint_task_run_time_seconds_total"]) > 0, metrics
            assert int(samples["flint_shuffle_write_bytes_total"]) > 0, metrics
            assert int(samples["flint_shuffle_read_bytes_total"]) > 0, metrics
            assert int(samples['flint_connect_requests_total{method="ExecutePlan"}']) >= 1, metrics
            assert int(samples["flint_connect_sessions"]) in (0, 1), metrics

            with open(log.name) as text:
                metrics_at = dict(re.findall(r"serving Prometheus /metrics executor=(\S+) address=(\S+)", text.read()))
            assert len(metrics_at) == 2, metrics_at
            [alive] = [e for e in metrics_at if e != killed_id]
            content_type, text = http_text(f"http://{metrics_at[alive]}/metrics")
            assert content_type.startswith("application/openmetrics-text"), content_type
            executor = dict(re.findall(r"^(flint_executor_[a-z_]+(?:\{[^}]*\})?) (\S+)$", text, re.M))
            assert int(executor['flint_executor_tasks_total{state="succeeded"}']) >= 1, text
            assert executor["flint_executor_memory_limit_bytes"] == str(512 * 1024 * 1024), "local-cluster[2,1,512]"
            assert executor["flint_executor_tasks_running"] == "0", text

        logs = os.listdir(events)
        assert logs == [app], f"the log is renamed from .inprogress when the server stops: {logs}"
        history_port = _free_port()
        history = subprocess.Popen(
            [os.environ.get("FLINT_BIN", "flint"), "history-server", "--host", "127.0.0.1",
             "--conf", f"spark.history.fs.logDirectory={events}", "--conf", f"spark.history.ui.port={history_port}"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(history_port, history)
            base = f"http://127.0.0.1:{history_port}"
            listed = cells(browse(f"{base}/", "history-applications"), "applications-table", "data-app-id", "x")
            assert list(listed) == [app], listed
            [info] = http_json(f"{base}/api/v1/applications")
            assert info["attempts"][0]["completed"] is True, info
            check_pages(f"{base}/history/{app}/", app, "history", killed_id)
        finally:
            history.terminate()
            history.wait(timeout=10)


@pytest.mark.parametrize("master", ["local[2]", "local-cluster[2,1,512]"])
def test_every_master_shows_its_jobs_stages_and_sql_plans(master):
    """A group-by and sort on `local[2]` (one stage: the plan runs whole in the driver,
    its tasks the output partitions) and on local-cluster (a stage per exchange): the
    REST API lists the job as succeeded with all its tasks, the result stage returned
    the 7 groups, each stage read what its parents wrote, and the SQL execution has the
    plan's aggregates; the graph carries DataFusion's row counts (the final aggregate's 7
    groups), on a cluster summed from the executors' tasks."""
    ui_port = _free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        args = ["--master", master, "--conf", f"spark.ui.port={ui_port}", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.sql.shuffle.partitions=3"]
        with connect_server(log, *args) as (_, url):
            spark = SparkSession.builder.remote(url).create()
            try:
                df = (spark.range(0, 10_000, 1, 4).withColumn("k", F.col("id") % 7)
                      .groupBy("k").agg(F.count("*").alias("n")).orderBy("k"))
                got = [(r.k, r.n) for r in df.collect()]
            finally:
                spark.stop()
            assert got == [(k, len(range(k, 10_000, 7))) for k in range(7)]

            api = f"http://127.0.0.1:{ui_port}/api/v1/applications"
            [app] = http_json(api)
            base = f"{api}/{app['id']}"
            executions = [e for e in http_json(f"{base}/sql") if any(n["nodeName"] == "AggregateExec" for n in e["nodes"])]
            assert executions, http_json(f"{base}/sql")
            execution = max(executions, key=lambda e: e["id"])
            assert execution["status"] == "COMPLETED", execution
            [job_id] = execution["successJobIds"]
            job = http_json(f"{base}/jobs/{job_id}")
            assert job["status"] == "SUCCEEDED", job
            assert job["numTasks"] == job["numCompletedTasks"] > 0, job
            if master.startswith("local["):
                assert len(job["stageIds"]) == 1, job
            else:
                assert len(job["stageIds"]) >= 2, job
            stages = {s["stageId"]: s for s in http_json(f"{base}/stages")}
            for stage_id in job["stageIds"]:
                stage = stages[stage_id]
                assert stage["status"] == "COMPLETE" and stage["numCompleteTasks"] == stage["numTasks"], stage
            assert stages[max(job["stageIds"])]["outputRecords"] == 7, stages[max(job["stageIds"])]
            # Shuffle read (issue 11): each stage reads whole what its parent stages wrote (no
            # task failed, so every block is read once), counted by the readers on the
            # executors, the writes by the writers; on local[N] nothing is shuffled.
            for stage_id in job["stageIds"]:
                stage, parents = stages[stage_id], [stages[p] for p in stages[stage_id]["parentIds"]]
                written = (sum(p["shuffleWriteRecords"] for p in parents), sum(p["shuffleWriteBytes"] for p in parents))
                assert (stage["shuffleReadRecords"], stage["shuffleReadBytes"]) == written, (stage, parents)
                assert stage["shuffleReadBytes"] == stage["shuffleLocalBytesRead"] + stage["shuffleRemoteBytesRead"], stage
                tasks = http_json(f"{base}/stages/{stage_id}/{stage['attemptId']}/taskList")
                read = [t["taskMetrics"]["shuffleReadMetrics"] for t in tasks]
                per_task = (sum(r["recordsRead"] for r in read), sum(r["localBytesRead"] + r["remoteBytesRead"] for r in read))
                assert per_task == written, (tasks, written)
            readers = [s for s in job["stageIds"] if stages[s]["parentIds"]]
            if master.startswith("local["):
                assert not readers and all(stages[s]["shuffleReadBytes"] == 0 for s in job["stageIds"]), stages
            else:
                assert readers and all(stages[s]["shuffleReadRecords"] > 0 for s in readers), stages
                reader = stages[readers[-1]]
                dom = browse(f"http://127.0.0.1:{ui_port}/#/stages", "cluster-stages-shuffle-read")
                shown = re.search(rf'<tr data-stage-id="{reader["stageId"]}"[^>]*>.*?<td class="shuffle-read" '
                                  rf'data-records="(\d+)" data-bytes="(\d+)"', dom, re.S)
                assert shown and (int(shown.group(1)), int(shown.group(2))) == (reader["shuffleReadRecords"], reader["shuffleReadBytes"]), dom[:3000]
                task_dom = browse(f"http://127.0.0.1:{ui_port}/#/stage/{reader['stageId']}/{reader['attemptId']}", "cluster-tasks-shuffle-read")
                shown_records = cells(task_dom, "tasks-table", "data-task-id", "shuffle-read-records")
                assert sum(int(v) for v in shown_records.values()) == reader["shuffleReadRecords"], shown_records
            executors = http_json(f"{base}/executors")
            assert sum(e["completedTasks"] for e in executors) >= job["numTasks"], executors

            dom = browse(f"http://127.0.0.1:{ui_port}/#/sql/{execution['id']}", f"{master.split('[')[0]}-sql-plan")
            graph = re.search(r'<svg id="plan-graph".*?</svg>', dom, re.S)
            assert graph, dom[:3000]
            nodes = re.findall(r'<g class="plan-node" data-node-id="\d+" data-node-name="([^"]+)"(.*?)</g>', graph.group(0), re.S)
            assert "AggregateExec" in [name for name, _ in nodes], nodes
            # On local[N] the driver ran the plan; on a cluster the executors' tasks reported
            # each operator's metrics, summed per operator over its stage's tasks.
            rows = [re.findall(r'data-metric-name="number of output rows" data-metric-value="(\d+)"', body)
                    for name, body in nodes if name == "AggregateExec"]
            assert rows[0] == ["7"], f"the final aggregate outputs the 7 groups: {nodes}"
            assert len(rows) == 2 and int(rows[1][0]) >= 7, f"each partial aggregate outputs its partition's groups: {nodes}"
            scan_rows = [re.findall(r'data-metric-name="number of output rows" data-metric-value="(\d+)"', body)
                         for name, body in nodes if name in ("LazyMemoryExec", "RangeExec", "ProjectionExec")]
            assert any(r == ["10000"] for r in scan_rows), f"the range's 10,000 rows: {nodes}"


def test_a_cluster_job_reports_its_shuffle_reads_and_its_operators_metrics(tmp_path):
    """Issue 11 on local-cluster, numbers from the data: a Parquet table of 10,000 distinct
    values in two files (written here with pyarrow, not by Flint), filtered to the 3,334
    with v % 3 == 0 and grouped by value. Each kept value is its own group, so the
    exchange before the final aggregate carries exactly 3,334 rows wherever the planner
    put the partial one: the stage reading it reports that many (REST
    `shuffleReadRecords` and its tasks' `recordsRead`) and some bytes; and the SQL
    execution's graph, run on the executors, counts the scan's 10,000 rows, the filter's
    3,334 and the final aggregate's 3,334 groups, with the operators' compute time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, kept = 10_000, len(range(0, 10_000, 3))
    table = tmp_path / "table"
    table.mkdir()
    for i, chunk in enumerate((range(0, 6_000), range(6_000, rows))):
        pq.write_table(pa.table({"v": pa.array(list(chunk), pa.int64())}), table / f"part-{i}.parquet")
    ui_port = _free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        args = ["--master", "local-cluster[2,1,512]", "--conf", f"spark.ui.port={ui_port}",
                "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.sql.shuffle.partitions=3"]
        with connect_server(log, *args) as (_, url):
            spark = SparkSession.builder.remote(url).create()
            try:
                got = spark.read.parquet(str(table)).filter(F.col("v") % 3 == 0).groupBy("v").count().collect()
            finally:
                spark.stop()
            assert sorted((r.v, r["count"]) for r in got) == [(v, 1) for v in range(0, rows, 3)]

            api = f"http://127.0.0.1:{ui_port}/api/v1/applications"
            [app] = http_json(api)
            base = f"{api}/{app['id']}"
            executions = [e for e in http_json(f"{base}/sql") if any(n["nodeName"] == "AggregateExec" for n in e["nodes"])]
            assert len(executions) == 1, http_json(f"{base}/sql")
            [execution] = executions
            [job_id] = execution["successJobIds"]
            job = http_json(f"{base}/jobs/{job_id}")
            stages = {s["stageId"]: s for s in http_json(f"{base}/stages") if s["stageId"] in job["stageIds"]}
            finals = [s for s in stages.values() if "AggregateExec: mode=Final" in s["details"]]
            assert len(finals) == 1 and finals[0]["parentIds"], stages
            [final] = finals
            assert final["shuffleReadRecords"] == kept, final
            assert final["shuffleReadBytes"] > 0, final
            assert final["shuffleReadBytes"] == final["shuffleLocalBytesRead"] + final["shuffleRemoteBytesRead"], final
            assert sum(stages[p]["shuffleWriteRecords"] for p in final["parentIds"]) == kept, stages
            tasks = http_json(f"{base}/stages/{final['stageId']}/{final['attemptId']}/taskList")
            assert sum(t["taskMetrics"]["shuffleReadMetrics"]["recordsRead"] for t in tasks) == kept, tasks
            assert all(s["shuffleReadRecords"] == 0 for s in stages.values() if not s["parentIds"]), stages

            def rows_of(name):
                return [[int(m["value"]) for m in n["metrics"] if m["name"] == "number of output rows"]
                        for n in execution["nodes"] if n["nodeName"] == name]

            nodes = execution["nodes"]
            assert rows_of("DataSourceExec") == [[rows]], nodes
            assert rows_of("FilterExec") == [[kept]], nodes
            assert rows_of("AggregateExec")[0] == [kept], f"the final aggregate's groups: {nodes}"
            assert any(int(m["value"]) > 0 for n in nodes for m in n["metrics"] if m["name"] == "elapsed_compute"), nodes
