/* Budget structure pages: keyboard flow after a grid row is saved, and "add a row" for the
   change-order amounts. No inline scripts (strict CSP). Enter/Escape in a row editor are
   handled by the shared app.js (tr.app-row-edit with [data-row-save] / [data-row-cancel]). */
(function () {
  "use strict";

  // After a row is saved the whole grid is redrawn (totals move): put the cursor back on the
  // (settled: htmx keeps the old classes on same-id elements until the settle step)
  // saved row's Edit button so the next row is one Tab away.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var target = evt.detail.target;
    if (!target || target.id !== "plan-grid") { return; }
    var saved = document.querySelector("#plan-grid .plan-saved [data-row-edit]");
    if (saved) { saved.focus({ preventScroll: false }); }
  });

  // Escape in the editor puts the cursor back on the row's Edit button once it is redrawn.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.classList || !target.classList.contains("plan-line")) { return; }
    var fresh = document.getElementById(target.id);
    if (fresh && !fresh.classList.contains("plan-editing")) {
      var edit = fresh.querySelector("[data-row-edit]");
      if (edit) { edit.focus(); }
    }
  });

  // Change-order amounts: <button data-formset-add="amounts"> appends a copy of the empty form.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-formset-add]") : null;
    if (!button) { return; }
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var body = document.getElementById(prefix + "-rows");
    if (!total || !template || !body) { return; }
    var index = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("tr");
    body.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("select, input");
    if (first) { first.focus(); }
  });
})();
