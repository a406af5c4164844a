/**
 * The dashboard served at `/`: one static page (HTML, CSS and plain JS, nothing fetched from elsewhere, no build
 * step). It loads `/status` once, then follows `/events` (EventSource resumes with Last-Event-ID by itself) and
 * re-reads `/status` after each event, so the instance table, the transition timeline and the virtual/real
 * servers follow the daemon live. Elements carry `data-*` attributes the browser test reads.
 */

/** The page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keepalived-ts</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.2em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;white-space:nowrap}
th{background:#f0f0f0}.MASTER{background:#c8f0c8}.BACKUP{background:#dde8ff}.FAULT{background:#f8c8c8}.STOP,.INIT{background:#eee}
.up{color:#176317}.down{color:#a31515}.draining{color:#8a6d00}#conn{font-size:.85em;color:#666}
#timeline li{font-family:ui-monospace,monospace;font-size:.9em}
</style></head><body>
<h1>keepalived-ts <span id="node"></span></h1><div id="conn">connecting…</div>
<h2>VRRP instances</h2>
<table id="instances"><thead><tr><th>instance</th><th>state</th><th>priority</th><th>master</th><th>since</th><th>why</th><th>VIPs</th><th>group</th></tr></thead><tbody></tbody></table>
<h2>Virtual servers</h2><div id="vs">none</div>
<h2>Timeline</h2><ol id="timeline" reversed></ol>
<script>
"use strict";
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const ago = (ms) => { if (!ms) return "-"; const s = Math.max(0, Math.floor((Date.now() - ms) / 1000)); return s < 60 ? s + "s" : Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s"; };
let view = null;
function render() {
  if (!view) return;
  $("#node").textContent = (view.routerId ? view.routerId + " — " : "") + "pid " + view.process.pid;
  $("#instances tbody").innerHTML = view.instances.map((i) =>
    '<tr data-instance="' + esc(i.name) + '" data-state="' + esc(i.state) + '"><td>' + esc(i.name) + '</td><td class="' + esc(i.state) + '">' + esc(i.state) +
    "</td><td>" + i.effectivePriority + (i.effectivePriority !== i.basePriority ? " / " + i.basePriority : "") + "</td><td>" +
    esc(i.state === "MASTER" ? "self" : i.masterAddress ? i.masterAddress + " prio " + i.masterPriority : "-") + "</td><td>" + ago(i.sinceMs) +
    "</td><td>" + esc(i.reason || "-") + "</td><td>" + esc(i.vips.join(", ")) + "</td><td>" + esc(i.syncGroup || "-") + "</td></tr>").join("");
  $("#vs").innerHTML = view.virtualServers.length ? view.virtualServers.map((v) =>
    '<h3 data-vs="' + esc(v.name) + '">' + esc(v.name) + " " + esc(v.protocol) + ' <span class="' + (v.quorumUp ? "up" : "down") + '">quorum ' + (v.quorumUp ? "up" : "down") + "</span></h3>" +
    "<table><tr><th>real server</th><th>health</th><th>weight</th><th>last result</th><th>latency</th></tr>" + v.realServers.map((r) => {
      const h = r.drained ? "draining" : r.up ? "up" : "down";
      return '<tr data-rs="' + esc(r.address) + '"><td>' + esc(r.address) + '</td><td class="' + h + '">' + h + "</td><td>" + r.weight + "</td><td>" +
        esc(r.lastResult || "-") + "</td><td>" + (r.latencyMs != null ? r.latencyMs.toFixed(1) + " ms" : "-") + "</td></tr>";
    }).join("") + "</table>").join("") : "none";
}
async function refresh() {
  try { const r = await fetch("/status", { cache: "no-store" }); if (r.ok) { view = (await r.json()).view; render(); } } catch (e) { /* next event retries */ }
}
let pending = false;
function soon() { if (pending) return; pending = true; setTimeout(() => { pending = false; refresh(); }, 0); }
function timeline(kind, d, id) {
  const li = document.createElement("li");
  li.dataset.kind = kind; li.dataset.id = id;
  const t = new Date(d.at || Date.now()).toISOString().slice(11, 23);
  if (kind === "transition") { li.dataset.instance = d.instance; li.dataset.to = d.to; li.textContent = t + " " + d.instance + " " + d.from + " → " + d.to + " (" + d.reason + ")"; }
  else if (kind === "garp") li.textContent = t + " " + d.instance + " GARP/NA ×" + d.count + " " + d.addresses.join(", ");
  else if (kind === "priority") li.textContent = t + " " + d.instance + " priority " + d.from + " → " + d.to;
  else if (kind === "check" || kind === "realserver") li.textContent = t + " " + d.vs + " " + d.rs + " " + (d.up ? "up" : "down") + (d.weight != null ? " weight " + d.weight : "") + (d.latencyMs != null ? " " + d.latencyMs.toFixed(1) + " ms" : "");
  else li.textContent = t + " " + kind + " " + JSON.stringify(d);
  const ol = $("#timeline"); ol.insertBefore(li, ol.firstChild);
  while (ol.children.length > 200) ol.removeChild(ol.lastChild);
}
function onEvent(kind) {
  return (ev) => {
    const d = JSON.parse(ev.data);
    timeline(kind, d, ev.lastEventId);
    if (kind === "transition" && view) { // show it at once; /status follows
      const i = view.instances.find((x) => x.name === d.instance);
      if (i) { i.state = d.to; i.reason = d.reason; i.sinceMs = d.at; render(); }
    }
    soon();
  };
}
const es = new EventSource("/events");
for (const k of ["transition", "priority", "garp", "check", "realserver", "quorum", "process"]) es.addEventListener(k, onEvent(k));
es.addEventListener("reset", () => soon());
es.onopen = () => { $("#conn").textContent = "live"; soon(); };
es.onerror = () => { $("#conn").textContent = "reconnecting…"; };
refresh();
setInterval(render, 1000);
</script></body></html>
`;
