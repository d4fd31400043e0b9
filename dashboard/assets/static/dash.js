// cadrebot dashboard: sorting and filtering inside the page, and, in the
// Telegram Mini App, the transport: Telegram's signed launch data goes with
// every request in a header, and pages are swapped in place. Plain
// JavaScript, no library; the pages work without it, less conveniently.
(function () {
  "use strict";

  var initData = "";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // --- Tables ---------------------------------------------------------

  // Clicking a heading sorts by its column: numbers by value, text by the
  // page's collation; cells without a value (a rate over nothing) stay
  // last either way.
  function sortable(root) {
    each(root.querySelectorAll("table.sortable"), function (table) {
      var heads = table.tHead.rows[0].cells;
      each(heads, function (th, col) {
        var b = th.querySelector("button[data-sort]");
        if (!b) return;
        b.addEventListener("click", function () {
          var cur = th.getAttribute("aria-sort");
          var dir = cur === "descending" ? "ascending" : cur === "ascending" ? "descending"
            : th.classList.contains("num") ? "descending" : "ascending";
          each(heads, function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", dir);
          sortBy(table, col, dir === "ascending" ? 1 : -1);
        });
      });
    });
  }

  function sortBy(table, col, sign) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var coll = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute("data-v") || "", y = b.cells[col].getAttribute("data-v") || "";
      if (x === "" || y === "") return (x === "" ? 1 : 0) - (y === "" ? 1 : 0);
      var nx = Number(x), ny = Number(y);
      var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : coll.compare(x, y);
      return c * sign;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    renumber(table);
  }

  function renumber(table) {
    var n = 0;
    each(table.tBodies[0].rows, function (r) {
      var c = r.querySelector("td.rank");
      if (c && !r.hidden) c.textContent = String(++n);
    });
  }

  // The league table filters by name and by "has overdue problems".
  function leagueFilter(root) {
    var table = root.querySelector("#league");
    var input = root.querySelector("#league-filter");
    var over = root.querySelector("#league-overdue");
    var count = root.querySelector("#league-count");
    if (!table || !input || !over) return;
    function apply() {
      var q = input.value.trim(), n = 0, rows = table.tBodies[0].rows;
      each(rows, function (r) {
        var show = (!q || (r.getAttribute("data-name") || "").indexOf(q) >= 0) && (!over.checked || r.hasAttribute("data-overdue"));
        r.hidden = !show;
        if (show) n++;
      });
      renumber(table);
      if (count) count.textContent = n + " / " + rows.length;
    }
    input.addEventListener("input", apply);
    over.addEventListener("change", apply);
    apply();
  }

  // The problem filters apply as soon as a choice changes.
  function problemFilters(root) {
    var form = root.querySelector("#problem-filters");
    if (!form) return;
    each(form.querySelectorAll("select, input[type=checkbox]"), function (el) {
      el.addEventListener("change", function () {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }

  // --- Mini App -------------------------------------------------------

  // Telegram passes the launch data in the URL's fragment; it is kept for
  // the session so a reload inside the app still has it.
  function launchData() {
    var h = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
    try {
      if (h) sessionStorage.setItem("cadrebotInitData", h);
      else h = sessionStorage.getItem("cadrebotInitData");
    } catch (e) { /* storage off: the fragment is all there is */ }
    return h || "";
  }

  // postEvent talks to the Telegram client the way its own script does.
  function postEvent(type, data) {
    var s = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) { window.TelegramWebviewProxy.postEvent(type, s); return true; }
      if (window.external && "notify" in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
        return true;
      }
      if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "https://web.telegram.org");
        return true;
      }
    } catch (e) { /* not in Telegram */ }
    return false;
  }

  function headers() { return { "X-Telegram-Init-Data": initData }; }

  function load(url) {
    var page = document.getElementById("page");
    page.setAttribute("aria-busy", "true");
    return fetch(url, { headers: headers(), credentials: "omit" }).then(function (resp) {
      return resp.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var next = doc.getElementById("page");
      page.innerHTML = next ? next.innerHTML : "";
      page.setAttribute("data-tab", next ? next.getAttribute("data-tab") || "" : "");
      if (doc.title) document.title = doc.title;
      page.removeAttribute("aria-busy");
      window.scrollTo(0, 0);
      wire(page);
    }).catch(function () {
      page.removeAttribute("aria-busy");
    });
  }

  // Photos come through the same checks as pages, so they are fetched
  // with the launch data too.
  function images(root) {
    each(root.querySelectorAll("img[data-src]"), function (img) {
      fetch(img.getAttribute("data-src"), { headers: headers(), credentials: "omit" }).then(function (r) {
        return r.ok ? r.blob() : null;
      }).then(function (b) { if (b) img.src = URL.createObjectURL(b); });
    });
  }

  // A download opens in the browser through a one-time link, which needs
  // no header.
  function download(url) {
    fetch(url, { method: "POST", headers: headers(), credentials: "omit" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (!j || !j.url) return;
      if (!postEvent("web_app_open_link", { url: j.url })) location.href = j.url;
    });
  }

  function miniApp() {
    initData = launchData();
    var shell = document.getElementById("app-shell");
    if (!initData) {
      var out = document.getElementById("app-outside");
      if (out) out.hidden = false;
      return;
    }
    document.addEventListener("click", function (e) {
      var a = e.target.closest ? e.target.closest("a") : null;
      if (!a || e.defaultPrevented) return;
      var href = a.getAttribute("href") || "";
      if (a.classList.contains("export") && a.getAttribute("data-download")) {
        e.preventDefault();
        download(a.getAttribute("data-download"));
      } else if (href.indexOf("/dash/") === 0 && !a.getAttribute("target")) {
        e.preventDefault();
        load(href);
      }
    });
    document.addEventListener("submit", function (e) {
      var f = e.target;
      if ((f.getAttribute("method") || "get").toLowerCase() !== "get") return;
      e.preventDefault();
      var q = new URLSearchParams(new FormData(f)).toString();
      load((f.getAttribute("action") || location.pathname) + "?" + q);
    });
    postEvent("web_app_ready");
    postEvent("web_app_expand");
    if (shell) load(shell.getAttribute("data-start") + location.search);
  }

  // --- Start ----------------------------------------------------------

  function wire(root) {
    sortable(root);
    leagueFilter(root);
    problemFilters(root);
    if (initData) images(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.hasAttribute("data-miniapp")) miniApp();
    wire(document);
  });
})();
