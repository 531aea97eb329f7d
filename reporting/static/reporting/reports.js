/* Status reports: the trend of SPI, CPI and risk exposure over the published weeks (Chart.js;
   the table next to it holds the same figures for screen readers and when scripts are off). */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function trendChart(canvas) {
    var data = readJson(canvas.getAttribute("data-rpt-trend"));
    if (!data || !window.Chart || !data.periods.length) { return; }
    var pointColours = data.rag.map(function (r) {
      return { green: "#2fb344", amber: "#f59f00", red: "#d63939" }[r] || "#9aa0ac";
    });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.periods,
        datasets: [
          { label: "SPI", data: data.spi, borderColor: "#206bc4", backgroundColor: "#206bc4",
            tension: .25, pointRadius: 4, pointBackgroundColor: pointColours, borderWidth: 2, spanGaps: true },
          { label: "CPI", data: data.cpi, borderColor: "#6f42c1", backgroundColor: "#6f42c1",
            borderDash: [6, 4], tension: .25, pointRadius: 3, borderWidth: 2, spanGaps: true },
          { type: "bar", label: "Risk exposure", yAxisID: "exposure", data: data.exposure,
            backgroundColor: "rgba(214,57,57,.16)", borderColor: "rgba(214,57,57,.5)", borderWidth: 1,
            barPercentage: .55, order: 3 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: "#eef0f3" } },
          y: { suggestedMin: 0.8, suggestedMax: 1.1, grid: { color: "#eef0f3" },
               title: { display: true, text: "Index (1.00 = on plan)" } },
          exposure: { position: "right", beginAtZero: true, grid: { display: false },
                      title: { display: true, text: "Exposure" } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } } }
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-rpt-trend]").forEach(trendChart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
