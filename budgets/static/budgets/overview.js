/* The cumulative budget chart of the budget overview and the program dashboard: plan, actual and
   forecast by month, a dashed marker on the current month and, when the data holds `budget`, a
   dotted line at the current budget. Data comes from a json_script block (no inline JS under
   CSP); each page also shows the figures as a table. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function number(value) { return value === null ? null : Number(value); }

  var todayMarker = {
    id: "budgetToday",
    afterDatasetsDraw: function (chart, args, options) {
      if (options.index === null || options.index === undefined) { return; }
      var x = chart.scales.x.getPixelForValue(options.index);
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#667382";
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, area.top);
      ctx.lineTo(x, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#667382";
      ctx.font = "12px sans-serif";
      ctx.fillText("today", x + 4, area.top + 12);
      ctx.restore();
    }
  };

  function chart(canvas) {
    var data = readJson(canvas.getAttribute("data-budget-chart"));
    if (!data || !window.Chart || !data.labels || !data.labels.length) { return; }
    var money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
    var datasets = [
      { label: "Plan (current budget)", data: data.plan.map(number), borderColor: "#206bc4",
        backgroundColor: "#206bc4", borderWidth: 2, pointRadius: 0, tension: 0.15 },
      { label: "Actual", data: data.actual.map(number), borderColor: "#d63939",
        backgroundColor: "rgba(214,57,57,.08)", fill: true, borderWidth: 2, pointRadius: 2,
        tension: 0.15 },
      { label: "Forecast (outturn)", data: data.forecast.map(number), borderColor: "#f76707",
        backgroundColor: "#f76707", borderDash: [6, 4], borderWidth: 2, pointRadius: 0,
        tension: 0.15 }
    ];
    if (data.budget !== undefined && data.budget !== null) {
      var budget = Number(data.budget);
      datasets.push({ label: "Budget", data: data.labels.map(function () { return budget; }),
        borderColor: "#9aa0ac", borderDash: [2, 3], borderWidth: 1, pointRadius: 0 });
    }
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: "#eef0f3" }, ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true, grid: { color: "#eef0f3" },
               ticks: { callback: function (v) { return money.format(v); } },
               title: { display: true, text: data.currency } }
        },
        plugins: {
          budgetToday: { index: data.today },
          legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } },
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + data.currency + " " + money.format(item.parsed.y);
          } } }
        }
      },
      plugins: [todayMarker]
    });
  }

  function start() {
    document.querySelectorAll("[data-budget-chart]").forEach(chart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
