// Draws every <canvas data-chart='{"type","labels","datasets","stacked"}'> with Chart.js, on
// page load and inside whatever htmx swaps in. Colours come from one palette.
(function () {
  const PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    const spec = JSON.parse(canvas.dataset.chart);
    const round = spec.type === "doughnut" || spec.type === "pie";
    const datasets = spec.datasets.map(function (set, i) {
      const colour = set.color || PALETTE[i % PALETTE.length];
      return Object.assign({
        borderColor: round ? "#fff" : colour,
        backgroundColor: round ? spec.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; }) : colour + (spec.type === "line" ? "33" : "cc"),
        tension: 0.25, pointRadius: spec.type === "line" ? 1.5 : 0, fill: spec.type === "line" && spec.datasets.length === 1,
      }, set);
    });
    const scales = round ? {} : { x: { stacked: !!spec.stacked }, y: { stacked: !!spec.stacked, beginAtZero: true } };
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: spec.type, data: { labels: spec.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
                 plugins: { legend: { display: round || datasets.length > 1 } } },
    });
  }

  function drawAll(root) { (root || document).querySelectorAll("canvas[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
