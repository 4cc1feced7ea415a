// The dashboard page: server-sent events from /events into cards, tables and uPlot charts.
// Errors are kept in window.dashboardErrors (the browser test reads them).
"use strict";
window.dashboardErrors = [];
// Capturing: a script, style or image that fails to load is an error too.
window.addEventListener("error", (e) => window.dashboardErrors.push(
  e.message ? String(e.message) : `failed to load ${e.target && (e.target.src || e.target.href)}`), true);
window.addEventListener("unhandledrejection", (e) => window.dashboardErrors.push(`unhandled: ${e.reason}`));
const consoleError = console.error;
console.error = (...a) => { window.dashboardErrors.push(a.join(" ")); consoleError(...a); };

const $ = (id) => document.getElementById(id);
const token = document.querySelector('meta[name="dashboard-token"]').content;
const fmt = (v, d) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : Number(v).toFixed(d);
const MAX_SECONDS = 3600;

// Per-second series: x (unix s), then the series of each chart.
const series = { t: [], achieved: [], target: [], p50: [], p95: [], p99: [], errors: [], dropped: [], gen: [], sut: [] };
let lastDropped = null, lastPoint = null, seconds = 0, ended = false;
const finished = [];

function width(el) { return Math.max(300, el.clientWidth || 440); }
function chart(id, labels, colors, opts = {}) {
  const el = $(id);
  return new uPlot({
    width: width(el), height: 200,
    scales: opts.scales || { x: { time: true } },
    axes: opts.axes,
    series: [{}].concat(labels.map((l, i) => Object.assign({ label: l, stroke: colors[i], width: 1.5, spanGaps: false }, (opts.series || [])[i] || {}))),
    bands: opts.bands,
  }, [[]].concat(labels.map(() => [])), el);
}
const charts = {
  rate: chart("chart-rate", ["achieved req/s", "target req/s"], ["#2471a3", "#aab7b8"]),
  latency: chart("chart-latency", ["p50 ms", "p95 ms", "p99 ms"], ["#27ae60", "#e67e22", "#c0392b"]),
  errors: chart("chart-errors", ["errors %", "dropped starts"], ["#c0392b", "#8e44ad"]),
  cpu: chart("chart-cpu", ["generator CPU %", "target CPU %"], ["#2471a3", "#e67e22"]),
  curve: chart("chart-curve", ["p50 ms", "p95 ms", "p99 ms"], ["#27ae60", "#e67e22", "#c0392b"],
    { scales: { x: { time: false } }, axes: [{ label: "target req/s" }, { label: "ms" }] }),
};
let searchChart = null;

function redraw() {
  const s = series;
  charts.rate.setData([s.t, s.achieved, s.target]);
  charts.latency.setData([s.t, s.p50, s.p95, s.p99]);
  charts.errors.setData([s.t, s.errors, s.dropped]);
  charts.cpu.setData([s.t, s.gen, s.sut]);
}

function onSession(d) {
  $("what").textContent = `${d.scenario} → ${d.host}${d.in_process ? " (embedded site)" : ""}: ${d.points} point(s) of ${d.duration_s} s; SLO ${d.slos.length ? d.slos.join(", ") : "none"}`;
  note(`results: ${d.dir}`);
}

function onPoint(d) {
  lastPoint = d.index; lastDropped = null;
  // A gap between points: the lines break there instead of joining across the pause.
  const n = series.t.length;
  if (n > 0 && series.achieved[n - 1] !== null) {
    for (const k in series) series[k].push(k === "t" ? series.t[n - 1] + 0.5 : null);
  }
  $("point-label").textContent = `point ${d.index + 1}: ${d.label}${d.params ? " " + d.params : ""}`;
  $("target").textContent = fmt(d.target_rps, 1);
  $("status").textContent = `running point ${d.index + 1}`;
}

function onSecond(d) {
  seconds += 1;
  const s = series;
  if (s.t.length >= MAX_SECONDS) for (const k in s) s[k].shift();
  const dropped = lastDropped === null ? d.dropped : d.dropped - lastDropped;
  lastDropped = d.dropped;
  const r = d.resources || {};
  s.t.push(d.t); s.achieved.push(d.achieved_rps); s.target.push(d.target_rps);
  s.p50.push(d.p50_ms); s.p95.push(d.p95_ms); s.p99.push(d.p99_ms);
  s.errors.push(100 * d.error_rate); s.dropped.push(dropped);
  s.gen.push(r.gen_cpu_pct ?? null); s.sut.push(r.sut_cpu_pct ?? null);
  $("achieved").textContent = fmt(d.achieved_rps, 0);
  $("p50").textContent = fmt(d.so_far.p50_ms, 2);
  $("p95").textContent = fmt(d.so_far.p95_ms, 2);
  $("p99").textContent = fmt(d.so_far.p99_ms, 2);
  $("errors").textContent = fmt(100 * d.so_far.error_rate, 2);
  $("requests").textContent = d.so_far.requests;
  $("dropped").textContent = d.dropped;
  $("inflight").textContent = d.in_flight;
  $("gen-cpu").textContent = r.gen_cpu_pct === undefined ? "–" : `${fmt(r.gen_cpu_pct, 0)} / ${fmt(r.gen_rss_mb, 0)}`;
  $("sut-cpu").textContent = r.sut_cpu_pct == null ? "–" : `${fmt(r.sut_cpu_pct, 0)} / ${fmt(r.sut_rss_mb, 0)}`;
  $("lag").textContent = fmt(r.gen_lag_ms, 2);
  $("slo").tBodies[0].innerHTML = d.slo.map((v) =>
    `<tr><td>${esc(v.rule)}</td><td>${esc(v.observed)}</td><td class="${v.pass ? "pass" : "fail"}">${v.pass ? "pass" : "FAIL"}</td></tr>`).join("");
  $("endpoints").tBodies[0].innerHTML = d.endpoints.map((e) =>
    `<tr><td>${esc(e.name)}</td><td>${e.requests}</td><td>${fmt(100 * e.error_rate, 2)}</td><td>${fmt(e.p50_ms, 2)}</td><td>${fmt(e.p95_ms, 2)}</td><td>${fmt(e.p99_ms, 2)}</td></tr>`).join("");
  redraw();
}

