/* The Gantt page: a small SVG renderer that draws only the rows in view.

   Why not frappe-gantt (vendored in static/vendor/frappe-gantt): it has no left grid or
   collapsible hierarchy, no baseline bars, draws only finish-to-start arrows and renders every
   row into one SVG (5-6 s for 5,000 rows). Here the data comes from the Gantt API as columns
   plus row arrays; the outline (left) and the timeline (right) render a window of rows around
   the scroll position into absolutely positioned layers over a spacer of the full height, so
   5,000 items cost the same to scroll as 50.

   Editing (schedule.change only): drag a bar to move it (sends its new start: the duration
   stays), drag its right end to change the finish, its left end to change the start. Each
   change is a PATCH of the item with If-Match: "<version>"; then the Gantt data is fetched
   again (the server recomputed the schedule) and redrawn. 412 = someone else changed the item.
*/
(function () {
  "use strict";

  var root = document.getElementById("gantt");
  if (!root) { return; }

  var DAY_MS = 86400000;
  var ROW = 28;
  var OVERSCAN = 10;
  var ZOOMS = { day: 24, week: 6, month: 1.6, quarter: 0.62 };
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var KIND_ICON = { milestone: "ti-diamond", deliverable: "ti-package", task: "", summary: "" };
  var SVGNS = "http://www.w3.org/2000/svg";

  var els = {
    side: root.querySelector("[data-gantt-side]"),
    sideSpacer: root.querySelector("[data-gantt-side-spacer]"),
    head: root.querySelector("[data-gantt-head]"),
    body: root.querySelector("[data-gantt-body]"),
    spacer: root.querySelector("[data-gantt-spacer]"),
    status: document.getElementById("gantt-status"),
    footer: root.querySelector("[data-gantt-footer]"),
    baseline: root.querySelector("[data-gantt-baseline]"),
    criticalOnly: root.querySelector("[data-gantt-critical-only]")
  };
  var canEdit = root.getAttribute("data-can-edit") === "1";
  var dataUrl = root.getAttribute("data-url");
  var itemApi = root.getAttribute("data-item-api");
  var itemPage = root.getAttribute("data-item-page");

  var S = {
    data: null, etag: null, items: [], byId: {}, outLinks: {}, inLinks: {}, links: [],
    visible: [], pos: {}, collapsed: {}, criticalOnly: false,
    zoom: "week", ppd: ZOOMS.week, origin: 0, span: 0, today: 0, statusDay: null,
    first: -1, last: -1, drag: null, saving: false, baselineParam: ""
  };

  // layers in the timeline: background (grid, weekends, today) and the window of bars
  var bg = svgEl("svg", { "class": "gantt-layer", "aria-hidden": "true" });
  var fg = svgEl("svg", { "class": "gantt-layer" });
  fg.setAttribute("role", "img");
  fg.setAttribute("aria-label", "Bars of the rows in view");
  els.spacer.appendChild(bg);
  els.spacer.appendChild(fg);
  var sideRows = document.createElement("div");
  sideRows.className = "gantt-side-rows";
  els.sideSpacer.appendChild(sideRows);

  // ------------------------------------------------------------------------------------------
  // helpers
  // ------------------------------------------------------------------------------------------
  function svgEl(name, attrs) {
    var el = document.createElementNS(SVGNS, name);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { el.setAttribute(k, attrs[k]); } }
    return el;
  }
  var dayCache = {};
  function dayOf(iso) {
    if (!iso) { return null; }
    var d = dayCache[iso];
    if (d === undefined) {
      d = dayCache[iso] = Math.round(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS);
    }
    return d;
  }
  function isoOf(day) { return new Date(day * DAY_MS).toISOString().slice(0, 10); }
  function human(day) {
    if (day === null || day === undefined) { return "–"; }
    var d = new Date(day * DAY_MS);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  function short(day) {
    if (day === null || day === undefined) { return ""; }
    var d = new Date(day * DAY_MS);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + String(d.getUTCFullYear()).slice(2);
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function weekday(day) { return (new Date(day * DAY_MS).getUTCDay() + 6) % 7; } // 0 = Monday
  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) { return headers["X-CSRFToken"]; }
    } catch (e) { /* fall through to the cookie */ }
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function say(text, kind) {
    els.status.textContent = text;
    els.status.className = "gantt-status" + (kind ? " is-" + kind : "");
  }
  function x(day) { return (day - S.origin) * S.ppd; }

  // ------------------------------------------------------------------------------------------
  // data
  // ------------------------------------------------------------------------------------------
  function ingest(data) {
    S.data = data;
    var c = {};
    data.columns.forEach(function (name, i) { c[name] = i; });
    var items = [], byId = {};
    var rows = data.rows;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var it = {
        id: r[c.id], key: r[c.key], name: r[c.name], wbs: r[c.wbs], depth: r[c.depth],
        parent: r[c.parent], kind: r[c.kind], s: dayOf(r[c.start]), f: dayOf(r[c.finish]),
        pct: r[c.percent] || 0, crit: !!r[c.critical], tf: r[c.total_float_days],
        version: r[c.version], ws: r[c.workstream], owner: r[c.owner],
        bs: dayOf(r[c.baseline_start]), bf: dayOf(r[c.baseline_finish]),
        deadline: dayOf(r[c.deadline]), kids: false, critBelow: false, idx: i
      };
      items.push(it);
      byId[it.id] = it;
    }
    for (i = items.length - 1; i >= 0; i--) {
      var p = byId[items[i].parent];
      if (p) {
        p.kids = true;
        if ((items[i].crit && !items[i].kids) || items[i].critBelow) { p.critBelow = true; }
      }
    }
    var outLinks = {}, inLinks = {}, links = [];
    data.links.forEach(function (l, n) {
      var link = { n: n, pred: l[0], succ: l[1], type: l[2], lag: l[3] };
      links.push(link);
      (outLinks[link.pred] = outLinks[link.pred] || []).push(link);
      (inLinks[link.succ] = inLinks[link.succ] || []).push(link);
    });
    S.items = items; S.byId = byId; S.outLinks = outLinks; S.inLinks = inLinks; S.links = links;
    S.today = dayOf(data.today);
    S.statusDay = dayOf(data.status_date);
    root.classList.toggle("is-no-baseline", !data.baseline || S.baselineParam === "none");
    computeRange();
    computeVisible();
    footer();
  }

  function computeRange() {
    var lo = S.today, hi = S.today;
    var ps = dayOf(S.data.project_start), pf = dayOf(S.data.project_finish);
    if (ps !== null) { lo = Math.min(lo, ps); hi = Math.max(hi, ps); }
    if (pf !== null) { hi = Math.max(hi, pf); }
    for (var i = 0; i < S.items.length; i++) {
      var it = S.items[i];
      if (it.s !== null && it.s < lo) { lo = it.s; }
      if (it.f !== null && it.f > hi) { hi = it.f; }
      if (it.bs !== null && it.bs < lo) { lo = it.bs; }
      if (it.bf !== null && it.bf > hi) { hi = it.bf; }
      if (it.deadline !== null && it.deadline > hi) { hi = it.deadline; }
    }
    var a = new Date((lo - 10) * DAY_MS);
    var start = Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), 1) / DAY_MS;
    var b = new Date((hi + 45) * DAY_MS);
    var end = Date.UTC(b.getUTCFullYear(), b.getUTCMonth() + 1, 1) / DAY_MS;
    S.origin = start;
    S.span = end - start;
  }

  function computeVisible() {
    var out = [], pos = {}, skipBelow = Infinity;
    for (var i = 0; i < S.items.length; i++) {
      var it = S.items[i];
      if (it.depth > skipBelow) { continue; }
      skipBelow = Infinity;
      if (S.criticalOnly && !(it.kids ? it.critBelow : it.crit)) {
        if (it.kids) { skipBelow = it.depth; }
        continue;
      }
      pos[it.id] = out.length;
      out.push(it);
      if (it.kids && S.collapsed[it.id]) { skipBelow = it.depth; }
    }
    S.visible = out;
    S.pos = pos;
    var h = out.length * ROW;
    els.spacer.style.height = h + "px";
    els.sideSpacer.style.height = h + "px";
    S.first = S.last = -1;
  }

  function footer() {
    var crit = 0, ms = 0;
    for (var i = 0; i < S.items.length; i++) {
      if (S.items[i].crit && !S.items[i].kids) { crit++; }
      if (S.items[i].kind === "milestone") { ms++; }
    }
    var parts = [
      S.items.length.toLocaleString("en-GB") + " items",
      S.links.length.toLocaleString("en-GB") + " links",
      ms + " milestones",
      crit + " on the critical path",
      "project finish " + human(dayOf(S.data.project_finish))
    ];
    if (S.data.status_date) { parts.push("status date " + human(S.statusDay)); }
    if (S.data.baseline && S.baselineParam !== "none") { parts.push("baseline: " + S.data.baseline.name); }
    els.footer.textContent = parts.join(" · ");
  }

  function load(opts) {
    opts = opts || {};
    var url = dataUrl;
    if (S.baselineParam && S.baselineParam !== "none") { url += "?baseline=" + encodeURIComponent(S.baselineParam); }
    // the first load has no extra headers, so it picks up the page's <link rel="preload">
    var init = { credentials: "same-origin" };
    if (S.etag && !opts.fresh) { init.headers = { "If-None-Match": S.etag }; }
    return fetch(url, init).then(function (resp) {
      if (resp.status === 304) { return null; }
      if (!resp.ok) { throw new Error("HTTP " + resp.status); }
      S.etag = resp.headers.get("ETag");
      return resp.json();
    }).then(function (data) {
      if (window.performance && performance.mark) { performance.mark("gantt-data"); }
      if (data) {
        var firstLoad = !S.data;
        ingest(data);
        drawScale();
        render(true);
        if (firstLoad) { scrollToDay(firstDay() - 7); }
      } else {
        render(true);
      }
      root.setAttribute("data-ready", "1");
      if (window.performance && performance.mark) { performance.mark("gantt-ready"); }
    }).catch(function () {
      root.setAttribute("data-ready", "1");
      say("The schedule could not be loaded. Reload the page to try again.", "error");
    });
  }

  // ------------------------------------------------------------------------------------------
  // the time scale: header and background (drawn once per zoom)
  // ------------------------------------------------------------------------------------------
  function ticks() {
    var t1 = [], t2 = [];
    var z = S.zoom;
    var d0 = S.origin, d1 = S.origin + S.span;
    var d = new Date(d0 * DAY_MS);
    var y = d.getUTCFullYear(), m = d.getUTCMonth();
    // tier 1: months (day, week) or years (month, quarter)
    if (z === "day" || z === "week") {
      for (var mm = m, yy = y; ; mm++) {
        var ms = Date.UTC(yy, mm, 1) / DAY_MS;
        if (ms >= d1) { break; }
        var md = new Date(ms * DAY_MS);
        t1.push({ day: ms, label: (z === "day" ? ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"][md.getUTCMonth()] : MONTHS[md.getUTCMonth()]) + " " + md.getUTCFullYear() });
      }
    } else {
      for (var yr = y; ; yr++) {
        var ys = Math.max(Date.UTC(yr, 0, 1) / DAY_MS, d0);
        if (ys >= d1) { break; }
        t1.push({ day: ys, label: String(yr) });
      }
    }
    if (z === "day") {
      for (var k = d0; k < d1; k++) { t2.push({ day: k, label: String(new Date(k * DAY_MS).getUTCDate()) }); }
    } else if (z === "week") {
      var k2 = d0 + ((7 - weekday(d0)) % 7);
      for (; k2 < d1; k2 += 7) { t2.push({ day: k2, label: String(new Date(k2 * DAY_MS).getUTCDate()) }); }
    } else if (z === "month") {
      for (var i = 0; ; i++) {
        var s = Date.UTC(y, m + i, 1) / DAY_MS;
        if (s >= d1) { break; }
        t2.push({ day: s, label: MONTHS[new Date(s * DAY_MS).getUTCMonth()] });
      }
    } else {
      for (var q = 0; ; q++) {
        var qm = m - (m % 3) + 3 * q;
        var qs = Date.UTC(y, qm, 1) / DAY_MS;
        if (qs >= d1) { break; }
        if (qs < d0) { continue; }
        t2.push({ day: qs, label: "Q" + (Math.floor(new Date(qs * DAY_MS).getUTCMonth() / 3) + 1) });
      }
    }
    return { t1: t1, t2: t2 };
  }

  function drawScale() {
    var width = Math.ceil(S.span * S.ppd);
    els.spacer.style.width = width + "px";
    var tk = ticks();
    var h = [];
    h.push('<svg width="' + width + '" height="44" xmlns="' + SVGNS + '">');
    tk.t1.forEach(function (t) {
      var px = x(t.day);
      h.push('<line x1="' + px + '" x2="' + px + '" y1="0" y2="44"></line>');
      h.push('<text class="gantt-tier1" x="' + (px + 6) + '" y="17">' + esc(t.label) + "</text>");
    });
    var cell = S.zoom === "day" ? S.ppd : 0;
    tk.t2.forEach(function (t) {
      var px = x(t.day);
      h.push('<line x1="' + px + '" x2="' + px + '" y1="26" y2="44"></line>');
      var tx = cell ? px + cell / 2 : px + 4;
      h.push('<text x="' + tx + '" y="39"' + (cell ? ' text-anchor="middle"' : "") + ">" + esc(t.label) + "</text>");
    });
    if (S.today >= S.origin && S.today < S.origin + S.span) {
      var tx2 = x(S.today) + S.ppd / 2;
      h.push('<path class="gantt-today-mark" d="M' + (tx2 - 5) + ",44 L" + (tx2 + 5) + ",44 L" + tx2 + ',37 Z" fill="#f76707"></path>');
    }
    h.push("</svg>");
    els.head.innerHTML = h.join("");
    // background: weekends (day zoom), grid lines, status date, today
    var bh = (Math.ceil((els.body.clientHeight || 600) / ROW) + 2 * OVERSCAN + 2) * ROW;
    bg.setAttribute("width", width);
    bg.setAttribute("height", bh);
    var b = [];
    if (S.zoom === "day") {
      var work = {};
      (S.data.weekdays || [0, 1, 2, 3, 4]).forEach(function (w) { work[w] = true; });
      for (var d = S.origin; d < S.origin + S.span; d++) {
        if (!work[weekday(d)]) { b.push('<rect class="gantt-weekend" x="' + x(d) + '" y="0" width="' + S.ppd + '" height="' + bh + '"></rect>'); }
      }
    }
    tk.t2.forEach(function (t) {
      b.push('<line class="gantt-grid-line" x1="' + x(t.day) + '" x2="' + x(t.day) + '" y1="0" y2="' + bh + '"></line>');
    });
    tk.t1.forEach(function (t) {
      b.push('<line class="gantt-grid-line is-major" x1="' + x(t.day) + '" x2="' + x(t.day) + '" y1="0" y2="' + bh + '"></line>');
    });
    if (S.statusDay !== null) {
      var sx = x(S.statusDay + 1);
      b.push('<line class="gantt-status-line" x1="' + sx + '" x2="' + sx + '" y1="0" y2="' + bh + '"><title>Status date ' + human(S.statusDay) + "</title></line>");
    }
    var tdx = x(S.today) + S.ppd / 2;
    b.push('<line class="gantt-today" data-gantt-today-line x1="' + tdx + '" x2="' + tdx + '" y1="0" y2="' + bh + '"><title>Today, ' + human(S.today) + "</title></line>");
    bg.innerHTML = b.join("");
    fg.setAttribute("width", width);
  }

  // ------------------------------------------------------------------------------------------
  // the window of rows
  // ------------------------------------------------------------------------------------------
  function render(force) {
    if (!S.data) { return; }
    var top = els.body.scrollTop, h = els.body.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    var last = Math.min(S.visible.length, Math.ceil((top + h) / ROW) + OVERSCAN);
    if (!force && first === S.first && last === S.last) { return; }
    S.first = first; S.last = last;
    var bgTop = Math.max(0, Math.floor(top / ROW) - OVERSCAN) * ROW;
    bg.style.top = bgTop + "px";
    renderSide(first, last);
    renderBars(first, last);
  }

  function renderSide(first, last) {
    var focused = document.activeElement;
    var focusKey = focused && sideRows.contains(focused) ? focused.getAttribute("data-focus-key") : null;
    var h = [];
    for (var i = first; i < last; i++) {
      var it = S.visible[i];
      var cls = "gantt-row" + (it.kids ? " is-summary" : "") + (it.crit && !it.kids ? " is-critical" : "");
      h.push('<div class="' + cls + '" role="listitem" data-row="' + i + '" data-id="' + it.id +
        '" data-key="' + esc(it.key) + '">');
      h.push('<span class="gantt-c-wbs">' + esc(it.wbs) + "</span>");
      h.push('<span class="gantt-c-name gantt-name gantt-indent-' + Math.min(it.depth, 8) + '">');
      if (it.kids) {
        var open = !S.collapsed[it.id];
        h.push('<button type="button" class="gantt-toggle" data-toggle="' + it.id + '" data-focus-key="t' + it.id +
          '" aria-expanded="' + open + '" aria-label="' + (open ? "Collapse " : "Expand ") + esc(it.wbs + " " + it.name) +
          '"><i class="ti ti-chevron-down" aria-hidden="true"></i></button>');
      } else {
        h.push('<span class="gantt-toggle-gap"></span>');
      }
      if (KIND_ICON[it.kind]) { h.push('<i class="ti ' + KIND_ICON[it.kind] + ' gantt-kind" aria-hidden="true"></i>'); }
      h.push('<a href="' + esc(itemPage.replace("__KEY__", encodeURIComponent(it.key))) + '" data-focus-key="a' + it.id +
        '" title="' + esc(it.key + " " + it.name) + '">' + esc(it.name) + "</a></span>");
      h.push('<span class="gantt-c-date">' + short(it.kind === "milestone" ? it.f : it.s) + "</span>");
      h.push('<span class="gantt-c-date">' + short(it.f) + "</span></div>");
    }
    sideRows.innerHTML = h.join("");
    var rowsEls = sideRows.children;
    for (var j = 0; j < rowsEls.length; j++) { rowsEls[j].style.top = (first + j) * ROW + "px"; }
    if (focusKey) {
      var again = sideRows.querySelector('[data-focus-key="' + focusKey + '"]');
      if (again) { again.focus({ preventScroll: true }); }
    }
  }

  function itemDays(it) {
    var s = it.s, f = it.f;
    var d = S.drag;
    if (d && d.moved && d.item === it) {
      if (d.mode === "move") { s += d.delta; f += d.delta; }
      else if (d.mode === "finish") { f = Math.max(s, f + d.delta); }
      else { s = Math.min(f, s + d.delta); }
    }
    return [s, f];
  }

  function renderBars(first, last) {
    var top = first * ROW;
    fg.style.top = top + "px";
    fg.setAttribute("height", Math.max(1, (last - first) * ROW));
    var h = [];
    h.push('<defs><marker id="gantt-arrow" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="gantt-arrowhead" d="M0,0 L6,3 L0,6 Z"></path></marker>' +
      '<marker id="gantt-arrow-crit" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="gantt-arrowhead-critical" d="M0,0 L6,3 L0,6 Z"></path></marker></defs>');
    // links first (under the bars): those with an end in the window and both ends shown
    var seen = {};
    var linkParts = [];
    for (var i = first; i < last; i++) {
      var it = S.visible[i];
      var lists = [S.outLinks[it.id], S.inLinks[it.id]];
      for (var l = 0; l < 2; l++) {
        var list = lists[l];
        if (!list) { continue; }
        for (var k = 0; k < list.length; k++) {
          var link = list[k];
          if (seen[link.n]) { continue; }
          seen[link.n] = true;
          var path = linkPath(link, first);
          if (path) { linkParts.push(path); }
        }
      }
    }
    h.push(linkParts.join(""));
    for (i = first; i < last; i++) { h.push(barMarkup(S.visible[i], (i - first) * ROW)); }
    fg.innerHTML = h.join("");
  }

  function anchor(it, end) {
    var d = itemDays(it);
    if (it.kind === "milestone") { return x(d[1] + 1); }
    return end ? x(d[1] + 1) : x(d[0]);
  }

  function linkPath(link, first) {
    var p = S.byId[link.pred], s = S.byId[link.succ];
    if (!p || !s) { return ""; }
    var pi = S.pos[p.id], si = S.pos[s.id];
    if (pi === undefined || si === undefined) { return ""; }
    if (p.s === null || s.s === null) { return ""; }
    var fromEnd = link.type === "FS" || link.type === "FF";
    var toEnd = link.type === "FF" || link.type === "SF";
    var y1 = (pi - first) * ROW + ROW / 2, y2 = (si - first) * ROW + ROW / 2;
    var x1 = anchor(p, fromEnd) + (p.kind === "milestone" ? (fromEnd ? 5 : -5) : 0);
    var x2 = anchor(s, toEnd) + (s.kind === "milestone" ? (toEnd ? 6 : -6) : 0);
    var out = fromEnd ? 1 : -1;      // leave to the right from a finish, to the left from a start
    var into = toEnd ? -1 : 1;       // arrive moving right into a start, moving left into a finish
    var gap = 8;
    var ax = x1 + out * gap, bx = x2 - into * gap;
    var d;
    if ((into === 1 && ax <= bx) || (into === -1 && ax >= bx)) {
      d = "M" + x1 + "," + y1 + " H" + ax + " V" + y2 + " H" + x2;
    } else {
      var ym = y2 > y1 ? (si - first) * ROW : (si - first + 1) * ROW;
      d = "M" + x1 + "," + y1 + " H" + ax + " V" + ym + " H" + bx + " V" + y2 + " H" + x2;
    }
    var crit = p.crit && s.crit;
    return '<path class="gantt-link' + (crit ? " is-critical" : "") + '" d="' + d + '" marker-end="url(#' + (crit ? "gantt-arrow-crit" : "gantt-arrow") +
      ')" data-link="' + esc(p.key + ">" + s.key) + '"><title>' + esc(p.key + " → " + s.key + " " + link.type + (link.lag ? (link.lag > 0 ? " +" : " ") + link.lag + "d" : "")) + "</title></path>";
  }

  function barMarkup(it, y) {
    if (it.s === null || it.f === null) { return ""; }
    var d = itemDays(it);
    var s = d[0], f = d[1];
    var editable = canEdit && !it.kids && it.kind !== "summary";
    var cls = "gantt-item is-" + (it.kids ? "summary" : it.kind) + (it.crit ? " is-critical" : "") +
      (editable ? " is-editable" : "") + (S.drag && S.drag.item === it && S.drag.moved ? " is-dragging" : "") +
      (S.saving === it.id ? " is-saving" : "");
    var g = ['<g class="' + cls + '" data-id="' + it.id + '" data-key="' + esc(it.key) + '" data-start="' + isoOf(s) + '" data-finish="' + isoOf(f) + '">'];
    var tip = it.key + " " + it.name + "\n" + (it.kind === "milestone" ? human(f) : human(s) + " – " + human(f)) +
      (it.pct ? "\n" + it.pct + "% complete" : "") +
      (it.tf !== null && it.tf !== undefined ? "\nTotal float " + it.tf + " working days" : "") +
      (it.crit ? "\nOn the critical path" : "") +
      (it.bf !== null && S.data.baseline ? "\nBaseline " + (it.kind === "milestone" ? human(it.bf) : human(it.bs) + " – " + human(it.bf)) : "") +
      (it.deadline !== null ? "\nDeadline " + human(it.deadline) : "");
    g.push("<title>" + esc(tip) + "</title>");
    var x1 = x(s), x2 = x(f + 1), w = Math.max(2, x2 - x1), labelX;
    // baseline (under the bar)
    if (it.bf !== null) {
      if (it.kind === "milestone") {
        var bxm = x(it.bf + 1), bym = y + 14;
        g.push('<path class="gantt-baseline-ms" d="M' + bxm + "," + (bym - 5) + " L" + (bxm + 5) + "," + bym + " L" + bxm + "," + (bym + 5) + " L" + (bxm - 5) + "," + bym + ' Z"></path>');
      } else if (it.bs !== null) {
        g.push('<rect class="gantt-baseline-bar" x="' + x(it.bs) + '" y="' + (y + 20) + '" width="' + Math.max(2, x(it.bf + 1) - x(it.bs)) + '" height="4" rx="1"></rect>');
      }
    }
    if (it.kids || it.kind === "summary") {
      var yt = y + 8;
      g.push('<path class="gantt-summary" d="M' + x1 + "," + yt + " H" + (x1 + w) + " V" + (yt + 10) + " L" + (x1 + w - 5) + "," + (yt + 5) +
        " H" + (x1 + 5) + " L" + x1 + "," + (yt + 10) + ' Z"></path>');
      labelX = x1 + w + 6;
    } else if (it.kind === "milestone") {
      var cx = x(f + 1), cy = y + 14, r = 7;
      g.push('<path class="gantt-milestone" d="M' + cx + "," + (cy - r) + " L" + (cx + r) + "," + cy + " L" + cx + "," + (cy + r) + " L" + (cx - r) + "," + cy + ' Z"></path>');
      if (editable) { g.push('<rect class="gantt-handle gantt-hit" data-mode="move" x="' + (cx - 9) + '" y="' + (y + 3) + '" width="18" height="22"></rect>'); }
      labelX = cx + 10;
    } else {
      g.push('<rect class="gantt-bar" data-mode="move" x="' + x1 + '" y="' + (y + 6) + '" width="' + w + '" height="13" rx="3"></rect>');
      if (it.pct > 0) {
        g.push('<rect class="gantt-bar-progress" data-mode="move" x="' + x1 + '" y="' + (y + 6) + '" width="' + Math.max(1, w * it.pct / 100) + '" height="13" rx="3"></rect>');
      }
      if (editable) {
        var hw = Math.min(7, Math.max(3, w / 4));
        g.push('<rect class="gantt-handle" data-mode="start" x="' + (x1 - 2) + '" y="' + (y + 5) + '" width="' + hw + '" height="15"></rect>');
        g.push('<rect class="gantt-handle" data-mode="finish" x="' + (x1 + w - hw + 2) + '" y="' + (y + 5) + '" width="' + hw + '" height="15"></rect>');
      }
      labelX = x1 + w + 6;
    }
    if (it.deadline !== null) {
      var dx = x(it.deadline + 1);
      g.push('<path class="gantt-deadline" d="M' + (dx - 4) + "," + (y + 1) + " L" + (dx + 4) + "," + (y + 1) + " L" + dx + "," + (y + 6) + ' Z"></path>');
    }
    if (S.drag && S.drag.item === it && S.drag.moved) {
      var o = [it.s, it.f];
      if (it.kind === "milestone") {
        var ox = x(o[1] + 1);
        g.push('<path class="gantt-ghost" d="M' + ox + "," + (y + 7) + " L" + (ox + 7) + "," + (y + 14) + " L" + ox + "," + (y + 21) + " L" + (ox - 7) + "," + (y + 14) + ' Z"></path>');
      } else {
        g.push('<rect class="gantt-ghost" x="' + x(o[0]) + '" y="' + (y + 6) + '" width="' + Math.max(2, x(o[1] + 1) - x(o[0])) + '" height="13" rx="3"></rect>');
      }
    }
    g.push('<text class="gantt-label" x="' + labelX + '" y="' + (y + 17) + '">' + esc(it.name) + (it.pct && !it.kids ? " · " + it.pct + "%" : "") + "</text>");
    g.push("</g>");
    return g.join("");
  }

  // ------------------------------------------------------------------------------------------
  // scrolling and zooming
  // ------------------------------------------------------------------------------------------
  var pending = false;
  els.body.addEventListener("scroll", function () {
    els.head.scrollLeft = els.body.scrollLeft;
    els.side.scrollTop = els.body.scrollTop;
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () { pending = false; render(false); });
    }
  }, { passive: true });
  els.side.addEventListener("wheel", function (evt) {
    if (!evt.deltaY) { return; }
    evt.preventDefault();
    els.body.scrollTop += evt.deltaY;
  }, { passive: false });
  window.addEventListener("resize", function () { if (S.data) { drawScale(); render(true); } });

  // where the plan begins: the first start in the outline (else today)
  function firstDay() {
    var lo = null;
    for (var i = 0; i < S.items.length; i++) {
      var s = S.items[i].s;
      if (s !== null && (lo === null || s < lo)) { lo = s; }
    }
    return lo === null ? S.today : lo;
  }

  function scrollToDay(day) {
    els.body.scrollLeft = Math.max(0, x(day));
    els.head.scrollLeft = els.body.scrollLeft;
  }

  function setZoom(z) {
    if (!ZOOMS[z]) { return; }
    var centre = S.origin + (els.body.scrollLeft + els.body.clientWidth / 2) / S.ppd;
    S.zoom = z;
    S.ppd = ZOOMS[z];
    root.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-zoom") === z ? "true" : "false");
    });
    if (!S.data) { return; }
    drawScale();
    render(true);
    els.body.scrollLeft = Math.max(0, x(centre) - els.body.clientWidth / 2);
    els.head.scrollLeft = els.body.scrollLeft;
  }

  root.addEventListener("click", function (evt) {
    var t = evt.target.closest ? evt.target : null;
    if (!t) { return; }
    var zoom = t.closest("[data-zoom]");
    if (zoom) { setZoom(zoom.getAttribute("data-zoom")); return; }
    if (t.closest("[data-gantt-today]")) {
      scrollToDay(S.today - Math.round(els.body.clientWidth / S.ppd / 3));
      return;
    }
    var expand = t.closest("[data-gantt-expand]");
    if (expand) {
      var all = expand.getAttribute("data-gantt-expand") === "all";
      S.collapsed = {};
      if (!all) { S.items.forEach(function (it) { if (it.kids) { S.collapsed[it.id] = true; } }); }
      computeVisible();
      render(true);
      return;
    }
    var toggle = t.closest("[data-toggle]");
    if (toggle) {
      var id = toggle.getAttribute("data-toggle");
      S.collapsed[id] = !S.collapsed[id];
      computeVisible();
      render(true);
    }
  });
  if (els.criticalOnly) {
    els.criticalOnly.addEventListener("change", function () {
      S.criticalOnly = els.criticalOnly.checked;
      computeVisible();
      render(true);
    });
  }
  if (els.baseline) {
    els.baseline.addEventListener("change", function () {
      S.baselineParam = els.baseline.value;
      if (S.baselineParam === "none") {
        root.classList.add("is-no-baseline");
        footer();
        return;
      }
      S.etag = null;
      load({ fresh: true });
    });
  }

  // ------------------------------------------------------------------------------------------
  // dragging and saving
  // ------------------------------------------------------------------------------------------
  els.body.addEventListener("pointerdown", function (evt) {
    if (!canEdit || evt.button !== 0 || S.saving) { return; }
    var g = evt.target.closest ? evt.target.closest(".gantt-item.is-editable") : null;
    if (!g) { return; }
    var it = S.byId[g.getAttribute("data-id")];
    if (!it) { return; }
    var mode = evt.target.getAttribute("data-mode") || "move";
    if (it.kind === "milestone") { mode = "move"; }
    S.drag = { item: it, mode: mode, x0: evt.clientX, delta: 0, moved: false, pointer: evt.pointerId };
    els.body.setPointerCapture(evt.pointerId);
    evt.preventDefault();
  });
  els.body.addEventListener("pointermove", function (evt) {
    var d = S.drag;
    if (!d || evt.pointerId !== d.pointer) { return; }
    var dx = evt.clientX - d.x0;
    if (!d.moved && Math.abs(dx) < 4) { return; }
    d.moved = true;
    var delta = Math.round(dx / S.ppd);
    if (delta !== d.delta || !d.shown) {
      d.delta = delta;
      d.shown = true;
      var days = itemDays(d.item);
      say(d.item.key + ": " + (d.item.kind === "milestone" ? human(days[1]) : human(days[0]) + " – " + human(days[1])) +
        " (release to save, Esc to cancel)");
      renderBars(S.first, S.last);
    }
  });
  function endDrag(evt, cancel) {
    var d = S.drag;
    if (!d || (evt && evt.pointerId !== undefined && evt.pointerId !== d.pointer)) { return; }
    S.drag = null;
    try { els.body.releasePointerCapture(d.pointer); } catch (e) { /* already released */ }
    if (!d.moved || d.delta === 0 || cancel) {
      if (d.moved) { say(""); renderBars(S.first, S.last); }
      return;
    }
    var it = d.item, body;
    if (it.kind === "milestone" || d.mode === "move") {
      body = { start: isoOf((it.kind === "milestone" ? it.f : it.s) + d.delta) };
    } else if (d.mode === "finish") {
      body = { finish: isoOf(Math.max(it.s, it.f + d.delta)) };
    } else {
      body = { start: isoOf(Math.min(it.f, it.s + d.delta)), finish: isoOf(it.f) };
    }
    save(it, body, d);
  }
  els.body.addEventListener("pointerup", function (evt) { endDrag(evt, false); });
  els.body.addEventListener("pointercancel", function (evt) { endDrag(evt, true); });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && S.drag) { endDrag(null, true); }
  });

  function reasons(payload) {
    if (!payload || typeof payload !== "object") { return ""; }
    if (payload.detail) { return String(payload.detail); }
    var out = [];
    Object.keys(payload).forEach(function (k) {
      var v = payload[k];
      var text = Array.isArray(v) ? v.join(" ") : (typeof v === "string" ? v : "");
      if (text) { out.push(k === "non_field_errors" ? text : k + ": " + text); }
    });
    return out.join(" ");
  }

  function save(it, body, drag) {
    S.saving = it.id;
    // show the bar where it was dropped while the server works
    var saved = { s: it.s, f: it.f };
    S.drag = { item: it, mode: drag.mode, delta: drag.delta, moved: true, pointer: -1 };
    renderBars(S.first, S.last);
    S.drag = null;
    say("Saving " + it.key + "…");
    fetch(itemApi.replace("__KEY__", encodeURIComponent(it.key)), {
      method: "PATCH",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "If-Match": '"' + it.version + '"',
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (payload) {
        return { status: resp.status, payload: payload };
      });
    }).then(function (res) {
      S.saving = false;
      if (res.status >= 200 && res.status < 300) {
        var p = res.payload || {};
        var start = p.start ? human(dayOf(p.start)) : null, finish = p.finish ? human(dayOf(p.finish)) : null;
        say(it.key + " saved" + (start && finish ? ": " + (it.kind === "milestone" ? finish : start + " – " + finish) : "") +
          ". The schedule was recomputed.", "success");
        return load();
      }
      it.s = saved.s; it.f = saved.f;
      if (res.status === 412) {
        var who = res.payload && res.payload.changed_by && res.payload.changed_by.length ? res.payload.changed_by.join(", ") : "someone else";
        say(it.key + " was changed by " + who + " while you were looking, so your change was not saved. " +
          "The bar now shows the current dates; drag again if you still want to move it.", "warning");
        return load();
      }
      if (res.status === 400) {
        say(it.key + " was not saved: " + (reasons(res.payload) || "the server refused these dates."), "error");
      } else if (res.status === 403) {
        say("Your role in this program cannot reschedule items.", "error");
      } else if (res.status === 404) {
        say(it.key + " no longer exists. The Gantt was reloaded.", "warning");
        return load();
      } else {
        say(it.key + " was not saved (" + (reasons(res.payload) || "error " + res.status) + "). Please try again.", "error");
      }
      render(true);
    }).catch(function () {
      S.saving = false;
      say("The server could not be reached, so " + it.key + " was not saved. Check your connection and try again.", "error");
      render(true);
    });
  }

  load();
})();
