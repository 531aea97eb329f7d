/* The RAID log pages: the exposure trend chart (Chart.js, static/vendor/chartjs; the page has the
   same figures as a table) and opening a detail tab from the address (#actions, #history). */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function fmtWeek(iso) {
    var d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }

  function trendChart(canvas) {
    var data = readJson(canvas.getAttribute("data-raid-trend"));
    if (!data || !window.Chart || !data.weeks.length) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.weeks.map(fmtWeek),
        datasets: [
          { label: "Exposure", data: data.exposure, borderColor: "#d63939", backgroundColor: "rgba(214,57,57,.08)",
            fill: true, tension: .25, pointRadius: 3, borderWidth: 2 },
          { label: "Residual exposure", data: data.residual, borderColor: "#2fb344", backgroundColor: "#2fb344",
            borderDash: [6, 4], tension: .25, pointRadius: 2, borderWidth: 2 },
          { type: "bar", label: "High and critical risks", yAxisID: "count",
            data: data.high.map(function (n, i) { return n + data.critical[i]; }),
            backgroundColor: "rgba(247,103,7,.22)", borderColor: "rgba(247,103,7,.6)", borderWidth: 1,
            barPercentage: .6, order: 3 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: "#eef0f3" } },
          y: { beginAtZero: true, grid: { color: "#eef0f3" }, title: { display: true, text: "Sum of scores" } },
          count: { position: "right", beginAtZero: true, grid: { display: false }, ticks: { precision: 0 },
                   title: { display: true, text: "High and critical risks" } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } }
      }
    });
  }

  // A detail page opened at #actions, #wbs or #history shows that tab.
  function showTabFromHash() {
    var hash = window.location.hash;
    var Tab = window.tabler && window.tabler.Tab;  // tabler.min.js exports Bootstrap's Tab
    if (!hash || !Tab) { return; }
    var link = document.querySelector('.raid-detail-tabs a[href="' + hash + '"]');
    if (link) { Tab.getOrCreateInstance(link).show(); }
  }

  function start() {
    document.querySelectorAll("[data-raid-trend]").forEach(trendChart);
    showTabFromHash();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("hashchange", showTabFromHash);
})();
