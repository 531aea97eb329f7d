/* Program Office: the small amount of behaviour the server-rendered pages need.
   No inline scripts anywhere (strict CSP); everything hooks in through data attributes and htmx events. */
(function () {
  "use strict";

  var SWAP_ON_ERROR = { 400: true, 409: true, 422: true };

  // Validation answers (400/409/422) carry the form or row again with its errors: swap them in.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && SWAP_ON_ERROR[xhr.status]) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Anything else that fails (403, 404, 500, network) gets a toast instead of silence.
  function toast(text, kind) {
    var box = document.getElementById("app-toasts");
    if (!box) { return; }
    var el = document.createElement("div");
    el.className = "alert alert-" + (kind || "danger") + " alert-dismissible app-toast";
    el.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "alert-description";
    body.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Dismiss");
    el.appendChild(body);
    el.appendChild(close);
    box.appendChild(el);
    window.setTimeout(function () { if (el.parentNode) { el.parentNode.removeChild(el); } }, 8000);
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (SWAP_ON_ERROR[status]) { return; }
    var text = {
      403: "You are not allowed to do that with your role in this program.",
      404: "That item no longer exists. Reload the page to see the current state.",
      500: "Something went wrong on our side. Nothing was saved; please try again."
    }[status] || "The request failed (" + status + "). Please try again.";
    toast(text, "danger");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.", "warning");
  });

  // The shared modal: its trigger names the title; the body is loaded by htmx (hx-target="#app-modal-body").
  var modal = document.getElementById("app-modal");
  if (modal) {
    var loadingHTML = document.getElementById("app-modal-body").innerHTML;
    modal.addEventListener("show.bs.modal", function (evt) {
      var trigger = evt.relatedTarget;
      var title = trigger && trigger.getAttribute("data-modal-title");
      document.getElementById("app-modal-title").textContent = title || "";
    });
    modal.addEventListener("hidden.bs.modal", function () {
      document.getElementById("app-modal-body").innerHTML = loadingHTML;
    });
    modal.addEventListener("shown.bs.modal", function () { focusFirstField(modal); });
  }

  function focusFirstField(root) {
    var field = root.querySelector(
      ".is-invalid, input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])"
    );
    if (field && typeof field.focus === "function") { field.focus(); }
  }

  // Forms loaded into the modal get the cursor (htmx itself honours `autofocus` in swapped rows).
  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail.target;
    if (target && target.id === "app-modal-body") { focusFirstField(target); }
  });

  // Inline row editors: Enter saves, Escape cancels.
  document.addEventListener("keydown", function (evt) {
    var row = evt.target && evt.target.closest ? evt.target.closest("tr.app-row-edit") : null;
    if (!row) { return; }
    if (evt.key === "Enter" && evt.target.tagName !== "TEXTAREA") {
      var save = row.querySelector("[data-row-save]");
      if (save) { evt.preventDefault(); save.click(); }
    } else if (evt.key === "Escape") {
      var cancel = row.querySelector("[data-row-cancel]");
      if (cancel) { evt.preventDefault(); cancel.click(); }
    }
  });

  // Copy buttons: <button data-copy-target="#id">.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.querySelector("[data-copy-label]");
      if (label) {
        var before = label.textContent;
        label.textContent = "Copied";
        window.setTimeout(function () { label.textContent = before; }, 2000);
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { source.select && source.select(); });
    } else if (source.select) {
      source.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  // Phones: the program sections bar scrolls sideways; bring the current section into view.
  var activeSection = document.querySelector(".app-subnav-link.active");
  if (activeSection) {
    var strip = activeSection.closest(".app-subnav-list");
    var overflow = activeSection.getBoundingClientRect().right - strip.getBoundingClientRect().right;
    if (overflow > 0) { strip.scrollLeft += overflow + 16; }
  }

  // Forms that ask for confirmation: <form data-confirm="Really?">.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { evt.preventDefault(); }
  });

  // Auto-submit plain GET filter forms when JS is on but htmx is not wired (e.g. no hx-get).
  document.addEventListener("change", function (evt) {
    var form = evt.target.form;
    if (form && form.hasAttribute("data-autosubmit") && !form.hasAttribute("hx-get")) { form.submit(); }
  });
})();
