// The wall screen (大屏) refreshes itself: every N seconds it fetches the figures as JSON
// and writes them into the elements marked data-field; once an hour it reloads the page
// (charts and map). No framework, no CDN.
(function () {
  "use strict";
  var root = document.querySelector("[data-refresh-url]");
  if (!root) { return; }
  var url = root.getAttribute("data-refresh-url");
  var seconds = parseInt(root.getAttribute("data-refresh-seconds"), 10) || 60;
  var started = Date.now();
  function show(value) {
    if (value === null || value === undefined) { return "–"; }
    return String(value);
  }
  function refresh() {
    if (Date.now() - started > 3600 * 1000) { window.location.reload(); return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        root.querySelectorAll("[data-field]").forEach(function (el) {
          var key = el.getAttribute("data-field");
          if (Object.prototype.hasOwnProperty.call(data, key)) { el.textContent = show(data[key]); }
        });
      })
      .catch(function () { /* keep the last figures; try again next time */ });
  }
  window.setInterval(refresh, seconds * 1000);
}());
