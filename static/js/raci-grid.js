/* The RACI grid: each cell is a <select> (choose with the mouse, or type R, A, C, I; A twice for
   A/R). Changed rows are marked and their Save enabled, with a live hint when the row would break
   the rule (exactly one A, at least one R); the server checks the rule again and refuses with the
   reason. Delete clears a cell, Ctrl+Enter saves the row, Escape undoes its unsaved changes.
   Rows are saved one at a time by htmx (the row's form carries its version). */
(function () {
  "use strict";

  var ACCOUNTABLE = { A: true, AR: true };
  var RESPONSIBLE = { R: true, AR: true };
  var lastCellId = "";

  function groupOf(el) { return el && el.closest ? el.closest("[data-raci-row]") : null; }

  function paint(cell) {
    var kept = cell.className.split(/\s+/).filter(function (c) { return c && c.indexOf("raci-l-") !== 0; });
    kept.push("raci-l-" + (cell.value || "none"));
    cell.className = kept.join(" ");
  }

  function hintFor(a, r) {
    var problems = [];
    if (a === 0) { problems.push("Needs one A"); }
    if (a > 1) { problems.push(a + " A’s: keep one"); }
    if (r === 0) { problems.push("Needs an R"); }
    return problems;
  }

  function update(group) {
    if (!group) { return; }
    var cells = group.querySelectorAll("select[data-raci-cell]");
    if (!cells.length) { return; }
    var a = 0, r = 0, dirty = false;
    cells.forEach(function (cell) {
      var value = cell.value;
      paint(cell);
      if (ACCOUNTABLE[value]) { a += 1; }
      if (RESPONSIBLE[value]) { r += 1; }
      if (value !== (cell.getAttribute("data-saved") || "")) { dirty = true; }
    });
    var refused = group.classList.contains("raci-refused");
    group.classList.toggle("raci-dirty", dirty);
    var save = group.querySelector("[data-raci-save]");
    if (save) { save.disabled = !dirty && !refused; }
    var hint = group.querySelector("[data-raci-hint]");
    if (!hint) { return; }
    if (dirty) {
      var problems = hintFor(a, r);
      hint.textContent = problems.length ? problems.join(" · ") : "Not saved yet";
      hint.className = "raci-hint small " + (problems.length ? "raci-hint-bad" : "raci-hint-unsaved");
      hint.setAttribute("data-from-js", "1");
    } else if (hint.getAttribute("data-from-js")) {
      hint.textContent = "";
      hint.className = "raci-hint small";
      hint.removeAttribute("data-from-js");
    }
  }

  function init(root) {
    if (!root || !root.querySelectorAll) { return; }
    document.body.classList.add("raci-js");
    var groups = root.matches && root.matches("[data-raci-row]") ? [root] : root.querySelectorAll("[data-raci-row]");
    Array.prototype.forEach.call(groups, update);
    var grid = root.id === "raci-grid" ? root : root.querySelector && root.querySelector("#raci-grid");
    if (grid) { focusRequested(grid); }
    var group = groupOf(root) || (root.matches && root.matches("[data-raci-row]") ? root : null);
    if (group) { restoreFocus(group); }
  }

  function focusRequested(grid) {
    var wanted = grid.getAttribute("data-focus");
    if (!wanted) { return; }
    grid.removeAttribute("data-focus");
    var group = document.getElementById("raci-" + wanted);
    if (!group) { return; }
    var target = group.querySelector("select[data-raci-cell]") || group.querySelector(".raci-row-head");
    if (target) {
      if (!target.hasAttribute("tabindex") && target.tagName === "TH") { target.setAttribute("tabindex", "-1"); }
      target.focus({ preventScroll: true });
      group.scrollIntoView({ block: "center" });
    }
  }

  // After a row comes back from the server, the keyboard stays where the user was.
  function restoreFocus(group) {
    var active = document.activeElement;
    if (active && active !== document.body && group.contains(active) && !active.disabled) { return; }
    if (active && active !== document.body && !group.contains(active)) { return; }
    var cell = lastCellId && document.getElementById(lastCellId);
    if (cell && group.contains(cell)) { cell.focus(); }
  }

  document.addEventListener("change", function (evt) {
    var cell = evt.target;
    if (cell && cell.matches && cell.matches("select[data-raci-cell]")) { update(groupOf(cell)); }
  });

  document.addEventListener("focusin", function (evt) {
    var cell = evt.target;
    if (cell && cell.matches && cell.matches("select[data-raci-cell]") && cell.id) { lastCellId = cell.id; }
  });

  document.addEventListener("keydown", function (evt) {
    var cell = evt.target;
    if (!cell || !cell.matches || !cell.matches("select[data-raci-cell]")) { return; }
    var group = groupOf(cell);
    if (evt.key === "Delete" || evt.key === "Backspace") {
      evt.preventDefault();
      cell.value = "";
      update(group);
    } else if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey)) {
      evt.preventDefault();
      var save = group && group.querySelector("[data-raci-save]");
      if (save && !save.disabled) { save.click(); }
    } else if (evt.key === "Escape" && group && group.classList.contains("raci-dirty")) {
      evt.preventDefault();
      var revert = group.querySelector("[data-raci-revert]");
      if (revert) { revert.click(); }
    }
  });

  document.addEventListener("htmx:load", function (evt) { init(evt.target); });
  init(document);
})();
