// 12345 hotline agent console: search as you type, keyboard-first, copy the 答复口径 script.
(function () {
  "use strict";
  var box = document.getElementById("agent-q");
  var list = document.getElementById("agent-results");
  var status = document.getElementById("agent-status");
  var answer = document.getElementById("agent-answer");
  var filters = ["department", "validity", "theme"].map(function (n) {
    return document.getElementById("agent-" + n);
  });
  var form = document.getElementById("agent-form");
  if (form) form.addEventListener("submit", function (e) { e.preventDefault(); });  // no inline handlers (CSP)
  var timer = null;
  var seq = 0;  // only the latest request may paint, whatever order replies arrive in

  function say(text, isError) {
    status.textContent = text;
    status.style.color = isError ? "#b91c1c" : "";
  }

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".agent-result")); }

  function selected() { return list.querySelector('.agent-result[aria-selected="true"]'); }

  function select(index) {
    var all = items();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    all[index].scrollIntoView({ block: "nearest" });
  }

  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    box.focus();
    return ok;
  }

  function copy(item) {
    if (!item) return;
    var text = item.querySelector(".agent-script").textContent;
    var done = function () { say("已复制"); };
    var fail = function () { if (fallbackCopy(text)) done(); else say("复制失败，请手动选择文字复制", true); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fail);
    } else {
      fail();
    }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // The kind of reply, said first: an agent reads an answer out, but only offers related clauses.
  var KINDS = {
    faq: ["kind-answer", "答复（常见问题）"], passage: ["kind-answer", "答复"],
    related: ["kind-related", "相关条款，仅供参考"], none: ["kind-none", "无可靠答案，建议转办"]
  };

  function suggest(questions) {
    var box = el("div", "agent-suggest");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "可以换用的问法");
    box.appendChild(el("span", null, "可以换个问法："));
    questions.forEach(function (q) {
      var chip = el("button", "agent-chip", q);
      chip.type = "button";
      chip.addEventListener("click", function () { box.remove(); setQuery(q); });
      box.appendChild(chip);
    });
    return box;
  }

  function render(data) {
    list.textContent = "";
    var pct = Math.round((data.confidence || 0) * 100);
    var kind = KINDS[data.answer_type] || KINDS.none;
    answer.textContent = "";
    answer.appendChild(el("span", "agent-kind " + kind[0], kind[1]));
    answer.appendChild(document.createTextNode(" " + data.message + "　置信度 " + pct + "%"));
    var fixes = data.corrections || [];
    if (fixes.length) {  // the agent reads the caller the terms actually searched
      answer.appendChild(el("div", "agent-corrected", "已按" + fixes.map(function (c) {
        return "“" + c.known + "”";
      }).join("、") + "查询（输入为" + fixes.map(function (c) {
        return "“" + c.word + "”";
      }).join("、") + "）"));
    }
    if (data.suggestions && data.suggestions.length) answer.appendChild(suggest(data.suggestions));
    var answered = data.answer_type === "faq" || data.answer_type === "passage";
    data.hits.forEach(function (hit, i) {
      if (answered && i === 1) list.appendChild(el("h3", "agent-others", "其他相关条款"));
      var item = el("div", "agent-result");
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.passageId = hit.passage_id;
      var h = el("h3");
      var a = el("a", null, hit.citation);
      a.href = hit.url;
      a.target = "_blank";
      h.appendChild(a);
      item.appendChild(h);
      var body = el("div", "hit");
      body.innerHTML = hit.html;  // escaped on the server; only <mark> is markup
      item.appendChild(body);
      item.appendChild(el("div", "agent-script", hit.script));
      var btn = el("button", "agent-copy", "复制口径");
      btn.type = "button";
      btn.addEventListener("click", function (ev) { ev.stopPropagation(); select(i); copy(item); });
      item.appendChild(btn);
      item.addEventListener("click", function () { select(i); });
      list.appendChild(item);
    });
    if (data.hits.length) select(0);
    else say("没有找到相关条款，请换个说法或建议群众拨打12345转相关部门。");
  }

  function search() {
    var q = box.value.trim();
    var mine = ++seq;
    if (!q) { list.textContent = ""; answer.textContent = ""; say(""); return; }
    var params = new URLSearchParams({ q: q });
    filters.forEach(function (f) { if (f.value) params.append(f.name, f.value); });
    fetch("/api/agent/search?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (res) {
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      })
      .then(function (r) {
        if (mine !== seq) return;
        if (!r.ok) { list.textContent = ""; answer.textContent = ""; say(r.body.detail || "查询失败", true); return; }
        say("");
        render(r.body);
      })
      .catch(function () { if (mine === seq) say("无法连接服务器，请稍后再试", true); });
  }

  function later() { clearTimeout(timer); timer = setTimeout(search, 150); }

  box.addEventListener("input", later);
  filters.forEach(function (f) { f.addEventListener("change", search); });

  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select";
    if (ev.key === "/" && !typing) { ev.preventDefault(); box.focus(); box.select(); return; }
    if (tag === "select") return;
    var all = items();
    var at = all.indexOf(selected());
    if (ev.key === "ArrowDown" && all.length) { ev.preventDefault(); select(at + 1); }
    else if (ev.key === "ArrowUp" && all.length) { ev.preventDefault(); select(at - 1); }
    else if (ev.key === "Enter" && all.length && tag !== "button" && tag !== "a") {
      ev.preventDefault();
      copy(selected() || all[0]);
    }
  });

  function setQuery(q) { box.value = q; box.focus(); search(); }

  document.querySelectorAll("aside .ask-again").forEach(function (b) {
    b.addEventListener("click", function () { setQuery(b.textContent); });
  });

  box.focus();
})();
