// The page at GET / on the admin port: cluster members, connections,
// throughput and drops, from the admin API (polled) and its event stream.
// One static file, no framework; it holds no data itself, so it is served
// without the token, and asks for the token when the API wants one.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mqttlab</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2530}
header{background:#1d2530;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}#status{color:#9fb3c8}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px;padding:14px 20px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:10px 14px}
h2{font-size:13px;text-transform:uppercase;color:#5a6b7d;margin:0 0 8px}
.big{font-size:28px;font-weight:600}.row{display:flex;gap:24px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eef1f4}
.running{color:#1a7f37}.unreachable,.stopped{color:#c62828}.left{color:#777}
#events{font:12px ui-monospace,monospace;max-height:260px;overflow:auto;white-space:pre}
svg{width:100%;height:60px}
</style></head>
<body>
<header><h1>mqttlab</h1><span id="node"></span><span id="status">connecting…</span></header>
<main>
<section><h2>Connections</h2><div class="row"><div><div class="big" id="conns">–</div>connected</div><div><div class="big" id="sessions">–</div>sessions</div><div><div class="big" id="subs">–</div>subscriptions</div></div></section>
<section><h2>Throughput (messages/s)</h2><div class="row"><div><div class="big" id="in">–</div>in</div><div><div class="big" id="out">–</div>out</div></div><svg id="spark" viewBox="0 0 300 60" preserveAspectRatio="none"><polyline id="pin" fill="none" stroke="#1f77b4" stroke-width="1.5"/><polyline id="pout" fill="none" stroke="#ff7f0e" stroke-width="1.5"/></svg></section>
<section><h2>Drops</h2><table id="drops"><tr><td>none</td></tr></table></section>
<section><h2>Cluster members</h2><table id="members"><tr><td>–</td></tr></table></section>
<section style="grid-column:1/-1"><h2>Events</h2><div id="events"></div></section>
</main>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
let token = localStorage.getItem('mqttlab-token') || '';
const hist = { in: [], out: [] };
let last = null;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (res.status === 401) {
    token = prompt('Admin API token') || '';
    localStorage.setItem('mqttlab-token', token);
    throw new Error('token needed');
  }
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}
function spark(id, xs, max) {
  $(id).setAttribute('points', xs.map((v, i) => (i * 300 / 59).toFixed(1) + ',' + (58 - (v / max) * 56).toFixed(1)).join(' '));
}
async function poll() {
  try {
    const [s, c] = await Promise.all([api('/api/stats'), api('/api/cluster')]);
    const now = performance.now();
    $('node').textContent = 'node ' + s.node + ' · v' + s.version + ' · up ' + s.uptimeSec + ' s';
    $('conns').textContent = s.connectedCount;
    $('sessions').textContent = s.sessions;
    $('subs').textContent = s.subscriptions;
    if (last) {
      const dt = (now - last.t) / 1000;
      const rin = (s.messagesIn - last.in) / dt, rout = (s.messagesOut - last.out) / dt;
      $('in').textContent = rin.toFixed(1);
      $('out').textContent = rout.toFixed(1);
      hist.in.push(rin); hist.out.push(rout);
      if (hist.in.length > 60) { hist.in.shift(); hist.out.shift(); }
      const max = Math.max(1, ...hist.in, ...hist.out);
      spark('pin', hist.in, max); spark('pout', hist.out, max);
    }
    last = { t: now, in: s.messagesIn, out: s.messagesOut };
    const drops = Object.entries(s.dropped || {});
    $('drops').innerHTML = drops.length ? '<tr><th>reason</th><th>messages</th></tr>' + drops.map(([k, v]) => '<tr><td>' + esc(k) + '</td><td>' + v + '</td></tr>').join('') : '<tr><td>none</td></tr>';
    $('members').innerHTML = c.clustered
      ? '<tr><th>node</th><th>state</th><th>address</th></tr>' + c.members.map((m) => '<tr><td>' + esc(m.node) + '</td><td class="' + esc(m.state) + '">' + esc(m.state) + '</td><td>' + esc(m.address) + '</td></tr>').join('')
      : '<tr><td>' + esc(c.node) + ' (not clustered)</td></tr>';
    $('status').textContent = 'live';
  } catch (e) {
    $('status').textContent = String(e.message || e);
  }
}
function addEvent(ev) {
  const line = new Date(ev.t).toISOString().slice(11, 23) + ' ' + ev.node + ' ' + ev.type + ' ' +
    Object.entries(ev).filter(([k]) => !['t', 'type', 'node'].includes(k)).map(([k, v]) => k + '=' + v).join(' ');
  const el = $('events');
  el.textContent = (line + '\\n' + el.textContent).split('\\n').slice(0, 200).join('\\n');
}
// Server-Sent Events read through fetch, so the token goes in a header (EventSource cannot send one).
async function events() {
  for (;;) {
    try {
      const res = await fetch('/api/events', { headers: token ? { authorization: 'Bearer ' + token } : {} });
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\\n\\n')) >= 0) {
          const frame = buf.slice(0, i); buf = buf.slice(i + 2);
          const data = frame.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n');
          if (data) addEvent(JSON.parse(data));
        }
      }
    } catch (e) { /* retried below */ }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
poll(); setInterval(poll, 2000); events();
</script></body></html>
`;
