// Draws the weekly trend charts from the JSON embedded by the page (no inline script: CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
    var key = canvas.getAttribute("data-series");
    new Chart(canvas, {
      type: canvas.getAttribute("data-kind") || "line",
      data: {
        labels: data.labels,
        datasets: [{ data: data[key], borderColor: "#2f5bd3", backgroundColor: "rgba(47,91,211,.35)",
                     spanGaps: true, tension: 0.2, pointRadius: 2 }]
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true } }
      }
    });
    canvas.setAttribute("data-rendered", "true");
  });
})();
