// Line charts on a canvas: time on x, one or more series on y. No library.
"use strict";

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function clock(epoch) {
  const d = new Date(epoch * 1000);
  return d.toTimeString().slice(0, 8);
}

// series: [{name, color, points: [[epoch, value], ...]}]
function drawChart(canvas, series, unit) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * ratio; canvas.height = h * ratio;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const all = series.flatMap((s) => s.points);
  canvas.dataset.points = String(all.length);
  const left = 52, right = 10, top = 18, bottom = 22;
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#6b7480";
  if (!all.length) { g.fillText("no data yet", left, top + 20); return; }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  const ymax = niceMax(Math.max(...all.map((p) => p[1] || 0)));
  const X = (x) => left + (x - x0) / (x1 - x0) * (w - left - right);
  const Y = (y) => h - bottom - (y / ymax) * (h - top - bottom);
  g.strokeStyle = "#dde1e6"; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = Y(ymax * i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
    g.fillText(fmt.num(ymax * i / 4, ymax < 10 ? 1 : 0), 4, y + 4);
  }
  g.fillText(clock(x0), left, h - 6);
  const last = clock(x1);
  g.fillText(last, w - right - g.measureText(last).width, h - 6);
  let lx = left;
  for (const s of series) {
    g.strokeStyle = s.color; g.lineWidth = 1.6;
    g.beginPath();
    s.points.forEach((p, i) => (i ? g.lineTo(X(p[0]), Y(p[1] || 0)) : g.moveTo(X(p[0]), Y(p[1] || 0))));
    g.stroke();
    g.fillStyle = s.color;
    g.fillRect(lx, 4, 10, 3);
    g.fillStyle = "#1d232b";
    const label = `${s.name} ${s.points.length ? fmt.num(s.points[s.points.length - 1][1]) : ""}${unit || ""}`;
    g.fillText(label, lx + 14, 10);
    lx += g.measureText(label).width + 30;
  }
}

// Rows completed per second -> samples/s, in at most ~240 buckets.
function throughputPoints(bySecond) {
  const secs = [...bySecond.keys()].sort((a, b) => a - b);
  if (!secs.length) return [];
  const first = secs[0], span = secs[secs.length - 1] - first + 1;
  const width = Math.max(1, Math.ceil(span / 240));
  const buckets = new Map();
  for (const s of secs) {
    const b = first + Math.floor((s - first) / width) * width;
    buckets.set(b, (buckets.get(b) || 0) + bySecond.get(s));
  }
  const out = [];
  for (let b = first; b <= secs[secs.length - 1]; b += width) out.push([b, (buckets.get(b) || 0) / width]);
  return out;
}
