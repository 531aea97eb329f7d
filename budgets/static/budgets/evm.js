/* The earned value page's S-curve as a Chart.js chart (static/vendor/chartjs). The page shows
   the same figures in a table for screen readers and when scripts are off. x is the number of
   days since the first budget month's first day; ticks mark the months. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  var GRID = "#eef0f3";
  var DAY = 86400000;

  function curveChart(canvas) {
    var data = readJson(canvas.getAttribute("data-evm-curve"));
    if (!data || !data.pv || !window.Chart) { return; }
    var origin = Date.parse(data.origin + "T00:00:00Z");
    var money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
    var tickLabels = {};
    data.ticks.forEach(function (t) { tickLabels[t.x] = t.label; });
    var top = Math.max(data.bac, data.eac.length ? data.eac[1].y : 0,
      Math.max.apply(null, data.ac.map(function (p) { return p.y; }).concat([0])));

    function line(label, points, colour, extra) {
      var set = { label: label, data: points, borderColor: colour, backgroundColor: colour,
                  borderWidth: 2, pointRadius: 0, pointHoverRadius: 4, tension: 0, spanGaps: true };
      return Object.assign(set, extra || {});
    }
    var datasets = [
      line("Planned value (PV)", data.pv, "#066fd1"),
      line("Earned value (EV)", data.ev, "#2fb344", { pointRadius: 2 }),
      line("Actual cost (AC)", data.ac, "#d63939", { pointRadius: 2 }),
      line("Budget at completion (BAC)", [{ x: 0, y: data.bac }, { x: data.max_x, y: data.bac }],
        "#667382", { borderDash: [6, 4], borderWidth: 1.5 })
    ];
    if (data.eac.length) {
      datasets.push(line("EAC projection (CPI)", data.eac, "#f76707", { borderDash: [4, 4], pointRadius: 3 }));
    }
    datasets.push(line("Status date", [{ x: data.status.x, y: 0 }, { x: data.status.x, y: top * 1.05 }],
      "rgba(29,39,59,.55)", { borderDash: [2, 3], borderWidth: 1 }));

    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        interaction: { mode: "nearest", intersect: false, axis: "x" },
        scales: {
          x: {
            type: "linear", min: 0, max: data.max_x, grid: { color: GRID },
            afterBuildTicks: function (axis) { axis.ticks = data.ticks.map(function (t) { return { value: t.x }; }); },
            ticks: { autoSkip: true, maxRotation: 0, callback: function (v) { return tickLabels[v] || ""; } }
          },
          y: { beginAtZero: true, grid: { color: GRID },
               ticks: { callback: function (v) { return compact.format(v); } },
               title: { display: true, text: data.currency } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) { return ""; }
                var day = new Date(origin + (items[0].parsed.x - 1) * DAY);
                return day.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
              },
              label: function (item) {
                if (item.dataset.label === "Status date") { return "Status date " + data.status.label; }
                return item.dataset.label + ": " + data.currency + " " + money.format(item.parsed.y);
              }
            }
          }
        }
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-evm-curve]").forEach(curveChart);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
