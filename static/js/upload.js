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
    if (window.XMLHttpRequest && window.FormData) {
      e.preventDefault();
      sendWithProgress(input.files[0].size);
    } else {
      document.getElementById("upload-busy").hidden = false;
    }
  });

  // The upload's byte progress, then "正在核验" until the server answers with the batch page (a large file's
  // verification goes on in the background and its page shows that progress).
  function sendWithProgress(total) {
    var box = document.getElementById("upload-progress");
    var barBox = document.getElementById("upload-bar-box");
    var bar = document.getElementById("upload-bar");
    var text = document.getElementById("upload-progress-text");
    var xhr = new XMLHttpRequest();
    box.hidden = false;
    xhr.upload.addEventListener("progress", function (ev) {
      var size = ev.lengthComputable ? ev.total : total;
      var pct = size ? Math.min(100, Math.round(ev.loaded * 100 / size)) : 0;
      bar.classList.remove("empty");
      bar.style.width = pct + "%";
      barBox.setAttribute("aria-valuenow", pct);
      text.textContent = "正在上传：" + pct + "%（" + Math.round(ev.loaded / 1024) + " / " + Math.round(size / 1024) + " KB）";
    });
    xhr.upload.addEventListener("load", function () {
      barBox.classList.add("indeterminate");
      bar.style.width = "";
      barBox.removeAttribute("aria-valuenow");
      barBox.setAttribute("aria-valuetext", "正在核验");
      text.textContent = "上传完成，正在核验……（文件较大时转入后台，稍后自动打开批次页面）";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 200 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);  // the batch page (or the group's list) the upload redirected to
        return;
      }
      document.open();  // the form again with its Chinese errors, exactly as a plain post would show it
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      box.hidden = true;
      document.getElementById("upload-submit").disabled = false;
      chosen.textContent = "上传中断，请检查网络后重试。";
      chosen.classList.add("error");
    });
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.send(new FormData(form));
  }
})();
