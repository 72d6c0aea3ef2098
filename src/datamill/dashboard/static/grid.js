// The partition grid: one cell per partition, coloured by state, on a canvas (100,000 stay readable).
"use strict";

const GRID_COLORS = { p: "#d5d9de", r: "#3b82f6", t: "#f59e0b", c: "#16a34a", R: "#0d9488", f: "#dc2626" };

class PartitionGrid {
  constructor(canvas, tip) {
    this.canvas = canvas; this.tip = tip;
    this.codes = []; this.ops = {}; this.legend = {};
    this.cell = 10; this.cols = 1;
    canvas.addEventListener("mousemove", (e) => this.hover(e));
    canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    canvas.addEventListener("click", (e) => { const i = this.at(e); if (i != null && this.onpick) this.onpick(i); });
    window.addEventListener("resize", () => this.draw());
  }

  set(snapshot) {
    this.codes = snapshot.codes.split("");
    this.ops = snapshot.ops || {};
    this.legend = snapshot.legend || this.legend;
    this.draw();
  }

  change(diff) {
    for (const [i, code] of Object.entries(diff.states)) {
      const k = Number(i);
      while (this.codes.length <= k) this.codes.push("p");
      this.codes[k] = code;
    }
    for (const [i, op] of Object.entries(diff.ops)) { if (op == null) delete this.ops[i]; else this.ops[i] = op; }
    if (this.layoutFor !== this.codes.length) this.draw();
    else for (const i of Object.keys(diff.states)) this.paint(Number(i));
    this.counts();
  }

  layout() {
    const n = Math.max(1, this.codes.length);
    const width = this.canvas.clientWidth || 800;
    this.cell = Math.max(2, Math.min(14, Math.floor(Math.sqrt(width * 420 / n))));
    this.cols = Math.max(1, Math.floor(width / this.cell));
    const rows = Math.ceil(n / this.cols);
    this.canvas.width = this.cols * this.cell;
    this.canvas.height = Math.max(this.cell, rows * this.cell);
    this.canvas.style.height = this.canvas.height + "px";
    this.canvas.style.width = this.canvas.width + "px";
    this.layoutFor = this.codes.length;
  }

  draw() {
    this.layout();
    const g = this.canvas.getContext("2d");
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 0; i < this.codes.length; i++) this.paint(i, g);
    this.counts();
  }

  paint(i, g) {
    g = g || this.canvas.getContext("2d");
    const gap = this.cell >= 6 ? 1 : 0;
    const x = (i % this.cols) * this.cell, y = Math.floor(i / this.cols) * this.cell;
    g.fillStyle = GRID_COLORS[this.codes[i]] || GRID_COLORS.p;
    g.fillRect(x, y, this.cell - gap, this.cell - gap);
  }

  counts() {
    const n = {};
    for (const c of this.codes) n[c] = (n[c] || 0) + 1;
    document.getElementById("legend").innerHTML = Object.entries(this.legend).map(([code, name]) =>
      `<span><i style="background:${GRID_COLORS[code]}"></i>${esc(name)} <b id="count-${code}">${fmt.int(n[code] || 0)}</b></span>`).join("");
    document.getElementById("grid-size").textContent = `(${fmt.int(this.codes.length)})`;
    this.canvas.dataset.committed = String((n.c || 0) + (n.R || 0));
  }

  at(e) {
    const r = this.canvas.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / this.cell), row = Math.floor((e.clientY - r.top) / this.cell);
    const i = row * this.cols + col;
    return col >= this.cols || i < 0 || i >= this.codes.length ? null : i;
  }

  hover(e) {
    const i = this.at(e);
    if (i == null) { this.tip.style.display = "none"; return; }
    const state = this.legend[this.codes[i]] || this.codes[i];
    const op = this.ops[i] ? ` — running ${this.ops[i]}` : "";
    this.tip.textContent = `partition ${i}: ${state}${op}`;
    this.tip.style.left = e.clientX + 12 + "px";
    this.tip.style.top = e.clientY + 12 + "px";
    this.tip.style.display = "block";
  }
}
