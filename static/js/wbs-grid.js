/* The WBS grid: keyboard navigation (as in MS Project), collapsible summaries, bulk selection
   and keeping the focus on the row being worked on across htmx swaps. No inline scripts (CSP). */
(function () {
  "use strict";

  var pendingFocus = null;
  var lastRowId = null;
  var storageKey = "wbs-collapsed:" + window.location.pathname;

  function grid() { return document.querySelector("[data-wbs-grid]"); }
  function rows() {
    var table = grid();
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody > tr.wbs-row")) : [];
  }
  function visibleRows() {
    return rows().filter(function (r) { return !r.classList.contains("wbs-hidden"); });
  }
  function isTyping(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA" ||
      el.isContentEditable);
  }

  // Roving tabindex: one row is in the tab order; arrows move between rows.
  function setCurrent(row) {
    rows().forEach(function (r) { r.setAttribute("tabindex", r === row ? "0" : "-1"); });
  }
  function focusRow(row) {
    if (!row) { return; }
    setCurrent(row);
    row.focus();
    lastRowId = row.id;
  }
  function initRows() {
    var all = rows();
    if (!all.length) { return; }
    var current = all.filter(function (r) { return r.getAttribute("tabindex") === "0"; })[0];
    setCurrent(current || all[0]);
    applyCollapsed();
    updateBulk();
  }

  // Collapsing summaries --------------------------------------------------------------------
  function collapsed() {
    try { return JSON.parse(window.sessionStorage.getItem(storageKey) || "[]"); } catch (e) { return []; }
  }
  function saveCollapsed(list) {
    try { window.sessionStorage.setItem(storageKey, JSON.stringify(list)); } catch (e) { /* private mode */ }
  }
  function applyCollapsed() {
    var closed = collapsed();
    rows().forEach(function (row) {
      var path = row.getAttribute("data-path") || "";
      var hidden = closed.some(function (p) { return path.indexOf(p + ".") === 0; });
      row.classList.toggle("wbs-hidden", hidden);
      var toggle = row.querySelector("[data-toggle]");
      if (toggle) {
        var isClosed = closed.indexOf(path) >= 0;
        toggle.setAttribute("aria-expanded", isClosed ? "false" : "true");
        var label = toggle.getAttribute("aria-label") || "";
        toggle.setAttribute("aria-label", label.replace(/^(Collapse|Expand)/, isClosed ? "Expand" : "Collapse"));
      }
    });
  }
  function setCollapsed(row, close) {
    var path = row.getAttribute("data-path");
    if (!path || !row.querySelector("[data-toggle]")) { return false; }
    var list = collapsed().filter(function (p) { return p !== path; });
    if (close) { list.push(path); }
    saveCollapsed(list);
    applyCollapsed();
    return true;
  }

  document.addEventListener("click", function (evt) {
    var toggle = evt.target.closest ? evt.target.closest("[data-toggle]") : null;
    if (!toggle) { return; }
    var row = toggle.closest("tr");
    setCollapsed(row, toggle.getAttribute("aria-expanded") === "true");
  });

  // Keyboard ------------------------------------------------------------------------------------
  var MOVES = { ArrowRight: "indent", ArrowLeft: "outdent", ArrowUp: "up", ArrowDown: "down" };

  document.addEventListener("keydown", function (evt) {
    var target = evt.target;
    if (!target || !target.closest) { return; }
    var row = target.closest("tr.wbs-row");
    if (!row || row.classList.contains("app-row-edit") || !row.closest("[data-wbs-grid]")) { return; }
    if (isTyping(target) || target.closest(".dropdown-menu")) { return; }
    var onRow = target === row;

    if (evt.altKey && evt.shiftKey && MOVES[evt.key]) {
      var button = row.querySelector('[data-move="' + MOVES[evt.key] + '"]');
      if (button) { evt.preventDefault(); lastRowId = row.id; button.click(); }
      return;
    }
    if (evt.altKey || evt.ctrlKey || evt.metaKey) { return; }
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      var list = visibleRows();
      var i = list.indexOf(row);
      var next = list[evt.key === "ArrowDown" ? i + 1 : i - 1];
      if (next) { evt.preventDefault(); focusRow(next); }
    } else if (evt.key === "Home" && onRow) {
      evt.preventDefault(); focusRow(visibleRows()[0]);
    } else if (evt.key === "End" && onRow) {
      var vis = visibleRows();
      evt.preventDefault(); focusRow(vis[vis.length - 1]);
    } else if ((evt.key === "ArrowLeft" || evt.key === "ArrowRight") && onRow) {
      if (setCollapsed(row, evt.key === "ArrowLeft")) { evt.preventDefault(); }
    } else if (evt.key === "Enter" && onRow) {
      var edit = row.querySelector("[data-row-edit]");
      evt.preventDefault();
      lastRowId = row.id;
      if (edit) { edit.click(); } else {
        var link = row.querySelector(".wbs-link");
        if (link) { link.click(); }
      }
    }
  });

  document.addEventListener("focusin", function (evt) {
    var row = evt.target && evt.target.closest ? evt.target.closest("tr.wbs-row") : null;
    if (row && row.closest("[data-wbs-grid]") && !row.classList.contains("app-row-edit")) {
      setCurrent(row);
      lastRowId = row.id;
    }
  });

  // Bulk selection ------------------------------------------------------------------------------
  function updateBulk() {
    var form = document.getElementById("grid-bulk");
    if (!form) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]"));
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    var count = form.querySelector("[data-bulk-count]");
    var apply = form.querySelector("[data-bulk-apply]");
    var all = document.querySelector("[data-bulk-all]");
    if (count) {
      count.textContent = ticked ? ticked + (ticked === 1 ? " row ticked" : " rows ticked")
        : "Tick rows to change several at once";
    }
    if (apply) { apply.disabled = ticked === 0; }
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    form.classList.toggle("wbs-bulk-active", ticked > 0);
  }

  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (!el || !el.matches) { return; }
    if (el.matches("[data-bulk-all]")) {
      document.querySelectorAll("[data-bulk-item]").forEach(function (b) {
        if (!b.closest("tr").classList.contains("wbs-hidden")) { b.checked = el.checked; }
      });
      updateBulk();
    } else if (el.matches("[data-bulk-item]")) {
      updateBulk();
    }
  });

  // Focus across htmx swaps ---------------------------------------------------------------------
  document.body.addEventListener("grid-refresh", function (evt) {
    pendingFocus = evt.detail && evt.detail.focus ? evt.detail.focus : lastRowId;
  });

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var row = evt.detail.elt && evt.detail.elt.closest ? evt.detail.elt.closest("tr.wbs-row") : null;
    if (row) { lastRowId = row.id; }
  });

  // The grid marks itself settled once a swap's rows are set up and the focus is back, so a
  // keyboard user's next key (or a browser test) lands on the rows the server just sent.
  function markSettled(table) { table.setAttribute("data-settled", ""); }

  document.addEventListener("htmx:afterSettle", function (evt) {
    var table = document.getElementById("grid-table");
    if (!table) { return; }
    initRows();
    markSettled(table);
    var active = document.activeElement;
    var wanted = pendingFocus || table.getAttribute("data-focus") || null;
    pendingFocus = null;
    table.setAttribute("data-focus", "");
    if (!wanted && lastRowId && (!active || active === document.body)) {
      // The focused control went away with the swap (a row back from its editor, say):
      // the row it belonged to keeps the keyboard.
      wanted = lastRowId;
    }
    if (!wanted) { return; }
    var row = document.getElementById(wanted);
    if (!row || row.classList.contains("app-row-edit")) { return; }
    if (active && row.contains(active) && active !== row && isTyping(active)) { return; }
    focusRow(row);
  });

  // On load: the row just created (?focus=KEY) gets the keyboard and comes into view.
  function start() {
    initRows();
    var table = document.getElementById("grid-table");
    if (table) { markSettled(table); }
    var wanted = table && table.getAttribute("data-focus");
    var row = wanted && document.getElementById(wanted);
    if (row && !row.classList.contains("wbs-hidden")) {
      focusRow(row);
      row.scrollIntoView({ block: "center" });
      row.classList.add("app-row-flash");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
