/* Grooming: keyboard reordering. Focus a row's grip handle and press ArrowUp / ArrowDown to move
   the item one step, Home / End for the top / bottom; the row's own buttons do the work (htmx),
   and the focus follows the moved item after the table is swapped. */
(function () {
  "use strict";

  var KEYS = { ArrowUp: "up", ArrowDown: "down", Home: "top", End: "bottom" };

  document.addEventListener("keydown", function (evt) {
    var handle = evt.target && evt.target.closest ? evt.target.closest(".app-bl-handle") : null;
    if (!handle) { return; }
    var direction = KEYS[evt.key];
    if (!direction) { return; }
    evt.preventDefault();
    var form = handle.closest("form");
    var button = form && form.querySelector('button[name="direction"][value="' + direction + '"]');
    if (!button || button.disabled) { return; }
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  });

  var focusSelect = false;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusSelect = !!(active && active.tagName === "SELECT" && active.closest("#grooming"));
  });

  document.addEventListener("htmx:afterSwap", function () {
    var box = document.getElementById("grooming");
    var key = box && box.getAttribute("data-moved");
    if (!key) { return; }
    var row = box.querySelector('tr[data-key="' + key + '"]');
    if (!row) { return; }
    var active = document.activeElement;
    if (active && active !== document.body && box.contains(active)) { return; }
    var visible = function (selector) {
      var found = row.querySelectorAll(selector);
      for (var n = 0; n < found.length; n++) { if (found[n].offsetParent !== null) { return found[n]; } }
      return null;
    };
    var handle = visible(".app-bl-handle") || visible('button[name="direction"]:not([disabled])');
    var select = visible("select");
    var target = focusSelect ? (select || handle) : (handle || select);
    if (target) { target.focus({ preventScroll: false }); }
  });
})();
