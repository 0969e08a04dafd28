/* sacred ui, runs table: while runs on the page are live, refresh its rows (rendered and escaped by
 * the server); otherwise look for news now and then. Ticked runs stay ticked. */
(function () {
  "use strict";
  var table = document.getElementById("runs-table");
  if (!table) { return; }
  var body = document.getElementById("runs-body");
  var count = document.getElementById("run-count");
  var note = document.getElementById("live-note");
  var seconds = parseFloat(table.dataset.poll) || 2;

  function schedule(live) {
    note.hidden = !live;
    setTimeout(refresh, (live ? seconds : seconds * 10) * 1000);
  }

  function refresh() {
    var ticked = {};
    body.querySelectorAll("input[name=id]:checked").forEach(function (box) { ticked[box.value] = true; });
    fetch(table.dataset.rowsUrl, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.json();
    }).then(function (d) {
      if (d.error) { schedule(false); return; }
      body.innerHTML = d.html;  // server-rendered, every value escaped by the template
      body.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = !!ticked[box.value]; });
      count.textContent = d.total ? (d.first + "–" + (d.first + d.shown - 1) + " of " + d.total) : "no runs";
      table.dataset.live = d.live ? "1" : "0";
      table.dataset.refreshed = String((+table.dataset.refreshed || 0) + 1);
      schedule(d.live);
    }).catch(function () { schedule(false); });
  }
  schedule(table.dataset.live === "1");
})();
