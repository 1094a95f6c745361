// 下载核对表: a large township's file takes seconds to build; say so until the download starts (the response sets
// the cookie patch_ready to the token this form sent), then let the person download again.
(function () {
  "use strict";
  var form = document.getElementById("patch-form");
  if (!form) { return; }
  var busy = document.getElementById("patch-busy");
  var text = document.getElementById("patch-busy-text");
  var button = document.getElementById("patch-submit");

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? found.slice(name.length + 1) : "";
  }

  form.addEventListener("submit", function () {
    var token = String(Date.now());
    var started = Date.now();
    document.getElementById("patch-ready").value = token;
    busy.hidden = false;
    button.disabled = true;
    var poll = window.setInterval(function () {
      var seconds = Math.round((Date.now() - started) / 1000);
      if (cookie("patch_ready") === token) {
        window.clearInterval(poll);
        busy.hidden = true;
        button.disabled = false;
        return;
      }
      text.textContent = "正在生成核对表……已用 " + seconds + " 秒。文件生成后浏览器自动开始下载，请勿重复点击。";
      if (seconds > 180) { window.clearInterval(poll); button.disabled = false; }
    }, 500);
  });
})();
