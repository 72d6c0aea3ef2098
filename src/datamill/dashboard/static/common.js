// Formatting and the live connection, shared by the two pages.
"use strict";

const fmt = {
  int(n) { return n == null ? "–" : Number(n).toLocaleString("en-US"); },
  num(n, digits = 1) { return n == null ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: digits }); },
  pct(n) { return n == null ? "–" : Number(n).toFixed(1) + "%"; },
  dur(s) {
    if (s == null) return "–";
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? `${h}h ${String(m).padStart(2, "0")}m` : m ? `${m}m ${String(sec).padStart(2, "0")}s` : `${sec}s`;
  },
  time(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString("sv-SE").replace("T", " ");
  },
};

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function badge(status) { return `<span class="badge ${esc(status)}">${esc(status)}</span>`; }

function bar(percent, big) {
  return `<span class="bar${big ? " big" : ""}"><div style="width:${Math.min(100, percent || 0)}%"></div></span>`;
}

// Follow a server-sent events stream; handlers by event name. Shows the connection state in #live.
function follow(url, handlers) {
  const live = document.getElementById("live");
  const source = new EventSource(url);
  source.onerror = () => { if (live) live.textContent = "reconnecting…"; };
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (e) => {
      if (live) live.textContent = "live";
      handler(JSON.parse(e.data));
    });
  }
  return source;
}

// The stop token: from the launch URL's #token=… (kept for this tab), or typed in.
function storedToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("datamill-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("datamill-token") || "";
}
