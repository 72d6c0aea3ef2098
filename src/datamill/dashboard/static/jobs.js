// The jobs page: every job, running first; filter and sort in the page; live rows.
"use strict";

const jobs = new Map();
const SHOW = 500;  // rows drawn at most: a page of thousands of jobs stays quick
let sortKey = null, sortDir = 1;

function failures(j) { return j.partitions_failed + j.samples_failed; }

function sorted() {
  const rows = [...jobs.values()];
  if (!sortKey) {  // running first, then newest first
    return rows.sort((a, b) => (b.running - a.running) || String(b.start_time).localeCompare(String(a.start_time)));
  }
  const key = (j) => sortKey === "failures" ? failures(j) : j[sortKey];
  return rows.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x == null) return 1;
    if (y == null) return -1;
    return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * sortDir;
  });
}

function render() {
  const text = document.getElementById("filter").value.toLowerCase();
  const status = document.getElementById("status-filter").value;
  const shown = sorted().filter((j) =>
    (!status || j.status === status) && (!text || j.job_id.toLowerCase().includes(text) || j.status.includes(text)));
  document.querySelector("#jobs tbody").innerHTML = shown.slice(0, SHOW).map((j) => `<tr data-job="${esc(j.job_id)}">
    <td><a href="/jobs/${encodeURIComponent(j.job_id)}">${esc(j.job_id)}</a></td>
    <td>${badge(j.status)}</td>
    <td>${bar(j.progress_percentage)} ${fmt.pct(j.progress_percentage)}</td>
    <td class="num">${fmt.num(j.rate_samples_per_second)}</td>
    <td class="num">${fmt.dur(j.eta_seconds)}</td>
    <td>${fmt.time(j.start_time)}</td>
    <td class="num">${fmt.dur(j.duration_seconds)}</td>
    <td class="num">${fmt.int(failures(j))}</td></tr>`).join("");
  document.getElementById("count").textContent = `${shown.length} of ${jobs.size} jobs` +
    (shown.length > SHOW ? ` (the first ${SHOW} shown: filter or sort to see others)` : "");
  const select = document.getElementById("status-filter");
  const statuses = [...new Set([...jobs.values()].map((j) => j.status))].sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (statuses.join() !== have.join()) {
    select.innerHTML = `<option value="">every status</option>` +
      statuses.map((s) => `<option${s === status ? " selected" : ""}>${esc(s)}</option>`).join("");
  }
}

let pending = false;
function later() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); } }

document.getElementById("filter").addEventListener("input", later);
document.getElementById("status-filter").addEventListener("change", later);
for (const th of document.querySelectorAll("th.sortable")) {
  th.addEventListener("click", () => {
    sortDir = sortKey === th.dataset.key ? -sortDir : 1;
    sortKey = th.dataset.key;
    later();
  });
}

storedToken();
follow("/api/jobs/stream", {
  jobs(rows) { jobs.clear(); for (const r of rows) jobs.set(r.job_id, r); later(); },
  update(change) {
    for (const r of change.changed) jobs.set(r.job_id, r);
    for (const id of change.removed) jobs.delete(id);
    later();
  },
});
