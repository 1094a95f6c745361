// The unplaced-records page: "全选本页" ticks or clears every record checkbox of the page.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll('#unplaced input[name="records"]');
    for (var i = 0; i < boxes.length; i += 1) { boxes[i].checked = all.checked; }
  });
}());
