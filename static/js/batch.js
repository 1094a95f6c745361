// The batch page: poll progress while verifying, and save in-place fixes without leaving the page.
(function () {
  "use strict";

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }

  // The badge and the state card come from the server's one wording (collection/_batch_state.html), so after a
  // fix they say exactly what a reload would say.
  function showState(status, label, html) {
    var badge = document.getElementById("batch-status");
    if (badge && status) {
      badge.className = "status status-" + status;
      badge.textContent = label;
    }
    var card = document.getElementById("batch-state");
    if (card && html) { card.outerHTML = html; }
  }

  var card = document.getElementById("progress-card");
  if (card) {
    var url = card.getAttribute("data-progress-url");
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    if (bar && bar.hasAttribute("data-progress")) {  // the figure the page was rendered with (no style attribute: CSP)
      bar.style.width = bar.getAttribute("data-progress") + "%";
    }
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var box = document.getElementById("progress");
          var rows = data.rows_done || data.rows;
          showState(data.status, data.status_label, null);
          if (box) { box.classList.toggle("indeterminate", !!data.indeterminate); }
          if (data.indeterminate) {  // no percentage yet: an animated bar and the rows verified so far
            bar.style.width = "";
            if (box) { box.removeAttribute("aria-valuenow"); box.setAttribute("aria-valuetext", "正在核验"); }
            text.textContent = "正在核验…" + (rows ? "（已处理 " + rows + " 行）" : "");
          } else {
            bar.style.width = data.progress + "%";
            if (box) { box.setAttribute("aria-valuenow", data.progress); box.removeAttribute("aria-valuetext"); }
            text.textContent = data.progress + "% · " + data.status_label + (rows ? " · 已处理 " + rows + " 行" : "");
          }
          if (data.done) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }

  // Each attempt is listed under the fix box (the page's 修正记录), as a reload would list it.
  function noteAttempt(form) {
    var list = form.parentNode.querySelector("ul.attempts");
    if (!list) {
      list = document.createElement("ul");
      list.className = "attempts";
      list.setAttribute("aria-label", "修正记录");
      form.parentNode.appendChild(list);
    }
    var li = document.createElement("li");
    li.textContent = "刚刚 填入“" + form.querySelector("input[name=value]").value + "”";
    list.appendChild(li);
  }

  document.querySelectorAll("form.fix-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var result = form.querySelector(".fix-result");
      var button = form.querySelector("button");
      var item = form.querySelector("input[name=item]").value;
      button.disabled = true;
      result.className = "fix-result muted";
      result.textContent = "正在核验……";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin"
      })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          button.disabled = false;
          if (!data.ok) {
            result.className = "fix-result error";
            result.textContent = data.message;
            return;
          }
          noteAttempt(form);
          var left = data.row.issues.filter(function (i) { return i.item === item; });
          var tr = form.closest("tr");
          if (left.length) {
            result.className = "fix-result error";
            result.textContent = left.map(function (i) { return i.rule_label + "：" + i.message; }).join("；");
          } else {
            result.className = "fix-result ok";
            result.textContent = "已修正";
            if (tr) { tr.classList.add("fixed"); }
          }
          setText("count-valid", data.batch.valid);
          setText("count-invalid", data.batch.invalid);
          showState(data.batch.status, data.batch.status_label, data.state_html);
        })
        .catch(function () {
          button.disabled = false;
          result.className = "fix-result error";
          result.textContent = "保存失败，请刷新页面后重试。";
        });
    });
  });
})();
