// Keeps first-delivery panels live (no inline script: the CSP forbids them). A panel with
// data-poll-url is polled; the endpoint answers {"html", "state"}. A changed state redraws the
// panel, or reloads the page when the panel says data-reload-on-change (an empty project page
// turns into its dashboard when the first delivery arrives).
(function () {
  "use strict";
  var INTERVAL_MS = 3000;
  function poll(panel) {
    fetch(panel.getAttribute("data-poll-url"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || data.state === panel.getAttribute("data-state")) { return; }
      if (panel.hasAttribute("data-reload-on-change")) { window.location.reload(); return; }
      panel.innerHTML = data.html;
      panel.setAttribute("data-state", data.state);
      panel.setAttribute("data-updated", "true");
    }).catch(function () { /* offline for a moment: try again next tick */ });
  }
  function start() {
    document.querySelectorAll("[data-poll-url]").forEach(function (panel) {
      window.setInterval(function () { poll(panel); }, INTERVAL_MS);
    });
  }
  // The admin loads its media in <head>, before the panel exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
