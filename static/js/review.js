// Review queue: the header checkbox ticks every batch of the page.
(function () {
  var all = document.getElementById("check-all");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll('#bulk-form input[name="batch"]').forEach(function (box) { box.checked = all.checked; });
  });
})();
