// A job's page: overview, charts, partition grid, ops, failures, checkpoints, events; live.
"use strict";

const jobId = decodeURIComponent(location.pathname.split("/").pop());
const api = `/api/jobs/${encodeURIComponent(jobId)}`;
const view = { report: null, bySecond: new Map(), resources: [], events: [], config: {} };
const grid = new PartitionGrid(document.getElementById("grid"), document.getElementById("tip"));
const KEEP_EVENTS = 2000;
document.getElementById("job-id").textContent = jobId;
document.title = `${jobId} · datamill`;

function card(k, v) { return `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`; }

function overview(r) {
  const o = r.job_overview, p = r.overall_progress;
  document.getElementById("status").innerHTML = badge(o.status) + (o.phase ? ` <span class="muted">${esc(o.phase)}</span>` : "");
  document.getElementById("progress").innerHTML =
    `${bar(p.progress_percentage, true)}<div class="muted">${fmt.pct(p.progress_percentage)} of partitions committed</div>`;
  document.getElementById("cards").innerHTML = [
    card("partitions", `${fmt.int(p.partitions_completed)} / ${fmt.int(p.partitions_total)}`),
    card("running · pending · failed", `${fmt.int(p.partitions_running)} · ${fmt.int(p.partitions_pending)} · ${fmt.int(p.partitions_failed)}`),
    card("samples processed", `${fmt.int(p.samples_processed)} / ${fmt.int(p.samples_total)}`),
    card("samples written", fmt.int(p.samples_written)),
    card("samples set aside", fmt.int(p.samples_set_aside)),
    card("samples/s", fmt.num(p.rate_samples_per_second)),
    card("ETA", fmt.dur(p.eta_seconds)),
    card("elapsed", fmt.dur(p.elapsed_time_seconds)),
    card("started", fmt.time(o.start_time)),
    card("ended", fmt.time(o.end_time)),
    card("driver", o.driver_pid ? `${esc(o.host || "")} pid ${o.driver_pid}` : "–"),
    card("dataset", esc(o.dataset_path || "–")),
  ].join("");
  document.getElementById("resume").textContent = o.resume_command || "–";
  const stoppable = o.running;
  document.getElementById("stop").disabled = !stoppable;
  document.getElementById("force-stop").disabled = !stoppable;
}

function opsTable(ops) {
  document.querySelector("#ops tbody").innerHTML = ops.map((m) => `<tr data-op="${m.index}">
    <td class="num">${m.index}</td><td>${esc(m.name)}</td>
    <td class="num rows-in">${fmt.int(m.rows_in)}</td><td class="num rows-out">${fmt.int(m.rows_out)}</td>
    <td class="num">${fmt.int(m.rows_changed)}</td><td class="num">${fmt.int(m.rows_removed)}</td>
    <td class="num">${fmt.int(m.rows_failed)}</td><td class="num">${fmt.num(m.seconds, 3)}</td>
    <td class="num">${fmt.num(m.rows_per_second)}</td><td class="num">${fmt.int(m.runs)}</td></tr>`).join("")
    || `<tr><td colspan="10" class="muted">no committed partition yet</td></tr>`;
}

function checkpoints(c) {
  const rows = c.by_op.map((b) => `<tr><td class="num">${b.op_index}</td><td>${esc(b.op_name || "")}</td><td class="num">${fmt.int(b.partitions)}</td></tr>`).join("");
  document.getElementById("checkpoints").innerHTML =
    `<p>${fmt.int(c.saved)} saved, ${fmt.int(c.loaded)} loaded; ${fmt.int(c.partitions_with_checkpoints)} partitions have one` +
    `${c.last_saved_time ? `; last saved ${fmt.time(c.last_saved_time)}` : ""}.</p>` +
    (rows ? `<table><thead><tr><th class="num">after op</th><th>op</th><th class="num">partitions</th></tr></thead><tbody>${rows}</tbody></table>` : "");
}

