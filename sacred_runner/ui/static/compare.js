/* sacred ui, compare page: one metric of several runs overlaid. */
(function () {
  "use strict";
  var ui = window.SacredUI, data = ui.pageData();
  var figure = document.getElementById("compare-chart");
  if (!figure) { return; }
  new ui.MetricChart(figure, data.sid, data.runs, data.labels, data.metric).load();
  var select = document.getElementById("metric-select");
  if (select) { select.addEventListener("change", function () { select.form.submit(); }); }
})();
