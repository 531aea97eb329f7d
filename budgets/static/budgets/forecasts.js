/* Forecast movement chart (Chart.js from static/vendor/chartjs): the estimate at completion by
   as-of date against the current budget. The page shows the same figures as a table. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function fmtDate(iso) {
    var d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "2-digit" });
  }

  function fmtMoney(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 0 });
  }

  function movementChart(canvas) {
    var data = readJson(canvas.getAttribute("data-bud-movement"));
    if (!data || !window.Chart || !data.labels.length) { return; }
    var budget = data.labels.map(function () { return Number(data.budget); });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels.map(fmtDate),
        datasets: [
          { label: "Estimate at completion", data: data.eac.map(Number), borderColor: "#066fd1",
            backgroundColor: "rgba(6,111,209,.08)", fill: true, tension: .2, pointRadius: 4, borderWidth: 2 },
          { label: "Current budget", data: budget, borderColor: "#667382", borderDash: [6, 4],
            pointRadius: 0, borderWidth: 1.5, fill: false }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: "#eef0f3" } },
          y: { grid: { color: "#eef0f3" }, ticks: { callback: fmtMoney } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) {
            return ctx.dataset.label + ": " + Number(ctx.parsed.y).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
          } } }
        }
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-bud-movement]").forEach(movementChart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
