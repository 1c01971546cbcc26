// SimCluster live run page (/runs/ID): polls ID/live every second and redraws report.html's sections from the
// run's report so far (window.SimClusterReport.render from report.js), until the final report arrives.
// For tests and tools it marks <html> with data-updates (redraws so far), data-phase, data-last-t (the last
// second charted) and data-final="true" once the page shows the run's written report.
// On the run list (/runs) it only reloads the list every few seconds.
(function () {
  'use strict';
  var root = document.documentElement;
  var runId = document.body.getAttribute('data-run');
  if (!runId) {
    setTimeout(function () { location.reload(); }, 5000);
    return;
  }
  var holder = document.getElementById('live-root');
  var status = document.getElementById('live-status');
  var updates = 0;
  var lastUpdate = null;

  function say(text) { status.textContent = text; }

  function show(data) {
    var open = {};
    holder.querySelectorAll('details[id], section[id] details').forEach(function (d, i) { if (d.open) open[i] = true; });
    holder.innerHTML = data.html;
    holder.querySelectorAll('details[id], section[id] details').forEach(function (d, i) { if (open[i]) d.open = true; });
    window.SimClusterReport.render(data.report, null);
    var timeline = Array.isArray(data.report.timeline) ? data.report.timeline : [];
    updates++;
    root.setAttribute('data-updates', String(updates));
    root.setAttribute('data-phase', String(data.phase));
    root.setAttribute('data-last-t', String(timeline.length ? timeline[timeline.length - 1].t : 0));
    if (data.final) root.setAttribute('data-final', 'true');
    var progress = data.report.live && data.report.live.progress;
    say((data.final ? 'finished: ' + data.verdict + ' (this is the run\'s report)' : 'live · ' + data.phase +
      (progress ? ' · ' + Math.floor(progress.elapsedSeconds) + ' s · ' + progress.open + ' open' : '')) +
      ' · updated ' + new Date(data.updatedAt).toISOString().substring(11, 19) + ' UTC');
  }

  function poll() {
    fetch(encodeURIComponent(runId) + '/live', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 404) throw new Error('no such run on this cluster (yet)');
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        if (data.updatedAt !== lastUpdate) {
          lastUpdate = data.updatedAt;
          show(data);
        }
        if (!data.final) setTimeout(poll, 1000);
      })
      .catch(function (e) {
        say('waiting for the run: ' + (e && e.message ? e.message : e));
        setTimeout(poll, 2000);
      });
  }
  poll();
})();
