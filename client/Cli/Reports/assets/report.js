// SimCluster report.html: draws the charts from the report.json embedded in the page (#report-data).
// When done it sets data-ready="true" on <html> (data-error="..." if something failed) and, on every
// chart canvas, data-points (values drawn) and data-painted (non-blank pixels): the report test reads them.
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

  try {
    var report = JSON.parse(document.getElementById('report-data').textContent);
    var timeline = Array.isArray(report.timeline) ? report.timeline : [];
    var maxT = timeline.reduce(function (m, p) { return Math.max(m, p.t || 0); }, 0);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#374151';

    if (timeline.length > 0) {
      draw('chart-open', {
        type: 'line',
        data: { datasets: [line('open connections', series(timeline, 'open'), palette.blue, { fill: true })] },
        options: { scales: { x: timeScale(maxT), y: valueScale('connections') }, plugins: { legend: { display: false } } }
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

      // Per-second series this page does not know yet (newer report fields) get a chart of their own.
      var known = ['t', 'open', 'connects', 'connectFailures', 'disconnects', 'forcedDrops', 'messagesSent', 'messagesReceived', 'messagesLost', 'messagesDuplicated', 'rttP95'];
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
    counts('chart-disconnect-causes', report.disconnectCauses, palette.red, 'lost connections');

    charts.forEach(function (chart) {
      var points = 0;
      chart.data.datasets.forEach(function (ds, i) {
        var meta = chart.getDatasetMeta(i);
        (meta.data || []).forEach(function (el, j) {
          var raw = ds.data[j];
          var v = raw && typeof raw === 'object' ? raw.y : raw;
          if (num(v) !== null && isFinite(el.x) && isFinite(el.y)) points++;
        });
      });
      chart.canvas.setAttribute('data-points', String(points));
      chart.canvas.setAttribute('data-painted', String(paintedPixels(chart.canvas)));
    });
    root.setAttribute('data-charts', String(charts.length));
    if (!root.hasAttribute('data-error')) root.setAttribute('data-ready', 'true');
    if (window.console) console.log('simcluster-report: ready, ' + charts.length + ' charts');
  } catch (e) {
    fail(e && e.message ? e.message : e);
  }
})();
