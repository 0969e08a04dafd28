/* sacred ui: line and scatter charts on a canvas (our own code, no library, nothing fetched).
 *
 * new SacredPlot(container, {mode: "line"|"scatter", categories: [...]|null, onZoom: fn(x0, x1)|null})
 *   .setSeries([{label, xs, ys}])   draw these series (xs ascending for lines)
 *   .setLog(bool)                    logarithmic y axis (non-positive values are left out)
 *   .resetZoom()                     back to the whole x range (calls onZoom(null, null))
 * Drag across the chart to zoom into an x range, double-click to reset; hovering shows
 * the nearest point of every series. The container's data-points attribute holds the
 * number of points drawn (data-series-points: per series), for tests and curious users.
 * Values are only ever written with textContent: nothing from a run becomes markup.
 */
(function () {
  "use strict";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#17becf", "#7f7f7f", "#bcbd22"];
  var PAD = {left: 64, right: 16, top: 12, bottom: 34};

  function niceStep(span, count) {
    var raw = span / Math.max(1, count);
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var unit = raw / power;
    var nice = unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10;
    return nice * power;
  }

  function ticks(lo, hi, count) {
    if (!(hi > lo)) { return [lo]; }
    var step = niceStep(hi - lo, count);
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && out.length < 50; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  function format(v) {
    if (v === 0) { return "0"; }
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) { return v.toExponential(2); }
    return String(+v.toPrecision(6));
  }

  function lowerBound(xs, x) {
    var lo = 0, hi = xs.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (xs[mid] < x) { lo = mid + 1; } else { hi = mid; } }
    return lo;
  }

  function SacredPlot(container, options) {
    options = options || {};
    this.container = container;
    this.mode = options.mode || "line";
    this.categories = options.categories || null;
    this.onZoom = options.onZoom || null;
    this.xLabel = options.xLabel || (this.mode === "line" ? "step" : "");
    this.series = [];
    this.log = false;
    this.zoom = null;          // [x0, x1] or null
    this.drag = null;
    this.hover = null;
    container.classList.add("sacred-plot");
    this.canvas = document.createElement("canvas");
    this.canvas.className = "plot-canvas";
    this.tip = document.createElement("div");
    this.tip.className = "plot-tip";
    this.tip.hidden = true;
    this.legend = document.createElement("div");
    this.legend.className = "plot-legend";
    container.appendChild(this.canvas);
    container.appendChild(this.tip);
    container.appendChild(this.legend);
    var self = this;
    this.canvas.addEventListener("mousedown", function (e) { self._down(e); });
    window.addEventListener("mouseup", function (e) { self._up(e); });
    this.canvas.addEventListener("mousemove", function (e) { self._move(e); });
    this.canvas.addEventListener("mouseleave", function () { self.hover = null; self.tip.hidden = true; self.draw(); });
    this.canvas.addEventListener("dblclick", function () { self.resetZoom(); });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { self.draw(); }).observe(container);
    } else {
      window.addEventListener("resize", function () { self.draw(); });
    }
  }

  SacredPlot.prototype.setSeries = function (series) {
    this.series = series.map(function (s, i) {
      return {label: String(s.label), xs: s.xs, ys: s.ys, color: COLORS[i % COLORS.length]};
    });
    var counts = this.series.map(function (s) { return s.xs.length; });
    this.container.dataset.points = String(counts.reduce(function (a, b) { return a + b; }, 0));
    this.container.dataset.seriesPoints = counts.join(",");
    this.container.dataset.series = String(this.series.length);
    this._legend();
    this.draw();
  };

  SacredPlot.prototype.setLog = function (on) {
    this.log = !!on;
    this.container.dataset.log = this.log ? "1" : "0";
    this.draw();
  };

  SacredPlot.prototype.resetZoom = function () {
    if (this.zoom === null) { return; }
    this.zoom = null;
    this.container.dataset.zoom = "";
    if (this.onZoom) { this.onZoom(null, null); } else { this.draw(); }
  };

  SacredPlot.prototype._legend = function () {
    while (this.legend.firstChild) { this.legend.removeChild(this.legend.firstChild); }
    if (this.series.length < 2) { return; }
    this.series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var swatch = document.createElement("i");
      swatch.style.background = s.color;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.label));
      this.legend.appendChild(item);
    }, this);
  };

  SacredPlot.prototype._extent = function () {
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, log = this.log, zoom = this.zoom;
    this.series.forEach(function (s) {
      for (var i = 0; i < s.xs.length; i++) {
        var x = s.xs[i], y = s.ys[i];
        if (log && !(y > 0)) { continue; }
        if (x < x0) { x0 = x; }
        if (x > x1) { x1 = x; }
        if (zoom && (x < zoom[0] || x > zoom[1])) { continue; }
        var v = log ? Math.log10(y) : y;
        if (v < y0) { y0 = v; }
        if (v > y1) { y1 = v; }
      }
    });
    if (zoom) { x0 = zoom[0]; x1 = zoom[1]; }
    if (!isFinite(x0)) { return null; }
    if (!isFinite(y0)) { y0 = 0; y1 = 1; }
    if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
    if (this.categories) {
      x0 = -0.5; x1 = this.categories.length - 0.5;
    } else if (this.mode === "scatter") {  // room for the dots at the edges
      var xpad = (x1 - x0) * 0.05; x0 -= xpad; x1 += xpad;
    }
    if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
    var pad = (y1 - y0) * 0.05;
    return {x0: x0, x1: x1, y0: y0 - pad, y1: y1 + pad};
  };

  SacredPlot.prototype._size = function () {
    var width = Math.max(200, this.container.clientWidth || 600);
    var height = this.mode === "scatter" ? 240 : 260;
    var ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.width = width + "px";
      this.canvas.style.height = height + "px";
    }
    return {width: width, height: height, ratio: ratio};
  };

  SacredPlot.prototype._scales = function (size, ext) {
    var w = size.width - PAD.left - PAD.right, h = size.height - PAD.top - PAD.bottom;
    return {
      x: function (x) { return PAD.left + (x - ext.x0) / (ext.x1 - ext.x0) * w; },
      y: function (v) { return PAD.top + (1 - (v - ext.y0) / (ext.y1 - ext.y0)) * h; },
      invX: function (px) { return ext.x0 + (px - PAD.left) / w * (ext.x1 - ext.x0); },
      w: w, h: h
    };
  };

  SacredPlot.prototype.draw = function () {
    var size = this._size();
    var ctx = this.canvas.getContext("2d");
    ctx.setTransform(size.ratio, 0, 0, size.ratio, 0, 0);
    ctx.clearRect(0, 0, size.width, size.height);
    var ext = this._extent();
    this.ext = ext;
    if (!ext) {
      ctx.fillStyle = "#888";
      ctx.font = "13px sans-serif";
      ctx.fillText("no points to draw", PAD.left + 10, PAD.top + 30);
      return;
    }
    var sc = this._scales(size, ext);
    this.sc = sc;
    this._axes(ctx, size, ext, sc);
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, sc.w, sc.h);
    ctx.clip();
    var log = this.log, mode = this.mode;
    this.series.forEach(function (s) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 1.4;
      var first = 0, last = s.xs.length;
      if (mode === "line" && ext) {
        first = Math.max(0, lowerBound(s.xs, ext.x0) - 1);
        last = Math.min(s.xs.length, lowerBound(s.xs, ext.x1) + 1);
      }
      ctx.beginPath();
      var pen = false;
      for (var i = first; i < last; i++) {
        var y = s.ys[i];
        if (log && !(y > 0)) { pen = false; continue; }
        var px = sc.x(s.xs[i]), py = sc.y(log ? Math.log10(y) : y);
        if (mode === "scatter") {
          ctx.moveTo(px + 3.5, py);
          ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
        } else if (pen) {
          ctx.lineTo(px, py);
        } else {
          ctx.moveTo(px, py);
          pen = true;
        }
      }
      if (mode === "scatter") { ctx.globalAlpha = 0.75; ctx.fill(); ctx.globalAlpha = 1; } else { ctx.stroke(); }
    });
    if (this.hover) { this._drawHover(ctx, sc); }
    if (this.drag && this.drag.x1 !== undefined) {
      ctx.fillStyle = "rgba(31,119,180,0.15)";
      var a = Math.min(this.drag.x0, this.drag.x1), b = Math.max(this.drag.x0, this.drag.x1);
      ctx.fillRect(a, PAD.top, b - a, sc.h);
    }
    ctx.restore();
  };

  SacredPlot.prototype._axes = function (ctx, size, ext, sc) {
    ctx.strokeStyle = "#ccc";
    ctx.fillStyle = "#555";
    ctx.font = "11px sans-serif";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    var xt = this.categories ? this.categories.map(function (_, i) { return i; })
                             : ticks(ext.x0, ext.x1, Math.max(2, Math.floor(sc.w / 90)));
    var categories = this.categories;
    xt.forEach(function (t) {
      var px = sc.x(t);
      ctx.beginPath(); ctx.moveTo(px, PAD.top); ctx.lineTo(px, PAD.top + sc.h); ctx.stroke();
      ctx.fillText(categories ? String(categories[t]).slice(0, 14) : format(t), px, PAD.top + sc.h + 4);
    });
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    var log = this.log;
    var yt = log ? ticks(Math.floor(ext.y0), Math.ceil(ext.y1), 6).filter(function (t) { return Number.isInteger(t) || ext.y1 - ext.y0 < 2; })
                 : ticks(ext.y0, ext.y1, Math.max(2, Math.floor(sc.h / 40)));
    yt.forEach(function (t) {
      if (t < ext.y0 || t > ext.y1) { return; }
      var py = sc.y(t);
      ctx.beginPath(); ctx.moveTo(PAD.left, py); ctx.lineTo(PAD.left + sc.w, py); ctx.stroke();
      ctx.fillText(log ? format(Math.pow(10, t)) : format(t), PAD.left - 6, py);
    });
    ctx.strokeStyle = "#888";
    ctx.strokeRect(PAD.left, PAD.top, sc.w, sc.h);
    if (this.xLabel) {
      ctx.textAlign = "right";
      ctx.textBaseline = "bottom";
      ctx.fillText(this.xLabel, PAD.left + sc.w, size.height - 1);
    }
  };

  SacredPlot.prototype._nearest = function (px, py) {
    var sc = this.sc, log = this.log, mode = this.mode, found = [];
    if (!sc) { return found; }
    var x = sc.invX(px);
    this.series.forEach(function (s) {
      var best = -1;
      if (mode === "line") {
        var i = lowerBound(s.xs, x);
        var candidates = [i - 1, i].filter(function (k) { return k >= 0 && k < s.xs.length; });
        candidates.forEach(function (k) {
          if (best < 0 || Math.abs(s.xs[k] - x) < Math.abs(s.xs[best] - x)) { best = k; }
        });
      } else {
        var bestD = Infinity;
        for (var k = 0; k < s.xs.length; k++) {
          var yk = s.ys[k];
          if (log && !(yk > 0)) { continue; }
          var dx = sc.x(s.xs[k]) - px, dy = sc.y(log ? Math.log10(yk) : yk) - py, d = dx * dx + dy * dy;
          if (d < bestD) { bestD = d; best = k; }
        }
        if (bestD > 400) { best = -1; }
      }
      if (best >= 0 && !(log && !(s.ys[best] > 0))) { found.push({s: s, i: best}); }
    });
    return found;
  };

  SacredPlot.prototype._drawHover = function (ctx, sc) {
    var log = this.log;
    this.hover.forEach(function (h) {
      var y = h.s.ys[h.i];
      ctx.fillStyle = h.s.color;
      ctx.beginPath();
      ctx.arc(sc.x(h.s.xs[h.i]), sc.y(log ? Math.log10(y) : y), 4, 0, 2 * Math.PI);
      ctx.fill();
    });
  };

  SacredPlot.prototype._pos = function (e) {
    var r = this.canvas.getBoundingClientRect();
    return {x: e.clientX - r.left, y: e.clientY - r.top};
  };

  SacredPlot.prototype._down = function (e) {
    var p = this._pos(e);
    if (this.mode !== "line" || p.x < PAD.left) { return; }
    this.drag = {x0: p.x};
    e.preventDefault();
  };

  SacredPlot.prototype._up = function (e) {
    if (!this.drag) { return; }
    var drag = this.drag;
    this.drag = null;
    if (drag.x1 === undefined || Math.abs(drag.x1 - drag.x0) < 6 || !this.sc) { this.draw(); return; }
    var a = this.sc.invX(Math.min(drag.x0, drag.x1)), b = this.sc.invX(Math.max(drag.x0, drag.x1));
    this.zoomTo(a, b);
  };

  /* Show only steps in [a, b]; onZoom may fetch those points at full resolution. */
  SacredPlot.prototype.zoomTo = function (a, b) {
    this.zoom = [a, b];
    this.container.dataset.zoom = a + "," + b;
    if (this.onZoom) { this.onZoom(a, b); } else { this.draw(); }
  };

  SacredPlot.prototype._move = function (e) {
    var p = this._pos(e);
    if (this.drag) { this.drag.x1 = Math.max(PAD.left, p.x); this.draw(); return; }
    this.hover = this._nearest(p.x, p.y);
    var tip = this.tip;
    while (tip.firstChild) { tip.removeChild(tip.firstChild); }
    if (!this.hover.length) { tip.hidden = true; this.draw(); return; }
    var categories = this.categories;
    this.hover.forEach(function (h) {
      var line = document.createElement("div");
      var x = h.s.xs[h.i];
      var xText = categories ? String(categories[x]) : format(x);
      line.textContent = (this.series.length > 1 ? h.s.label + ": " : "") + this.xLabel + " " + xText +
        " → " + format(h.s.ys[h.i]);
      line.style.color = h.s.color;
      tip.appendChild(line);
    }, this);
    tip.hidden = false;
    tip.style.left = Math.min(p.x + 14, this.canvas.clientWidth - 180) + "px";
    tip.style.top = (p.y + 10) + "px";
    this.draw();
  };

  window.SacredPlot = SacredPlot;
})();
