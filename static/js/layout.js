// Every page: the top bar's 菜单 button opens and closes the navigation where it does not fit (phones, narrow
// windows). Escape closes it. A static file: the Content-Security-Policy allows no inline script.
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
