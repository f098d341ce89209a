// The Flint UI: one page that draws Jobs, Stages, a stage's tasks, Executors, SQL and
// Environment from the REST API, and redraws every 2 seconds without a reload.
"use strict";

const API = "/api/v1/applications";
let appId = null;
let history = false;

function esc(value) {
  return String(value === null || value === undefined ? "" : value)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function bytes(n) {
  if (!n) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function ms(n) {
  if (n === null || n === undefined) return "";
  if (n < 1000) return n + " ms";
  if (n < 60000) return (n / 1000).toFixed(1) + " s";
  return (n / 60000).toFixed(1) + " min";
}

function parseTime(text) {
  return text ? Date.parse(text.replace("GMT", "Z")) : null;
}

function duration(start, end) {
  const s = parseTime(start);
  const e = end ? parseTime(end) : Date.now();
  return s ? ms(Math.max(0, e - s)) : "";
}

function status(text) {
  return `<span class="status-${esc(text)}">${esc(text)}</span>`;
}

function progress(done, total) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return `<span class="bar"><span style="width:${pct}%"></span></span> ${done}/${total}`;
}

function table(id, headers, rows) {
  return `<table id="${id}"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`;
}

async function get(path) {
  const response = await fetch(`${API}/${encodeURIComponent(appId)}${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function jobsPage() {
  const jobs = await get("/jobs");
  const rows = jobs.map((j) => `<tr data-job-id="${j.jobId}">` +
    `<td>${j.jobId}</td><td>${esc(j.description)}${j.jobGroup ? ` (${esc(j.jobGroup)})` : ""}</td>` +
    `<td>${esc(j.submissionTime)}</td><td>${duration(j.submissionTime, j.completionTime)}</td>` +
    `<td class="job-status">${status(j.status)}</td>` +
    `<td>${j.stageIds.map((s) => `<a href="#/stage/${s}/0">${s}</a>`).join(", ")}` +
    ` (${j.numCompletedStages} done, ${j.numSkippedStages} skipped, ${j.numFailedStages} failed)</td>` +
    `<td>${progress(j.numCompletedTasks, j.numTasks)}${j.numFailedTasks ? ` (${j.numFailedTasks} failed)` : ""}</td>` +
    `<td>${j.sqlExecutionId !== null ? `<a href="#/sql/${j.sqlExecutionId}">${j.sqlExecutionId}</a>` : ""}</td>` +
    `<td class="error">${esc(j.errorMessage)}</td></tr>`);
  return `<h2>Jobs (${jobs.length})</h2>` +
    table("jobs-table", ["Job", "Description", "Submitted", "Duration", "Status", "Stages", "Tasks", "SQL", "Error"], rows);
}

function stageRow(s) {
  return `<tr data-stage-id="${s.stageId}" data-attempt="${s.attemptId}">` +
    `<td><a href="#/stage/${s.stageId}/${s.attemptId}">${s.stageId}.${s.attemptId}</a></td>` +
    `<td>${s.jobId}</td><td>${esc(s.name)}</td><td class="stage-status">${status(s.status)}</td>` +
    `<td>${esc(s.submissionTime)}</td><td>${duration(s.submissionTime, s.completionTime)}</td>` +
    `<td>${progress(s.numCompleteTasks, s.numTasks)}${s.numFailedTasks ? ` (${s.numFailedTasks} failed)` : ""}</td>` +
    `<td>${s.outputRecords} rows / ${bytes(s.outputBytes)}</td>` +
    `<td class="shuffle-read" data-records="${s.shuffleReadRecords}" data-bytes="${s.shuffleReadBytes}">` +
    `${s.shuffleReadRecords} rows / ${bytes(s.shuffleReadBytes)}</td>` +
    `<td>${s.shuffleWriteRecords} rows / ${bytes(s.shuffleWriteBytes)}</td>` +
    `<td>${bytes(s.diskBytesSpilled)}</td><td>${ms(s.executorRunTime)}</td>` +
    `<td class="error">${esc(s.failureReason)}</td></tr>`;
}

const STAGE_COLUMNS = ["Stage", "Job", "Name", "Status", "Submitted", "Duration", "Tasks", "Output", "Shuffle read",
  "Shuffle write", "Spill", "Task time", "Failure"];

async function stagesPage() {
  const stages = await get("/stages");
  return `<h2>Stages (${stages.length})</h2>` + table("stages-table", STAGE_COLUMNS, stages.map(stageRow));
}

async function stagePage(id, attempt) {
  const [stage, tasks, summary] = await Promise.all([
    get(`/stages/${id}/${attempt}`), get(`/stages/${id}/${attempt}/taskList`), get(`/stages/${id}/${attempt}/taskSummary`),
  ]);
  const rows = tasks.map((t) => `<tr data-task-id="${t.taskId}">` +
    `<td>${t.taskId}</td><td>${t.index}</td><td>${t.attempt}</td><td class="task-status">${status(t.status)}</td>` +
    `<td>${esc(t.executorId)}</td><td>${esc(t.host)}</td><td>${esc(t.launchTime)}</td><td>${ms(t.duration)}</td>` +
    `<td class="shuffle-read-records">${t.taskMetrics.shuffleReadMetrics.recordsRead}</td>` +
    `<td class="shuffle-read-bytes">${t.taskMetrics.shuffleReadMetrics.localBytesRead + t.taskMetrics.shuffleReadMetrics.remoteBytesRead}</td>` +
    `<td>${t.taskMetrics.shuffleWriteMetrics.recordsWritten}</td><td>${bytes(t.taskMetrics.shuffleWriteMetrics.bytesWritten)}</td>` +
    `<td>${bytes(t.taskMetrics.diskBytesSpilled)}</td><td class="error">${esc(t.errorMessage)}</td></tr>`);
  const quantiles = summary.quantiles.map((q) => `<th>${q * 100}%</th>`).join("");
  const times = summary.executorRunTime.map((v) => `<td>${ms(v)}</td>`).join("");
  return `<h2>Stage ${stage.stageId} (attempt ${stage.attemptId}) of job ${stage.jobId}: ${status(stage.status)}</h2>` +
    table("stage-summary", STAGE_COLUMNS, [stageRow(stage)]) +
    `<h2>Task time distribution</h2><table id="task-quantiles"><tr><th>quantile</th>${quantiles}</tr><tr><td>run time</td>${times}</tr></table>` +
    `<h2>Tasks (${tasks.length})</h2>` +
    table("tasks-table", ["Task", "Index", "Attempt", "Status", "Executor", "Host", "Launched", "Duration", "Shuffle read rows",
      "Shuffle read bytes", "Rows", "Bytes", "Spill", "Error"], rows) +
    `<h2>Plan fragment</h2><pre>${esc(stage.details)}</pre>`;
}

async function executorsPage() {
  const executors = await get("/allexecutors");
  const rows = executors.map((e) => `<tr data-executor-id="${esc(e.id)}">` +
    `<td>${esc(e.id)}</td><td>${esc(e.hostPort)}</td><td class="executor-status">${status(e.isActive ? "Active" : "Dead")}</td>` +
    `<td>${e.totalCores}</td><td>${e.activeTasks}</td><td>${e.failedTasks}</td><td>${e.completedTasks}</td>` +
    `<td>${ms(e.totalDuration)}</td><td>${bytes(e.totalShuffleRead)}</td><td>${bytes(e.totalShuffleWrite)}</td><td>${bytes(e.memoryBytesSpilled)}</td>` +
    `<td>${esc(e.addTime)}</td><td>${esc(e.removeTime)}</td><td class="remove-reason">${esc(e.removeReason)}</td></tr>`);
  return `<h2>Executors (${executors.filter((e) => e.isActive).length} active, ${executors.filter((e) => !e.isActive).length} dead)</h2>` +
    table("executors-table", ["Executor", "Address", "Status", "Cores", "Active tasks", "Failed tasks", "Completed tasks",
      "Task time", "Shuffle read", "Shuffle write", "Spill", "Added", "Removed", "Reason"], rows);
}

async function sqlPage() {
  const executions = await get("/sql");
  const rows = executions.map((e) => `<tr data-execution-id="${e.id}">` +
    `<td><a href="#/sql/${e.id}">${e.id}</a></td><td>${esc(e.description)}</td><td class="sql-status">${status(e.status)}</td>` +
    `<td>${esc(e.submissionTime)}</td><td>${ms(e.duration)}</td>` +
    `<td>${e.successJobIds.concat(e.runningJobIds, e.failedJobIds).join(", ")}</td><td class="error">${esc(e.errorMessage)}</td></tr>`);
  return `<h2>SQL executions (${executions.length})</h2>` +
    table("sql-table", ["Id", "Description", "Status", "Submitted", "Duration", "Jobs", "Error"], rows);
}

// Lays the plan out as a tree, inputs above the operators that read them (Spark's
// direction), one box per operator with its metrics.
function planGraph(execution) {
  const byId = new Map(execution.nodes.map((n) => [n.nodeId, n]));
  const children = new Map(execution.nodes.map((n) => [n.nodeId, []]));
  for (const edge of execution.edges) children.get(edge.toId).push(edge.fromId);
  const depth = new Map();
  const column = new Map();
  let nextColumn = 0;
  function place(id, d) {
    depth.set(id, d);
    const kids = children.get(id);
    if (!kids.length) { column.set(id, nextColumn++); return; }
    kids.forEach((k) => place(k, d + 1));
    column.set(id, kids.reduce((sum, k) => sum + column.get(k), 0) / kids.length);
  }
  if (byId.has(0)) place(0, 0);
  const maxDepth = Math.max(0, ...depth.values());
  const W = 230, H = 46, GX = 20, GY = 40;
  const boxHeight = (n) => H + 13 * Math.min(n.metrics.length, 4);
  const rowHeight = Math.max(...execution.nodes.map(boxHeight), H) + GY;
  const x = (id) => 10 + column.get(id) * (W + GX);
  const y = (id) => 10 + (maxDepth - depth.get(id)) * rowHeight;
  const edges = execution.edges.map((e) =>
    `<line class="plan-edge" x1="${x(e.fromId) + W / 2}" y1="${y(e.fromId) + boxHeight(byId.get(e.fromId))}" ` +
    `x2="${x(e.toId) + W / 2}" y2="${y(e.toId)}"></line>`);
  const nodes = execution.nodes.map((n) => {
    const detail = n.description.length > 34 ? n.description.slice(0, 33) + "…" : n.description;
    const metrics = n.metrics.slice(0, 4).map((m, i) =>
      `<text class="plan-metric" data-metric-name="${esc(m.name)}" data-metric-value="${esc(m.value)}" x="8" y="${44 + 13 * i}">` +
      `${esc(m.name)}: ${esc(m.value)}</text>`).join("");
    return `<g class="plan-node" data-node-id="${n.nodeId}" data-node-name="${esc(n.nodeName)}" transform="translate(${x(n.nodeId)},${y(n.nodeId)})">` +
      `<title>${esc(n.description)}</title><rect width="${W}" height="${boxHeight(n)}"></rect>` +
      `<text class="name" x="8" y="16">${esc(n.nodeName)}</text><text x="8" y="31">${esc(detail)}</text>${metrics}</g>`;
  });
  const width = 20 + Math.max(1, nextColumn) * (W + GX);
  const height = 20 + (maxDepth + 1) * rowHeight;
  return `<svg id="plan-graph" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">` +
    `<path d="M0,0 L10,5 L0,10 z" fill="#7f8c8d"></path></marker></defs>${edges.join("")}${nodes.join("")}</svg>`;
}

async function sqlDetailPage(id) {
  const e = await get(`/sql/${id}`);
  return `<h2>SQL execution ${e.id}: ${esc(e.description)} ${status(e.status)}</h2>` +
    `<p>Submitted ${esc(e.submissionTime)}, duration ${ms(e.duration)}, jobs ` +
    `${e.successJobIds.concat(e.runningJobIds, e.failedJobIds).map((j) => `<a href="#/jobs">${j}</a>`).join(", ")}</p>` +
    (e.errorMessage ? `<p class="error">${esc(e.errorMessage)}</p>` : "") +
    `<h2>Plan</h2>${planGraph(e)}<h2>Physical plan</h2><pre>${esc(e.planDescription)}</pre>`;
}

async function environmentPage() {
  const env = await get("/environment");
  const runtime = Object.entries(env.runtime).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`);
  const props = env.sparkProperties.map(([k, v]) => `<tr data-key="${esc(k)}"><td>${esc(k)}</td><td>${esc(v)}</td></tr>`);
  return `<h2>Runtime</h2>${table("runtime-table", ["Name", "Value"], runtime)}` +
    `<h2>Spark properties</h2>${table("properties-table", ["Name", "Value"], props)}`;
}

async function applicationsPage() {
  const response = await fetch(API);
  const apps = await response.json();
  const rows = apps.map((a) => {
    const at = a.attempts[0];
    return `<tr data-app-id="${esc(a.id)}"><td><a href="/history/${encodeURIComponent(a.id)}/#/jobs">${esc(a.id)}</a></td>` +
      `<td>${esc(a.name)}</td><td>${esc(at.startTime)}</td><td>${at.completed ? esc(at.endTime) : "running"}</td>` +
      `<td>${ms(at.duration)}</td><td>${esc(at.sparkUser)}</td></tr>`;
  });
  return `<h2>Applications (${apps.length})</h2>` +
    table("applications-table", ["App ID", "Name", "Started", "Completed", "Duration", "User"], rows);
}

function route() {
  const parts = (location.hash.replace(/^#\/?/, "") || "jobs").split("/");
  return { page: parts[0], args: parts.slice(1) };
}

async function render() {
  const { page, args } = route();
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === page ||
    (page === "stage" && a.dataset.page === "stages")));
  let html;
  try {
    if (!appId) {
      html = await applicationsPage();
    } else if (page === "stages") html = await stagesPage();
    else if (page === "stage") html = await stagePage(args[0], args[1] || 0);
    else if (page === "executors") html = await executorsPage();
    else if (page === "sql" && args.length) html = await sqlDetailPage(args[0]);
    else if (page === "sql") html = await sqlPage();
    else if (page === "environment") html = await environmentPage();
    else html = await jobsPage();
  } catch (error) {
    html = `<p class="error">${esc(error.message)}</p>`;
  }
  document.getElementById("page").innerHTML = html;
}

async function start() {
  const match = location.pathname.match(/^\/history\/([^/]+)\//);
  if (match) {
    appId = decodeURIComponent(match[1]);
    history = true;
  } else if (document.body.dataset.mode === "live") {
    const apps = await (await fetch(API)).json();
    if (apps.length) appId = apps[0].id;
  }
  if (appId) {
    const info = await (await fetch(`${API}/${encodeURIComponent(appId)}`)).json();
    document.getElementById("app-name").textContent = `${info.name} (${info.id})${history ? " — history" : ""}`;
    document.title = `${info.name} - Flint UI`;
  } else {
    document.getElementById("nav").style.display = "none";
  }
  window.addEventListener("hashchange", render);
  await render();
  setInterval(render, 2000);
}

start();
