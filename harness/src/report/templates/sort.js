document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th[data-col]").forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.dataset.col);
      var descending = th.dataset.order !== "desc";
      table.querySelectorAll("th[data-col]").forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = descending ? "desc" : "asc";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        // Number(), not parseFloat(): a date or a label that starts with digits is text.
        var nx = Number(x), ny = Number(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return descending ? -order : order;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
// `#sort=N` (or `#sort=N-asc`) in the address sorts every leaderboard by column N on load,
// so that a sorted view can be linked.
(function () {
  var m = /sort=(\d+)(-asc)?/.exec(window.location.hash);
  if (!m) return;
  document.querySelectorAll("table.leaderboard").forEach(function (table) {
    var th = table.querySelector('th[data-col="' + m[1] + '"]');
    if (!th) return;
    if (m[2]) th.dataset.order = "desc";
    th.click();
  });
})();
