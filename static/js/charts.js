// Draws the trend charts from the JSON embedded by the page (no inline script: CSP).
// Values, units, point labels and links are all prepared by the server (one formatter);
// this only draws straight segments (no smoothing), leaves gaps where there is no value,
// draws the level boundaries as dashed lines, and opens a point's rows on click.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var byMetric = {};
  (data.charts || []).forEach(function (chart) { byMetric[chart.metric] = chart; });
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var chart = byMetric[canvas.getAttribute("data-chart")];
    if (!chart) { return; }
    var datasets = [{
      type: chart.kind, data: chart.values, borderColor: "#2f5bd3",
      backgroundColor: "rgba(47,91,211,.35)", spanGaps: false, tension: 0, pointRadius: 3,
      pointHoverRadius: 6
    }];
    chart.thresholds.forEach(function (line) {
      datasets.push({
        type: "line", label: line.label, data: chart.values.map(function () { return line.value; }),
        borderColor: "rgba(120,120,120,.6)", borderDash: [4, 4], borderWidth: 1,
        pointRadius: 0, pointHitRadius: 0, fill: false, tension: 0
      });
    });
    new Chart(canvas, {
      type: chart.kind,
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) { return item.datasetIndex === 0; },
            callbacks: { label: function (item) { return chart.tips[item.dataIndex]; } }
          }
        },
        scales: { y: { beginAtZero: true, title: { display: true, text: chart.title } } },
        onClick: function (event, elements) {
          var hit = elements.filter(function (e) { return e.datasetIndex === 0; })[0];
          if (hit && chart.links && chart.links[hit.index]) { window.location.href = chart.links[hit.index]; }
        }
      }
    });
    canvas.setAttribute("data-rendered", "true");
  });
})();
