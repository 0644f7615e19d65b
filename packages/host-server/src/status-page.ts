/**
 * The placeholder page served at `/` until the dashboard lands: self-contained (no CDN, no external
 * assets) and showing only figures it fetched from `health/system-status`, never numbers of its own.
 */
export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RFID3 Predictive</title>
<style nonce="${nonce}">
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 56rem; padding: 1rem; line-height: 1.4; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  .muted { opacity: .7; font-size: .9rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .75rem; margin: 1rem 0; }
  .card { border: 1px solid #8884; border-radius: .5rem; padding: .75rem; }
  .card h2 { font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 .4rem; opacity: .75; }
  .big { font-size: 1.5rem; font-weight: 600; }
  .ok { color: #1a7f37; } .degraded { color: #9a6700; } .down, .error { color: #cf222e; }
  ul { margin: 0; padding-left: 1.1rem; }
  a { color: inherit; }
</style>
</head>
<body>
<h1>RFID3 Predictive</h1>
<div class="muted">Live from <code>/api/predictive/health/system-status</code>; refreshed every 15 s. <span id="updated"></span></div>
<p id="message" class="error" hidden></p>
<div class="grid" id="cards" hidden>
  <div class="card"><h2>Status</h2><div class="big" id="status"></div><div class="muted" id="version"></div></div>
  <div class="card"><h2>Uptime</h2><div class="big" id="uptime"></div><div class="muted" id="started"></div></div>
  <div class="card"><h2>Database</h2><div class="big" id="db"></div><div class="muted" id="dbLatency"></div></div>
  <div class="card"><h2>Scan data</h2><div class="big" id="scans"></div><div class="muted" id="scanRange"></div></div>
  <div class="card"><h2>Jobs</h2><div class="big" id="jobs"></div><div class="muted" id="writeQueue"></div></div>
  <div class="card"><h2>Cache</h2><div class="big" id="cache"></div><div class="muted" id="l2"></div></div>
  <div class="card"><h2>Plugins</h2><ul id="plugins"></ul></div>
</div>
<p class="muted"><a href="/api/openapi.json">OpenAPI document</a> · <a href="/metrics">Prometheus metrics</a></p>
<script nonce="${nonce}">
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var set = function (id, text) { $(id).textContent = text; };
  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return d ? d + ' d ' + h + ' h' : h ? h + ' h ' + m + ' min' : m + ' min ' + (s % 60) + ' s';
  }
  function show(s) {
    $('message').hidden = true; $('cards').hidden = false;
    set('status', s.status); $('status').className = 'big ' + s.status;
    set('version', '@rfid3/core ' + s.coreVersion);
    set('uptime', duration(s.uptimeSeconds)); set('started', 'since ' + s.startedAt);
    set('db', s.database.ok ? s.database.dialect : 'unreachable');
    set('dbLatency', s.database.error ? s.database.error : 'ping ' + s.database.latencyMs + ' ms');
    set('scans', s.data.scans.toLocaleString() + ' scans');
    set('scanRange', s.data.lastScan ? 'last ' + s.data.lastScan + ' (' + s.data.lastScanAgeHours + ' h ago)' : 'no scans yet');
    set('jobs', s.jobs.running + ' running, ' + s.jobs.queued + ' queued');
    set('writeQueue', s.jobs.failed + ' failed · ' + s.predictionWriteQueue + ' predictions waiting to be written');
    set('cache', s.cache.l1Entries + ' entries in memory');
    var l2 = s.cache.l2;
    set('l2', !l2.enabled ? 'no Redis L2' : (l2.connected ? 'Redis L2 connected' : 'Redis unreachable: memory and database only') + ', ' + l2.recentErrors + ' errors in the last ' + l2.windowSeconds + ' s');
    var list = $('plugins'); list.textContent = '';
    if (!s.plugins.length) { var none = document.createElement('li'); none.textContent = 'none loaded'; list.appendChild(none); }
    s.plugins.forEach(function (p) {
      var li = document.createElement('li');
      li.textContent = p.id + ' ' + p.version + ' (' + p.endpoints + ' endpoints)';
      list.appendChild(li);
    });
    set('updated', 'Updated ' + new Date().toLocaleTimeString() + '.');
  }
  function fail(text) { $('message').hidden = false; set('message', text); }
  function refresh() {
    fetch('/api/predictive/health/system-status', { headers: { accept: 'application/json' } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (r) { if (r.body && r.body.database) show(r.body); if (!r.ok) fail(r.body.title + ': ' + (r.body.detail || '')); })
      .catch(function (e) { fail('Cannot reach the server: ' + e.message); });
  }
  refresh(); setInterval(refresh, 15000);
})();
</script>
</body>
</html>
`;
}
