/* Vendor performance pages: the scorecard trend and an SLA's measurements as Chart.js charts
   (static/vendor/chartjs). Each page shows the same figures in a table for screen readers and
   when scripts are off. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  var GRID = "#eef0f3";

  function trendChart(canvas) {
    var data = readJson(canvas.getAttribute("data-perf-trend"));
    if (!data || !window.Chart) { return; }
    var line = function (label, values, colour, dash) {
      return { label: label, data: values, borderColor: colour, backgroundColor: colour,
               borderDash: dash || [], tension: 0, pointRadius: 3, borderWidth: 2, spanGaps: true };
    };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          line("On-time delivery %", data.on_time, "#066fd1"),
          line("First-pass acceptance %", data.first_pass, "#ae3ec9", [6, 4]),
          line("SLA attainment %", data.sla, "#2fb344"),
          { type: "bar", label: "Open escalations", yAxisID: "count", data: data.escalations,
            backgroundColor: "rgba(247,103,7,.25)", borderColor: "rgba(247,103,7,.7)",
            borderWidth: 1, barPercentage: .5, order: 3 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { color: GRID } },
          y: { min: 0, max: 100, grid: { color: GRID }, ticks: { callback: function (v) { return v + " %"; } } },
          count: { position: "right", beginAtZero: true, grid: { display: false },
                   ticks: { precision: 0 }, suggestedMax: 3,
                   title: { display: true, text: "Open escalations" } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } }
      }
    });
  }

  function slaChart(canvas) {
    var data = readJson(canvas.getAttribute("data-perf-sla"));
    if (!data || !window.Chart || !data.values.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Measured (" + data.unit + ")", data: data.values,
            backgroundColor: data.breached.map(function (b) { return b ? "rgba(214,57,57,.75)" : "rgba(47,179,68,.7)"; }),
            borderWidth: 0, barPercentage: .7, order: 2 },
          { type: "line", label: "Target", data: data.values.map(function () { return data.target; }),
            borderColor: "#1d273b", borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, order: 1 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { grid: { display: false } }, y: { grid: { color: GRID }, beginAtZero: data.unit !== "%" } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } }
      }
    });
  }

  function start(root) {
    (root || document).querySelectorAll("[data-perf-trend]").forEach(trendChart);
    (root || document).querySelectorAll("[data-perf-sla]").forEach(function (canvas) {
      if (!canvas.dataset.drawn) { canvas.dataset.drawn = "1"; slaChart(canvas); }
    });
  }

  // The period list moves to the chosen period at once (a Show button remains without scripts).
  document.documentElement.classList.add("perf-js");
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("[data-perf-autosubmit]") && el.form) { el.form.submit(); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(); });
  } else {
    start();
  }
  // The SLA page's measurements section is swapped by htmx after a recording: redraw.
  document.addEventListener("htmx:afterSwap", function (evt) { start(evt.target); });
})();
