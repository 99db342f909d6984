/* The item lists (Costs inbox, Expense claims, Sales): row selection for the bulk bar. */
(function () {
  "use strict";

  function update() {
    var boxes = document.querySelectorAll(".row-check");
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n++; });
    document.querySelectorAll("[data-bulk]").forEach(function (b) { b.disabled = n === 0; });
    var label = document.querySelector(".bulk-count");
    if (label) label.textContent = n === 0 ? "None selected" : n + " selected";
    var all = document.getElementById("select-all");
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }

  document.addEventListener("change", function (e) {
    if (e.target.id === "select-all") {
      document.querySelectorAll(".row-check").forEach(function (b) { b.checked = e.target.checked; });
    }
    if (e.target.id === "select-all" || e.target.classList.contains("row-check")) update();
  });

  // A row swapped by htmx (an inline Integration change, a queued row polling itself) keeps its tick.
  var ticked = new Set();
  document.addEventListener("htmx:beforeSwap", function (e) {
    var box = e.detail.target && e.detail.target.querySelector && e.detail.target.querySelector(".row-check");
    if (box && box.checked) ticked.add(box.id);
  });
  document.addEventListener("htmx:afterSettle", function () {
    ticked.forEach(function (id) {
      var box = document.getElementById(id);
      if (box) box.checked = true;
    });
    ticked.clear();
    update();
  });
  document.addEventListener("htmx:afterSwap", update);

  document.addEventListener("DOMContentLoaded", update);
})();
