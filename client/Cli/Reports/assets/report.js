// SimCluster report.html: draws the charts from the report.json embedded in the page (#report-data).
// When done it sets data-ready="true" on <html> (data-error="..." if something failed) and, on every
// chart canvas, data-points (values drawn) and data-painted (non-blank pixels): the report test reads them.
// The live run page (live.js) calls window.SimClusterReport.render(report) again every second.
(function () {
  'use strict';
  var root = document.documentElement;
  function fail(message) {
    root.setAttribute('data-error', String(message));
    if (window.console) console.error('simcluster-report: ' + message);
  }
  window.addEventListener('error', function (e) { fail(e.message || 'script error'); });

  var palette = {
    blue: '#2563eb', green: '#16a34a', red: '#dc2626', orange: '#ea580c', purple: '#7c3aed',
    grey: '#6b7280', teal: '#0d9488', pink: '#db2777', yellow: '#ca8a04'
  };
  var extraColors = [palette.teal, palette.pink, palette.yellow, palette.purple, palette.orange, palette.grey];

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }

  function series(timeline, field) {
    return timeline.map(function (p) { return { x: p.t, y: num(p[field]) }; });
  }

  function line(label, data, color, extra) {
    var ds = { label: label, data: data, borderColor: color, backgroundColor: color + '33', borderWidth: 2, pointRadius: data.length > 120 ? 0 : 2, tension: 0.15, spanGaps: true };
    for (var k in extra || {}) ds[k] = extra[k];
    return ds;
  }

  function bar(label, data, color, extra) {
    var ds = { type: 'bar', label: label, data: data, backgroundColor: color + 'cc', borderColor: color, borderWidth: 1, barPercentage: 1.0, categoryPercentage: 0.9 };
    for (var k in extra || {}) ds[k] = extra[k];
    return ds;
  }

  function timeScale(maxT) {
    return { type: 'linear', min: 0, max: Math.max(1, maxT), title: { display: true, text: 'seconds into the run' }, ticks: { precision: 0 } };
  }

  function valueScale(title, extra) {
    var s = { type: 'linear', beginAtZero: true, title: { display: !!title, text: title || '' }, ticks: { precision: 0 } };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }

  var charts = [];
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    config.options = config.options || {};
    config.options.animation = false;
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.interaction = config.options.interaction || { mode: 'index', intersect: false };
    var chart = new Chart(canvas, config);
    charts.push(chart);
    return chart;
  }

  function paintedPixels(canvas) {
    try {
      var ctx = canvas.getContext('2d');
      var img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      var n = 0;
      for (var i = 3; i < img.length; i += 4) if (img[i] !== 0) n++;
      return n;
    } catch (e) {
      return -1;
    }
  }

  function render(report, comparison) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    root.removeAttribute('data-error');
    var timeline = Array.isArray(report.timeline) ? report.timeline : [];
    var maxT = timeline.reduce(function (m, p) { return Math.max(m, p.t || 0); }, 0);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#374151';

    if (timeline.length > 0) {
      draw('chart-open', {
        type: 'line',
        data: {
          datasets: [line('open connections', series(timeline, 'open'), palette.blue, { fill: true })]
            // The load shape's plan beside what happened (older reports have no plannedClients).
            .concat(timeline.some(function (p) { return typeof p.plannedClients === 'number'; })
              ? [line('planned clients', series(timeline, 'plannedClients'), palette.grey, { borderDash: [6, 4], pointRadius: 0, borderWidth: 1 })] : [])
        },
        options: { scales: { x: timeScale(maxT), y: valueScale('connections') } }
      });

      draw('chart-churn', {
        type: 'bar',
        data: {
          datasets: [
            bar('connects', series(timeline, 'connects'), palette.green),
            bar('disconnects', series(timeline, 'disconnects'), palette.orange),
            line('forced drops', series(timeline, 'forcedDrops'), palette.purple, { type: 'line', borderDash: [4, 3] }),
            bar('connect failures', series(timeline, 'connectFailures'), palette.red)
          ]
        },
        options: { scales: { x: timeScale(maxT), y: valueScale('per second') } }
      });

      var rtt = (report.metrics || {}).message_rtt || {};
      var rttSets = [line('RTT p95 (each second)', series(timeline, 'rttP95'), palette.blue)];
      if (num(rtt.count) > 0) {
        var flat = function (v) { return [{ x: 0, y: v }, { x: Math.max(1, maxT), y: v }]; };
        rttSets.push(line('run median', flat(rtt.med), palette.grey, { borderDash: [6, 4], pointRadius: 0, borderWidth: 1 }));
        rttSets.push(line('run p99', flat(rtt.p99), palette.red, { borderDash: [6, 4], pointRadius: 0, borderWidth: 1 }));
      }
      draw('chart-rtt', {
        type: 'line',
        data: { datasets: rttSets },
        options: { scales: { x: timeScale(maxT), y: valueScale('ms', { ticks: {} }) } }
      });

      var messageSets = [
        line('sent', series(timeline, 'messagesSent'), palette.blue, { yAxisID: 'y' }),
        line('received', series(timeline, 'messagesReceived'), palette.green, { yAxisID: 'y', borderDash: [5, 3] }),
        bar('lost', series(timeline, 'messagesLost'), palette.red, { yAxisID: 'lost' })
      ];
      if (timeline.some(function (p) { return 'messagesDuplicated' in p; }))
        messageSets.push(bar('duplicated', series(timeline, 'messagesDuplicated'), palette.orange, { yAxisID: 'lost' }));
      draw('chart-messages', {
        type: 'line',
        data: { datasets: messageSets },
        options: {
          scales: {
            x: timeScale(maxT),
            y: valueScale('messages per second'),
            lost: valueScale('lost per second', { position: 'right', grid: { drawOnChartArea: false }, suggestedMax: 1 })
          }
        }
      });

      // Present only when the run had any (the page leaves the canvas out otherwise).
      draw('chart-zombies', {
        type: 'bar',
        data: { datasets: [bar('zombies evicted', series(timeline, 'zombiesEvicted'), palette.purple)] },
        options: { scales: { x: timeScale(maxT), y: valueScale('per second') }, plugins: { legend: { display: false } } }
      });
      draw('chart-tokens', {
        type: 'bar',
        data: {
          datasets: [
            bar('refreshed', series(timeline, 'tokenRefreshes'), palette.teal),
            bar('refresh failed', series(timeline, 'tokenRefreshFailures'), palette.red)
          ]
        },
        options: { scales: { x: timeScale(maxT), y: valueScale('per second') } }
      });

      // Per-second series this page does not know yet (newer report fields) get a chart of their own.
      var known = ['t', 'open', 'plannedClients', 'connects', 'connectFailures', 'disconnects', 'forcedDrops', 'messagesSent', 'messagesReceived', 'messagesLost', 'messagesDuplicated', 'rttP95',
        'zombiesEvicted', 'tokenRefreshes', 'tokenRefreshFailures'];
      var extra = [];
      timeline.forEach(function (p) {
        Object.keys(p).forEach(function (k) { if (known.indexOf(k) < 0 && extra.indexOf(k) < 0 && typeof p[k] === 'number') extra.push(k); });
      });
      if (extra.length > 0) {
        var holder = document.getElementById('extra-charts');
        var figure = document.createElement('figure');
        figure.className = 'chart';
        var caption = document.createElement('figcaption');
        caption.textContent = 'More per-second series';
        var box = document.createElement('div');
        box.className = 'chart-box';
        var canvas = document.createElement('canvas');
        canvas.id = 'chart-extra';
        canvas.setAttribute('data-chart', 'extra');
        box.appendChild(canvas);
        figure.appendChild(caption);
        figure.appendChild(box);
        holder.appendChild(figure);
        draw('chart-extra', {
          type: 'line',
          data: { datasets: extra.map(function (k, i) { return line(k, series(timeline, k), extraColors[i % extraColors.length]); }) },
          options: { scales: { x: timeScale(maxT), y: valueScale('per second') } }
        });
      }
    }

    function counts(id, values, color, label) {
      var keys = Object.keys(values || {});
      if (keys.length === 0) return;
      keys.sort(function (a, b) { return values[b] - values[a]; });
      draw(id, {
        type: 'bar',
        data: { labels: keys, datasets: [bar(label, keys.map(function (k) { return values[k]; }), color)] },
        options: { indexAxis: 'y', scales: { x: valueScale(label), y: { type: 'category' } }, plugins: { legend: { display: false } } }
      });
    }
    counts('chart-close-codes', report.closeCodes, palette.orange, 'closes');
    counts('chart-connect-errors', report.connectErrors, palette.red, 'failed attempts');

    // Disconnect causes: one bar per cause, stacked by group.
    var causes = Object.keys(report.disconnectCauses || {});
    if (causes.length > 0) {
      var groupNames = Object.keys(report.groups || {});
      draw('chart-causes', {
        type: 'bar',
        data: {
          labels: causes,
          datasets: groupNames.map(function (g, i) {
            var gc = (report.groups[g] || {}).disconnectCauses || {};
            return bar(g, causes.map(function (c) { return num(gc[c]) || 0; }), [palette.blue, palette.orange, palette.green, palette.purple, palette.red].concat(extraColors)[i % 11]);
          })
        },
        options: {
          indexAxis: 'y',
          interaction: { mode: 'nearest', intersect: true },
          scales: { x: valueScale('count', { stacked: true }), y: { type: 'category', stacked: true } }
        }
      });
    }

    // Client timelines: one swimlane per sampled client, a floating bar per stretch of time in one state.
    var timelines = Array.isArray(report.timelines) ? report.timelines : [];
    if (timelines.length > 0) {
      var stateColors = {
        connecting: palette.yellow, open: palette.green, dropped: palette.red, 'waiting-to-reconnect': palette.orange,
        zombie: palette.purple, closing: palette.grey, failed: '#7f1d1d'
      };
      var endMs = Math.max(1, maxT) * 1000;
      var lanes = [];
      var bySegment = {};
      timelines.forEach(function (tl) {
        var lane = 'client ' + tl.client + ' · ' + tl.group;
        lanes.push(lane);
        var events = Array.isArray(tl.events) ? tl.events : [];
        events.forEach(function (e) { endMs = Math.max(endMs, num(e.atMs) || 0); });
        var current = null;
        var since = 0;
        var zombie = false;
        function close(until) {
          if (current === null || current === 'idle' || current === 'closed') return;
          var label = zombie && current === 'dropped' ? 'zombie' : current;
          (bySegment[label] = bySegment[label] || []).push({ x: [since / 1000, Math.max(until, since) / 1000], y: lane });
        }
        events.forEach(function (e) {
          var at = num(e.atMs) || 0;
          if (e.event === 'zombie-start') { close(at); zombie = true; since = at; return; }
          if (e.event === 'zombie-evicted' || e.event === 'zombie-undetected') { close(at); zombie = false; since = at; return; }
          if (e.state !== current) { close(at); current = e.state; since = at; }
        });
        close(endMs);
      });
      var order = ['connecting', 'open', 'dropped', 'zombie', 'waiting-to-reconnect', 'closing', 'failed'];
      Object.keys(bySegment).forEach(function (k) { if (order.indexOf(k) < 0) order.push(k); });
      draw('chart-client-timelines', {
        type: 'bar',
        data: {
          labels: lanes,
          datasets: order.filter(function (k) { return bySegment[k]; }).map(function (k) {
            return bar(k, bySegment[k], stateColors[k] || palette.grey, { grouped: false, barPercentage: 0.8, categoryPercentage: 1.0, borderWidth: 0 });
          })
        },
        options: {
          indexAxis: 'y',
          interaction: { mode: 'nearest', intersect: true },
          scales: {
            x: { type: 'linear', min: 0, max: Math.ceil(endMs / 1000), title: { display: true, text: 'seconds into the run' } },
            y: { type: 'category' }
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  var r = ctx.raw.x;
                  return ctx.dataset.label + ': ' + r[0].toFixed(2) + ' s to ' + r[1].toFixed(2) + ' s';
                }
              }
            }
          }
        }
      });
    }

    // Timings: each trend's distribution (merged histogram buckets) and its p50/p95/p99 per second.
    var distributions = report.distributions || {};
    var thresholds = Array.isArray(report.thresholds) ? report.thresholds : [];
    function bucketLabel(b) { return b[0] === 0 ? '≤ ' + b[1] + ' ms' : b[0] + '–' + b[1] + ' ms'; }
    Object.keys(distributions).forEach(function (trend) {
      var d = distributions[trend] || {};
      var buckets = Array.isArray(d.buckets) ? d.buckets : [];
      draw('chart-dist-' + trend, {
        type: 'bar',
        data: { labels: buckets.map(bucketLabel), datasets: [bar('samples', buckets.map(function (b) { return b[2]; }), palette.blue)] },
        options: { scales: { x: { type: 'category', title: { display: true, text: 'milliseconds' } }, y: valueScale('samples') }, plugins: { legend: { display: false } } }
      });
      var perSecond = timeline.filter(function (p) { return p.trends && p.trends[trend]; });
      if (perSecond.length === 0) return;
      function pct(field) { return perSecond.map(function (p) { return { x: p.t, y: num(p.trends[trend][field]) }; }); }
      var sets = [line('p50', pct('p50'), palette.green), line('p95', pct('p95'), palette.orange), line('p99', pct('p99'), palette.red)];
      thresholds.forEach(function (t) {
        var metric = String(t.metric || '').split('{')[0];
        var m = /^p\(([\d.]+)\)\s*[<>]=?\s*([\d.]+)$/.exec(String(t.expression || '').replace(/\s+/g, ''));
        if (metric !== trend || !m) return;
        var limit = parseFloat(m[2]);
        sets.push(line('threshold ' + t.expression, [{ x: 0, y: limit }, { x: Math.max(1, maxT), y: limit }], palette.grey, { borderDash: [6, 4], pointRadius: 0, borderWidth: 1 }));
      });
      draw('chart-pct-' + trend, {
        type: 'line',
        data: { datasets: sets },
        options: { scales: { x: timeScale(maxT), y: valueScale('ms', { ticks: {} }) } }
      });
    });

    // Groups side by side for each timing more than one group measured.
    var groupNamesAll = Object.keys(report.groups || {});
    var trendNames = {};
    groupNamesAll.forEach(function (g) { Object.keys((report.groups[g] || {}).distributions || {}).forEach(function (t) { trendNames[t] = (trendNames[t] || 0) + 1; }); });
    Object.keys(trendNames).forEach(function (trend) {
      if (trendNames[trend] < 2) return;
      var withData = groupNamesAll.filter(function (g) { return ((report.groups[g] || {}).distributions || {})[trend]; });
      function field(f) { return withData.map(function (g) { return num((((report.groups[g] || {}).metrics || {})[trend] || {})[f]); }); }
      draw('chart-group-' + trend, {
        type: 'bar',
        data: { labels: withData, datasets: [bar('p50', field('med'), palette.green), bar('p95', field('p95'), palette.orange), bar('p99', field('p99'), palette.red)] },
        options: { scales: { x: { type: 'category' }, y: valueScale('ms', { ticks: {} }) } }
      });
    });

    // The tool's own memory over the run.
    var toolSeries = report.tool && Array.isArray(report.tool.series) ? report.tool.series : [];
    if (toolSeries.length > 0) {
      var toolMaxT = toolSeries.reduce(function (m, p) { return Math.max(m, p.t || 0); }, 0);
      draw('chart-tool', {
        type: 'line',
        data: { datasets: [line('RSS', series(toolSeries, 'rssMb'), palette.purple), line('managed heap', series(toolSeries, 'heapMb'), palette.teal)] },
        options: { scales: { x: timeScale(toolMaxT), y: valueScale('MB', { ticks: {} }) } }
      });
    }

    // Against a baseline: the largest relative changes, red where a graded metric moved the wrong way.
    var rows = comparison && Array.isArray(comparison.metrics) ? comparison.metrics.filter(function (r) { return num(r.changePercent) !== null && r.changePercent !== 0; }) : [];
    if (rows.length > 0) {
      rows.sort(function (a, b) { return Math.abs(b.changePercent) - Math.abs(a.changePercent); });
      rows = rows.slice(0, 20);
      draw('chart-compare', {
        type: 'bar',
        data: {
          labels: rows.map(function (r) { return r.field === 'value' ? r.metric : r.metric + ' ' + r.field; }),
          datasets: [{ label: 'change %', data: rows.map(function (r) { return r.changePercent; }), borderWidth: 1,
            backgroundColor: rows.map(function (r) { return (r.regressed ? palette.red : palette.blue) + 'cc'; }) }]
        },
        options: { indexAxis: 'y', scales: { x: valueScale('% change', { beginAtZero: true, ticks: {} }), y: { type: 'category' } }, plugins: { legend: { display: false } } }
      });
    }

    charts.forEach(function (chart) {
      var points = 0;
      chart.data.datasets.forEach(function (ds, i) {
        var meta = chart.getDatasetMeta(i);
        (meta.data || []).forEach(function (el, j) {
          var raw = ds.data[j];
          var v = raw && typeof raw === 'object' ? (Array.isArray(raw.x) ? raw.x[1] : raw.y) : raw;
          if (num(v) !== null && isFinite(el.x) && isFinite(el.y)) points++;
        });
      });
      chart.canvas.setAttribute('data-points', String(points));
      chart.canvas.setAttribute('data-painted', String(paintedPixels(chart.canvas)));
    });
    root.setAttribute('data-charts', String(charts.length));
    if (!root.hasAttribute('data-error')) root.setAttribute('data-ready', 'true');
    return charts.length;
  }

  window.SimClusterReport = { render: render };
  var data = document.getElementById('report-data');
  if (!data) return;
  try {
    var comparisonData = document.getElementById('comparison-data');
    var n = render(JSON.parse(data.textContent), comparisonData ? JSON.parse(comparisonData.textContent) : null);
    if (window.console) console.log('simcluster-report: ready, ' + n + ' charts');
  } catch (e) {
    fail(e && e.message ? e.message : e);
  }
})();
