// RAID log exports follow the list's current filters: the filter bar changes them through htmx
// (pushing them into the address bar), so each export link takes them from there when clicked.
(() => {
  "use strict";
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-raid-export]");
    if (!link) return;
    const url = new URL(link.href, window.location.href);
    const type = url.searchParams.get("type");
    if (!type) return; // the whole log: no filters
    const params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.delete("per_page");
    params.set("type", type);
    url.search = params.toString();
    link.href = url.toString();
  });
})();
