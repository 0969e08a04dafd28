/* sacred ui: helpers shared by the pages (read page data, fetch JSON, chart a metric). */
(function () {
  "use strict";
  var POINTS = 2000;

  function pageData() {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.error || ("HTTP " + r.status)); }
        return body;
      });
    });
  }

  function metricUrl(sid, run, name, range) {
    var q = "name=" + encodeURIComponent(name) + "&points=" + POINTS;
    if (range) { q += "&start=" + encodeURIComponent(range[0]) + "&end=" + encodeURIComponent(range[1]); }
    return "/s/" + sid + "/run/" + encodeURIComponent(run) + "/metric?" + q;
  }

  function describe(parts) {
    var shown = 0, total = 0, inRange = 0, down = false;
    parts.forEach(function (d) { shown += d.steps.length; total += d.total; inRange += d.in_range; down = down || d.downsampled; });
    var text = shown.toLocaleString("en") + " points";
    if (down) { text += " drawn of " + inRange.toLocaleString("en") + " in range (downsampled; zoom in for every point)"; }
    if (inRange !== total) { text += ", " + total.toLocaleString("en") + " in all"; }
    return text;
  }

  /* A chart of metric `name` for `runs` (one curve each) inside `figure`. */
  function MetricChart(figure, sid, runs, labels, name) {
    var self = this;
    this.figure = figure;
    this.sid = sid;
    this.runs = runs;
    this.labels = labels;
    this.name = name;
    this.range = null;
    this.note = figure.querySelector(".chart-note");
    this.plot = new window.SacredPlot(figure.querySelector(".plot"), {
      mode: "line",
      onZoom: function (a, b) { self.range = a === null ? null : [a, b]; self.load(); }
    });
    var log = figure.querySelector(".log-toggle");
    if (log) { log.addEventListener("change", function () { self.plot.setLog(log.checked); }); }
    var reset = figure.querySelector(".reset-zoom");
    if (reset) { reset.addEventListener("click", function () { self.plot.resetZoom(); }); }
  }

  MetricChart.prototype.load = function () {
    var self = this, range = this.range;
    this.figure.dataset.loading = "1";
    return Promise.all(this.runs.map(function (run) {
      return getJSON(metricUrl(self.sid, run, self.name, range)).catch(function (error) {
        return {error: error.message, steps: [], values: [], total: 0, in_range: 0, downsampled: false};
      });
    })).then(function (parts) {
      if (self.range !== range) { return; }  // a newer zoom is on its way
      self.plot.setSeries(parts.map(function (d, i) {
        return {label: self.labels[i], xs: d.steps, ys: d.values};
      }));
      var errors = parts.filter(function (d) { return d.error; }).map(function (d) { return d.error; });
      if (self.note) { self.note.textContent = errors.length ? errors.join("; ") : describe(parts); }
      self.figure.dataset.loading = "0";
      self.figure.dataset.loaded = String((+self.figure.dataset.loaded || 0) + 1);
    });
  };

  window.SacredUI = {pageData: pageData, getJSON: getJSON, MetricChart: MetricChart};
})();