function failures(f) {
  if (!f) return;
  const steps = f.by_step.map((s) => `<tr><td>${esc(s.step)}</td><td class="num">${fmt.int(s.records)}</td>
    <td>${s.top_messages.map(([m, n]) => `<div><code>${esc(m)}</code> ×${fmt.int(n)}</div>`).join("")}</td>
    <td>${s.record_ids.map((i) => `<code>${esc(i)}</code>`).join(" ")}</td></tr>`).join("");
  const parts = f.failed_partitions.map((p) => `<tr><td>${esc(p.partition_id)}</td><td class="num">${p.attempts ?? ""}</td><td>${esc(p.step || "")}</td><td><code>${esc(p.error || "")}</code></td></tr>`).join("");
  document.getElementById("failures").innerHTML =
    `<p>${fmt.int(f.failed_records)} records set aside (in the failed ledger${f.id_column ? `, by ${esc(f.id_column)}` : ""}).</p>` +
    (steps ? `<table id="failures-by-step"><thead><tr><th>step</th><th class="num">records</th><th>top messages</th><th>some record ids</th></tr></thead><tbody>${steps}</tbody></table>` : "") +
    (parts ? `<h3>Failed partitions</h3><table><thead><tr><th>partition</th><th class="num">attempts</th><th>step</th><th>error</th></tr></thead><tbody>${parts}</tbody></table>` : "");
}

function charts() {
  drawChart(document.getElementById("throughput"), [{ name: "samples/s", color: "#16a34a", points: throughputPoints(view.bySecond) }]);
  const r = view.resources;
  drawChart(document.getElementById("cpu"), [
    { name: "driver", color: "#3b82f6", points: r.map((x) => [x[0], x[1]]) },
    { name: "workers", color: "#f59e0b", points: r.map((x) => [x[0], x[4]]) },
  ], "%");
  drawChart(document.getElementById("memory"), [
    { name: "driver", color: "#3b82f6", points: r.map((x) => [x[0], x[2]]) },
    { name: "workers", color: "#f59e0b", points: r.map((x) => [x[0], x[5]]) },
  ], " MB");
}

const DETAIL_KEYS = ["attempt", "rows_in", "rows_out", "duration_s", "node", "error_type", "error_message", "message"];

function clip(v) { v = String(v); return v.length > 240 ? v.slice(0, 240) + "…" : v; }

function events() {
  const type = document.getElementById("ev-type").value;
  const part = document.getElementById("ev-partition").value.trim();
  const op = document.getElementById("ev-op").value.trim();
  const shown = view.events.filter((e) => (!type || e.type === type) &&
    (!part || (e.partition_id || "").includes(part)) && (!op || (e.op_name || "").includes(op)));
  const newest = shown.slice(-300).reverse();
  document.querySelector("#events tbody").innerHTML = newest.map((e) => `<tr>
    <td>${esc((e.time || "").slice(11, 23))}</td><td class="lvl-${e.level}">${esc(e.type)}</td>
    <td>${esc(e.partition_id || "")}</td><td>${esc(e.op_name || "")}</td>
    <td class="msg">${DETAIL_KEYS.filter((k) => e[k] != null).map((k) => `${k}=${esc(clip(e[k]))}`).join(" ")}</td></tr>`).join("");
  document.getElementById("ev-count").textContent = `${shown.length} of the last ${view.events.length} events`;
  const select = document.getElementById("ev-type");
  const types = [...new Set(view.events.map((e) => e.type))].sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (types.join() !== have.join()) {
    select.innerHTML = `<option value="">every type</option>` + types.map((t) => `<option${t === type ? " selected" : ""}>${esc(t)}</option>`).join("");
  }
}

function addEvents(list) {
  view.events.push(...list);
  if (view.events.length > KEEP_EVENTS) view.events.splice(0, view.events.length - KEEP_EVENTS);
}

function report(r) {
  view.report = r;
  overview(r);
  opsTable(r.operation_metrics);
  checkpoints(r.checkpoint_summary);
}

