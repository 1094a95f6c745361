// 数据上报: drag and drop onto the drop zone fills the file input; the form posts normally (no build, no CDN).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var zone = document.getElementById("dropzone");
  var input = zone.querySelector("input[type=file]");
  var chosen = document.getElementById("chosen-file");

  function showChosen() {
    var file = input.files && input.files[0];
    chosen.textContent = file ? "已选择：" + file.name + "（" + Math.max(1, Math.round(file.size / 1024)) + " KB）" : "未选择文件";
    chosen.classList.remove("error");
    zone.classList.toggle("has-file", !!file);
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      showChosen();
    }
  });
  zone.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  input.addEventListener("change", showChosen);

  form.addEventListener("submit", function (e) {
    if (!input.files || !input.files.length) {
      e.preventDefault();
      chosen.textContent = "请先选择或拖入要上报的文件。";
      chosen.classList.add("error");
      return;
    }
    document.getElementById("upload-submit").disabled = true;
    document.getElementById("upload-busy").hidden = false;
  });
})();
