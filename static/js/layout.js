// Every page: the top bar's 菜单 button opens and closes the navigation where it does not fit (phones, narrow
// windows); Escape closes it. A form with data-confirm="…" asks that question before it is sent (the former
// onsubmit="return confirm(…)"). Static files: the Content-Security-Policy allows no inline script or handler.
(function () {
  "use strict";
  var bar = document.getElementById("topbar");
  var button = document.getElementById("menu-toggle");
  if (!bar || !button) { return; }
  function setOpen(open) {
    bar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () { setOpen(!bar.classList.contains("open")); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && bar.classList.contains("open")) { setOpen(false); button.focus(); }
  });
})();

(function () {
  "use strict";
  // Capturing, so the question comes before any script of the form itself, and "取消" stops those too.
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
})();
