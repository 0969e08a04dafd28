/* sacred ui, sweep page: the objective against each swept parameter (one scatter chart each). */
(function () {
  "use strict";
  var ui = window.SacredUI, data = ui.pageData();
  var select = document.getElementById("objective-select");
  if (select) { select.addEventListener("change", function () { select.form.submit(); }); }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  document.querySelectorAll("figure.chart[data-param]").forEach(function (figure) {
    var param = figure.dataset.param;
    var points = data.points.filter(function (p) { return isNumber(p.objective) && p.params[param] !== undefined; });
    var numeric = points.every(function (p) { return isNumber(p.params[param]); });
    var categories = null, xs;
    if (numeric) {
      points.sort(function (a, b) { return a.params[param] - b.params[param]; });
      xs = points.map(function (p) { return p.params[param]; });
    } else {
      var labels = points.map(function (p) { return JSON.stringify(p.params[param]); });
      categories = Array.from(new Set(labels)).sort();
      xs = labels.map(function (l) { return categories.indexOf(l); });
    }
    var plot = new window.SacredPlot(figure.querySelector(".plot"), {mode: "scatter", categories: categories, xLabel: param});
    plot.setSeries([{label: data.objective, xs: xs, ys: points.map(function (p) { return p.objective; })}]);
    var note = figure.querySelector(".chart-note");
    if (note) { note.textContent = points.length + " runs with a value"; }
    var log = figure.querySelector(".log-toggle");
    if (log) { log.addEventListener("change", function () { plot.setLog(log.checked); }); }
  });
})();
