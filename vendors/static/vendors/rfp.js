/* The RFP comparison chart (Chart.js, static/vendor/chartjs): each response's weighted total and
   every evaluator's total, read from a json_script; the matrix table carries the same numbers. */
(function () {
  "use strict";

  var EVALUATOR_COLOURS = ["#a5c8f0", "#f7c58f", "#b9dcb0", "#d6b8ea", "#f3a9b5", "#9fd9d5"];

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function chart(canvas) {
    var data = readJson(canvas.getAttribute("data-rfp-chart"));
    if (!data || !window.Chart || !data.labels.length) { return; }
    var datasets = data.evaluators.map(function (ev, i) {
      return { label: ev.name, data: ev.totals, backgroundColor: EVALUATOR_COLOURS[i % EVALUATOR_COLOURS.length],
               borderRadius: 3, barPercentage: .9, categoryPercentage: .75, order: 2 };
    });
    datasets.unshift({ label: "Weighted total", data: data.totals, backgroundColor: "#066fd1", borderRadius: 3,
                       barPercentage: .9, categoryPercentage: .75, order: 1 });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false } },
          y: { beginAtZero: true, max: 100, grid: { color: "#eef0f3" },
               ticks: { callback: function (v) { return v + "%"; } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + ctx.parsed.y.toFixed(2) + "%"; } } }
        }
      }
    });
  }

  function start() { document.querySelectorAll("[data-rfp-chart]").forEach(chart); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
