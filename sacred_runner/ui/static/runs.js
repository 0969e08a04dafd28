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

  var pageOf = document.getElementById("page-of");
  var page = (pageOf.textContent.match(/page (\d+)/) || [0, 1])[1];

  /* The total comes after the rows: fill it in, with the last page's link. */
  function showTotal(total, pages, lastUrl, first, shown) {
    count.textContent = total ? (first + "–" + (first + shown - 1) + " of " + total) : "no runs";
    pageOf.textContent = "page " + page + " / " + pages;
    var last = document.getElementById("page-last");
    if (+page < pages && !last) {
      last = document.createElement("a");
      last.id = "page-last";
      last.textContent = "last »";
      pageOf.parentNode.insertBefore(last, document.getElementById("compare-button"));
      pageOf.parentNode.insertBefore(document.createTextNode(" "), last.nextSibling);
    }
    if (last) { last.href = lastUrl; }
    table.dataset.total = String(total);
  }

  if (count.dataset.countUrl) {
    var shownRows = body.querySelectorAll("tr.run-row").length;
    var firstRow = +(count.textContent.match(/^(\d+)/) || [0, 1])[1];
    fetch(count.dataset.countUrl, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.json();
    }).then(function (d) {
      if (d.total !== undefined) { showTotal(d.total, d.pages, d.last_url, firstRow, shownRows); }
    });
  }

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
      showTotal(d.total, d.pages, d.last_url, d.first, d.shown);
      table.dataset.live = d.live ? "1" : "0";
      table.dataset.refreshed = String((+table.dataset.refreshed || 0) + 1);
      schedule(d.live);
    }).catch(function () { schedule(false); });
  }
  schedule(table.dataset.live === "1");
})();