let dirty = {};
function soon(...parts) {
  const first = !Object.keys(dirty).length;
  for (const p of parts) dirty[p] = true;
  if (first) requestAnimationFrame(() => {
    const d = dirty; dirty = {};
    if (d.charts) charts();
    if (d.events && document.getElementById("ev-follow").checked) events();
  });
}

function applyState(s) {
  report(s.report);
  grid.set(s.grid);
  failures(s.failures);
  view.bySecond = new Map(s.throughput);
  view.resources = s.resources;
  view.events = [];
  addEvents(s.events);
  soon("charts", "events");
  events();
}

function applyUpdate(u) {
  if (u.report) report(u.report);
  if (u.grid) grid.set(u.grid);
  if (u.grid_changes) grid.change(u.grid_changes);
  if (u.failures) failures(u.failures);
  if (u.throughput) for (const [s, n] of u.throughput) view.bySecond.set(s, n);
  if (u.resources) view.resources.push(...u.resources);
  if (u.throughput || u.resources) soon("charts");
  if (u.events) { addEvents(u.events); soon("events"); }
}

async function stop(force) {
  const message = document.getElementById("control-message");
  const token = document.getElementById("token").value.trim();
  if (force && !confirm("Kill the job's driver and workers now? It stays resumable.")) return;
  message.className = ""; message.textContent = force ? "killing…" : "stopping (the running partitions finish first)…";
  const headers = { "Content-Type": "application/json" };
  if (token) headers[view.config.token_header] = token;
  const res = await fetch(`${api}/stop${force ? "?force=1" : ""}`, { method: "POST", headers, body: JSON.stringify({}) });
  const body = await res.json();
  message.className = res.ok ? "" : "error";
  message.textContent = res.ok ? body.message : (body.error || body.message || `refused (${res.status})`);
  if (res.ok && token) sessionStorage.setItem("datamill-token", token);
}

grid.onpick = async (i) => {
  const box = document.getElementById("partition-detail");
  const res = await fetch(`${api}/partitions/${i}`);
  if (!res.ok) { box.textContent = `partition ${i}: no details (no plan yet)`; return; }
  const p = await res.json();
  const ops = (p.ops || []).map((o) => `<tr><td>${esc(o.name)}</td><td class="num">${fmt.int(o.rows_in)}</td><td class="num">${fmt.int(o.rows_out)}</td><td class="num">${fmt.num(o.seconds, 3)}</td></tr>`).join("");
  box.innerHTML = `<p><b>${esc(p.partition_id)}</b> (#${i}): ${esc(p.status)}` +
    `${p.current_op ? `, running ${esc(p.current_op)}` : ""}; ${fmt.int(p.samples)} samples` +
    `${p.rows_out != null ? ` → ${fmt.int(p.rows_out)}` : ""}${p.seconds != null ? ` in ${fmt.num(p.seconds, 2)} s` : ""}` +
    `; attempt ${p.attempt}, ${p.retries} retries, ${p.checkpoints} checkpoints${p.node ? `, on ${esc(p.node)}` : ""}.` +
    ` <a href="#events" data-partition="${esc(p.partition_id)}">its events</a></p>` +
    (ops ? `<table><thead><tr><th>op</th><th class="num">rows in</th><th class="num">rows out</th><th class="num">seconds</th></tr></thead><tbody>${ops}</tbody></table>` : "");
  box.querySelector("a[data-partition]").addEventListener("click", (e) => {
    document.getElementById("ev-partition").value = e.target.dataset.partition;
    document.getElementById("ev-type").value = "";
    events();
  });
};

for (const id of ["ev-type", "ev-partition", "ev-op"]) document.getElementById(id).addEventListener("input", events);
window.addEventListener("resize", () => soon("charts"));

(async () => {
  const token = storedToken();
  view.config = await (await fetch("/api/config")).json();
  if (view.config.allow_control) {
    document.getElementById("control").hidden = false;
    document.getElementById("token").value = token;
    document.getElementById("stop").addEventListener("click", () => stop(false));
    document.getElementById("force-stop").addEventListener("click", () => stop(true));
  }
  follow(`${api}/stream`, { state: applyState, update: applyUpdate });
})();