function onPointEnd(d) {
  finished.push(d);
  const row = document.createElement("tr");
  row.dataset.point = d.index;
  row.innerHTML = `<td>${d.index + 1}</td><td>${esc(d.label)}</td><td class="achieved">${fmt(d.achieved_rps, 1)}</td><td class="p50">${fmt(d.p50_ms, 2)}</td><td class="p95">${fmt(d.p95_ms, 2)}</td><td class="p99">${fmt(d.p99_ms, 2)}</td><td class="errors">${fmt(100 * d.error_rate, 2)}</td><td>${d.dropped}</td><td class="${d.slo_pass ? "pass" : "fail"}">${d.slo_pass ? "pass" : "FAIL"}${d.complete ? "" : " (partial)"}</td>`;
  $("finished").tBodies[0].appendChild(row);
  const byRate = finished.filter((p) => p.target_rps !== null).sort((a, b) => a.target_rps - b.target_rps);
  charts.curve.setData([byRate.map((p) => p.target_rps), byRate.map((p) => p.p50_ms), byRate.map((p) => p.p95_ms), byRate.map((p) => p.p99_ms)]);
}

function onSearch(v) {
  $("search").classList.remove("hidden");
  const iv = v.interval ? `${fmt(v.interval[0], 1)} .. ${v.interval[1] === null ? "∞" : fmt(v.interval[1], 1)} req/s (${v.interval_kind})` : "none yet";
  $("search-text").innerHTML =
    `breaking point: <b>${fmt(v.estimate, 1)}</b> req/s, interval ${esc(iv)}; ${v.points.length} point(s) measured` +
    (v.next ? `; next ${fmt(v.next[0], 1)} req/s (${esc(v.next[1])})` : "") +
    (v.stopped ? `<br>stopped: ${esc(v.stopped)}` : "");
  // One x axis for the model's grid and the measured points (log scale of load).
  const xs = [...new Set(v.curve.map((c) => c.rate).concat(v.points.map((p) => p.rate)))].sort((a, b) => a - b);
  const at = (list, key, val) => xs.map((x) => { const f = list.find((c) => c.rate === x); return f && (!val || val(f)) ? f[key] : null; });
  const data = [xs, at(v.curve, "mean"), at(v.curve, "lo"), at(v.curve, "hi"),
    at(v.points, "margin", (p) => p.pass), at(v.points, "margin", (p) => !p.pass)];
  if (!searchChart) {
    const el = $("chart-search");
    searchChart = new uPlot({
      width: width(el), height: 240,
      scales: { x: { time: false, distr: 3 } },
      axes: [{ label: "req/s" }, { label: "SLO margin (above 0 fails)" }],
      series: [{},
        { label: "model mean", stroke: "#2471a3", width: 1.5 },
        { label: "90% band", stroke: "#a9cce3", width: 1 },
        { label: "", stroke: "#a9cce3", width: 1 },
        { label: "passed", stroke: "#1e8449", paths: () => null, points: { show: true, size: 9, fill: "#1e8449" } },
        { label: "failed", stroke: "#c0392b", paths: () => null, points: { show: true, size: 9, fill: "#c0392b" } }],
      bands: [{ series: [3, 2], fill: "#2471a322" }],
    }, data, el);
  } else {
    searchChart.setData(data);
  }
}

function onFinish(d) {
  ended = true;
  $("status").textContent = d.interrupted ? `stopped (signal ${d.interrupted}): ${d.points} point(s) written` : `finished: ${d.points} point(s)`;
}

function note(msg) {
  const n = $("notes");
  n.textContent += msg + "\n";
  n.scrollTop = n.scrollHeight;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const handlers = { session: onSession, point: onPoint, second: onSecond, point_end: onPointEnd, search: onSearch, note: (d) => note(d.msg), finish: onFinish };
let es = null;
function connect() {
  // A reconnection replays the whole history: start from empty.
  for (const k in series) series[k].length = 0;
  finished.length = 0; seconds = 0;
  $("finished").tBodies[0].innerHTML = ""; $("notes").textContent = "";
  es = new EventSource("/events");
  for (const [name, f] of Object.entries(handlers)) {
    es.addEventListener(name, (e) => { f(JSON.parse(e.data)); });
  }
  es.onopen = () => { if (!ended) $("status").textContent = "connected"; };
  es.onerror = () => {
    es.close();
    // After the run's end the process is gone: nothing to reconnect to.
    if (ended) return;
    $("status").textContent = "disconnected: reconnecting…";
    setTimeout(connect, 1000);
  };
}
connect();

$("stop").addEventListener("click", async () => {
  $("stop").disabled = true;
  const r = await fetch("/stop", { method: "POST", headers: { "X-Dashboard-Token": token } });
  $("status").textContent = r.ok ? "stopping: the partial point is being written" : `stop refused (${r.status})`;
  if (!r.ok) $("stop").disabled = false;
});
window.dashboardSeconds = () => seconds;
