// Shanzhi pages work without this file; it only keeps a double tap from sending a form
// twice (a second "show full ID" would write a second audit entry).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type=submit]");
    // Disabled after this turn, so the pressed button's own name and value still go out.
    window.setTimeout(function () {
      buttons.forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  // Coming back with the browser's back button shows the page as it was left.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
    });
  });
})();
