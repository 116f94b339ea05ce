// The agent console's policy calculator: a caller's 统一社会信用代码 → every policy with a guide,
// the amount the firm can expect and how, the instalments, and what it misses (/api/calc).
(function () {
  "use strict";
  var form = document.getElementById("calc-form");
  if (!form) return;
  var box = document.getElementById("calc-uscc");
  var status = document.getElementById("calc-status");
  var out = document.getElementById("calc-results");
  var seq = 0;
  var STAGES = { due: "当年兑现", pending: "待次年数据", failed: "未达条件" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function wan(x) { return (Math.round(x * 100) / 100) + "万元"; }

  function policy(p) {
    var item = el("div", "calc-policy");
    item.dataset.policyId = p.policy_id;
    var h = el("h3");
    var a = el("a", null, p.title);
    a.href = "/policies/" + p.policy_id;
    a.target = "_blank";
    h.appendChild(a);
    item.appendChild(h);
    if (p.eligible && p.amount != null) {
      item.appendChild(el("div", "calc-amount", "预计可享 " + wan(p.amount)));
      if (p.formula) item.appendChild(el("div", "calc-formula", p.formula));
    }
    if (p.instalments && p.instalments.length) {
      var ul = el("ul", "calc-instalments");
      p.instalments.forEach(function (i) {
        var text = i.year + "年 " + i.label + "：" + wan(i.amount) + "，" + (STAGES[i.status] || i.status);
        if (i.conditions && i.conditions.length) text += "（" + i.conditions.join("；") + "）";
        ul.appendChild(el("li", null, text));
      });
      item.appendChild(ul);
    }
    if (p.missed && p.missed.length) item.appendChild(el("div", "calc-missed", "不符合：" + p.missed.join("；")));
    if (p.missing && p.missing.length) item.appendChild(el("div", "calc-missing", "缺少数据：" + p.missing.join("、")));
    return item;
  }

  function render(data) {
    out.textContent = "";
    out.appendChild(el("p", "calc-firm", data.name + "（" + data.uscc + "）" + data.year +
                       "年度预计合计 " + wan(data.total)));
    if (!data.policies.length) out.appendChild(el("p", null, "暂无可计算的政策。"));
    data.policies.forEach(function (p) { out.appendChild(policy(p)); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var uscc = box.value.trim().toUpperCase();
    var mine = ++seq;
    if (!uscc) { status.textContent = "请输入统一社会信用代码"; return; }
    status.textContent = "测算中…";
    fetch("/api/calc?" + new URLSearchParams({ uscc: uscc }).toString(),
          { headers: { Accept: "application/json" } })
      .then(function (res) { return res.json().then(function (b) { return { ok: res.ok, body: b }; }); })
      .then(function (r) {
        if (mine !== seq) return;
        if (!r.ok) { out.textContent = ""; status.textContent = r.body.detail || "测算失败"; return; }
        status.textContent = "";
        render(r.body);
      })
      .catch(function () { if (mine === seq) status.textContent = "无法连接服务器，请稍后再试"; });
  });
})();
