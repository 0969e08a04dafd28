/* sacred ui, run page: a chart per metric; while the run is live, follow its output and metrics. */
(function () {
  "use strict";
  var ui = window.SacredUI, data = ui.pageData();
  var charts = [];
  document.querySelectorAll("figure.chart[data-metric]").forEach(function (figure) {
    var chart = new ui.MetricChart(figure, data.sid, [data.run], [data.run], figure.dataset.metric);
    charts.push(chart);
    chart.load();
  });

  var live = data.status === "RUNNING" || data.status === "QUEUED";
  if (!live) { return; }
  var out = document.getElementById("run-output");
  var note = document.getElementById("output-live");
  var badge = document.getElementById("run-status");
  var offset = data.output_length;
  var polls = 0;
  note.hidden = false;

  function poll() {
    var url = "/s/" + data.sid + "/run/" + encodeURIComponent(data.run) + "/output?offset=" + offset;
    ui.getJSON(url).then(function (d) {
      if (d.reset) { out.textContent = d.text; } else if (d.text) { out.appendChild(document.createTextNode(d.text)); }
      if (d.text) { out.scrollTop = out.scrollHeight; }
      offset = d.offset;
      polls += 1;
      badge.textContent = d.status;
      badge.className = "badge " + String(d.status).toLowerCase();
      charts.forEach(function (chart) { if (!chart.range) { chart.load(); } });
      if (d.live) { setTimeout(poll, data.poll_seconds * 1000); } else { note.textContent = "the run ended: " + d.status; }
    }).catch(function () { setTimeout(poll, data.poll_seconds * 4000); });
  }
  setTimeout(poll, data.poll_seconds * 1000);
})();
