/* Milestone charts (Chart.js, static/vendor/chartjs): milestones by workstream over time, and the
   milestone trend (each milestone's forecast finish at each report date). The data is in the page
   as json_script; a table beside each chart carries the same numbers for screen readers. */
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var PALETTE = ["#066fd1", "#d63939", "#2fb344", "#f76707", "#ae3ec9", "#0ca678", "#f59f00",
    "#4263eb", "#d6336c", "#17a2b8", "#74b816", "#5f3dc4"];

  function dayOf(iso) {
    if (!iso) { return null; }
    return Math.round(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS);
  }
  function fmt(day) {
    if (day === null || day === undefined) { return "–"; }
    var d = new Date(Math.round(day) * DAY_MS);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + String(d.getUTCFullYear()).slice(2);
  }
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // A vertical line at today's date on a chart whose x axis counts days.
  var todayLine = {
    id: "msToday",
    afterDatasetsDraw: function (chart, args, opts) {
      if (opts.day === undefined || opts.day === null) { return; }
      var scale = chart.scales[opts.axis || "x"];
      var area = chart.chartArea;
      var ctx = chart.ctx;
      if (opts.axis === "y") {
        var py = scale.getPixelForValue(opts.day);
        if (py < area.top || py > area.bottom) { return; }
        ctx.save();
        ctx.strokeStyle = "#f76707"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]);
        ctx.beginPath(); ctx.moveTo(area.left, py); ctx.lineTo(area.right, py); ctx.stroke();
        ctx.restore();
        return;
      }
      var px = scale.getPixelForValue(opts.day);
      if (px < area.left || px > area.right) { return; }
      ctx.save();
      ctx.strokeStyle = "#f76707"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
      ctx.fillStyle = "#f76707"; ctx.font = "11px sans-serif"; ctx.textAlign = "center";
      ctx.fillText("Today", px, area.top - 4);
      ctx.restore();
    }
  };

  // Dashed connectors from each milestone's baseline to its forecast.
  var connectors = {
    id: "msConnectors",
    beforeDatasetsDraw: function (chart, args, opts) {
      var pairs = opts.pairs || [];
      var xs = chart.scales.x, ys = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      ctx.lineWidth = 1.5;
      ctx.setLineDash([3, 3]);
      pairs.forEach(function (p) {
        ctx.strokeStyle = p.late ? "rgba(214,57,57,.6)" : "rgba(152,162,179,.8)";
        ctx.beginPath();
        ctx.moveTo(xs.getPixelForValue(p.from), ys.getPixelForValue(p.y));
        ctx.lineTo(xs.getPixelForValue(p.to), ys.getPixelForValue(p.y));
        ctx.stroke();
      });
      ctx.restore();
    }
  };

  function milestoneChart(canvas) {
    var data = readJson(canvas.getAttribute("data-milestone-chart"));
    if (!data || !window.Chart) { return; }
    var lanes = data.lanes;
    var laneOf = {};
    lanes.forEach(function (name, i) { laneOf[name] = i; });
    var forecast = [], baseline = [], colours = [], pairs = [];
    var lo = dayOf(data.today), hi = lo;
    data.milestones.forEach(function (m) {
      var y = laneOf[m.workstream];
      var f = dayOf(m.finish), b = dayOf(m.baseline_finish);
      if (f !== null) {
        forecast.push({ x: f, y: y, m: m });
        colours.push(m.complete ? "#2fb344" : (m.late ? "#d63939" : "#066fd1"));
        lo = Math.min(lo, f); hi = Math.max(hi, f);
      }
      if (b !== null) {
        baseline.push({ x: b, y: y, m: m });
        lo = Math.min(lo, b); hi = Math.max(hi, b);
        if (f !== null && f !== b) { pairs.push({ from: b, to: f, y: y, late: f > b }); }
      }
    });
    var pad = Math.max(14, Math.round((hi - lo) * 0.04));
    var itemPage = canvas.getAttribute("data-item-page");
    new window.Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          {
            label: "Forecast", data: forecast, pointStyle: "rectRot", pointRadius: 8, pointHoverRadius: 10,
            backgroundColor: colours, borderColor: "#ffffff", borderWidth: 1.5, order: 1
          },
          {
            label: "Baseline", data: baseline, pointStyle: "rectRot", pointRadius: 7, pointHoverRadius: 9,
            backgroundColor: "rgba(255,255,255,0)", borderColor: "#98a2b3", borderWidth: 2, order: 2
          }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { top: 14, right: 12 } },
        scales: {
          x: {
            type: "linear", min: lo - pad, max: hi + pad,
            ticks: { callback: function (v) { return fmt(v); }, maxTicksLimit: 12 },
            grid: { color: "#eef0f3" }
          },
          y: {
            type: "linear", min: -0.5, max: lanes.length - 0.5, reverse: true,
            afterBuildTicks: function (axis) { axis.ticks = lanes.map(function (_, i) { return { value: i }; }); },
            ticks: { callback: function (v) { return lanes[v] !== undefined ? lanes[v] : ""; }, autoSkip: false },
            grid: { color: "#eef0f3" }
          }
        },
        plugins: {
          legend: { display: false },
          msToday: { day: dayOf(data.today) },
          msConnectors: { pairs: pairs },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var m = ctx.raw.m;
                var kind = ctx.dataset.label === "Baseline" ? "baseline " + fmt(dayOf(m.baseline_finish)) : "forecast " + fmt(dayOf(m.finish));
                var slip = m.slip_days ? " (" + (m.slip_days > 0 ? "+" : "") + m.slip_days + " work days)" : "";
                return m.key + " " + m.name + ": " + kind + slip;
              }
            }
          }
        },
        onClick: function (evt, elements) {
          if (!itemPage || !elements.length) { return; }
          var raw = elements[0].element.$context.raw;
          if (raw && raw.m) { window.location.href = itemPage.replace("__KEY__", encodeURIComponent(raw.m.key)); }
        }
      },
      plugins: [todayLine, connectors]
    });
  }

  function trendChart(canvas) {
    var data = readJson(canvas.getAttribute("data-milestone-trend"));
    if (!data || !window.Chart) { return; }
    var labels = data.dates.map(function (d) { return d === data.today ? "Today" : fmt(dayOf(d)); });
    var reportDays = data.dates.map(dayOf);
    var lo = Infinity, hi = -Infinity;
    var datasets = data.milestones.map(function (m, i) {
      var values = m.values.map(dayOf);
      values.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
      var colour = PALETTE[i % PALETTE.length];
      return {
        label: m.key + " " + m.name, data: values, borderColor: colour, backgroundColor: colour,
        pointStyle: "rectRot", pointRadius: 4, borderWidth: 2, stepped: false, spanGaps: false, tension: 0
      };
    });
    reportDays.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); });
    datasets.push({
      label: "Report date", data: reportDays, borderColor: "#adb5bd", borderDash: [5, 4],
      pointRadius: 0, borderWidth: 1, backgroundColor: "#adb5bd"
    });
    var pad = Math.max(7, Math.round((hi - lo) * 0.05));
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { grid: { color: "#eef0f3" }, title: { display: true, text: "Report date" } },
          y: {
            type: "linear", min: lo - pad, max: hi + pad,
            ticks: { callback: function (v) { return fmt(v); } },
            grid: { color: "#eef0f3" },
            title: { display: true, text: "Forecast finish" }
          }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 10, usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + fmt(ctx.parsed.y); } } }
        }
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-milestone-chart]").forEach(milestoneChart);
    document.querySelectorAll("[data-milestone-trend]").forEach(trendChart);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
