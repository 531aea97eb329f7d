/* KPI pages: a sparkline per KPI card (canvas[data-kpi-spark]: comma-separated weekly values,
   empty where a week has none) and a KPI's history chart (canvas[data-kpi-history]: the id of a
   json_script with labels, values, target, amber, red). Chart.js from static/vendor/chartjs.
   The same figures are in the page's text and tables for screen readers and without scripts. */
(function () {
  "use strict";

  var COLOURS = { green: "#2fb344", amber: "#f76707", red: "#d63939", grey: "#8a96a8" };
  var GRID = "#eef0f3";

  function numbers(text) {
    return (text || "").split(",").map(function (v) { return v === "" ? null : Number(v); });
  }

  function sparkline(canvas) {
    var values = numbers(canvas.getAttribute("data-kpi-spark"));
    var labels = (canvas.getAttribute("data-kpi-labels") || "").split(",");
    var colour = COLOURS[canvas.getAttribute("data-kpi-rag")] || COLOURS.grey;
    var last = -1;  // the newest week with a value gets a dot
    values.forEach(function (v, i) { if (v !== null) { last = i; } });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{ data: values, borderColor: colour, backgroundColor: colour, borderWidth: 2,
                     tension: 0.25, spanGaps: true,
                     pointRadius: values.map(function (v, i) { return i === last ? 2.5 : 0; }) }]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        events: ["mousemove", "mouseout"],
        layout: { padding: 3 },
        scales: { x: { display: false }, y: { display: false, grace: "10%" } },
        plugins: { legend: { display: false },
                   tooltip: { displayColors: false, callbacks: { title: function (items) { return items[0].label; } } } }
      }
    });
  }

  function history(canvas) {
    var el = document.getElementById(canvas.getAttribute("data-kpi-history"));
    if (!el) { return; }
    var data;
    try { data = JSON.parse(el.textContent); } catch (e) { return; }
    var flat = function (label, value, colour, dash) {
      return { label: label, data: data.labels.map(function () { return value; }), borderColor: colour,
               borderDash: dash, borderWidth: 1.5, pointRadius: 0, fill: false, order: 2 };
    };
    var datasets = [{ label: data.name, data: data.values, borderColor: "#066fd1", backgroundColor: "#066fd1",
                      borderWidth: 2, tension: 0.2, spanGaps: true, pointRadius: 3, order: 1 }];
    if (data.target !== null) { datasets.push(flat("Target", data.target, "#1d273b", [6, 4])); }
    if (data.amber !== null) { datasets.push(flat("Amber beyond", data.amber, COLOURS.amber, [2, 3])); }
    if (data.red !== null) { datasets.push(flat("Red beyond", data.red, COLOURS.red, [2, 3])); }
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
                  y: { grid: { color: GRID }, grace: "5%" } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } }
      }
    });
  }

  function start() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-kpi-spark]").forEach(sparkline);
    document.querySelectorAll("canvas[data-kpi-history]").forEach(history);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
