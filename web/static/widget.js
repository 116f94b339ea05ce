/*
 * 政策通 PolicyKB 政策问答挂件。任何政府网页只需一行：
 *   <script src="https://HOST/widget.js" data-title="一企来政策咨询" async></script>
 *
 * Plain JavaScript, no build step. Everything lives in an open shadow root so the host page's CSS
 * cannot reach the widget and the widget's CSS cannot reach the page; the only global it adds is
 * window.PolicyKBWidget. All server text is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  // Some portals paste the tag twice (template + CMS block); one widget is enough.
  if (window.PolicyKBWidget) return;
  // Browsers without shadow DOM or fetch (old IE-mode desktops) get no widget rather than a broken one.
  if (!window.fetch || !Element.prototype.attachShadow) return;

  // currentScript is null when this runs from a callback; the selector is the fallback for that case.
  var script = document.currentScript ||
    document.querySelector('script[src*="/widget.js"][data-title], script[src*="/widget.js"]');
  if (!script || !script.src) return;

  var HOST = new URL(script.src, document.baseURI).origin;
  var TITLE = script.getAttribute("data-title") || "政策咨询";
  var HOTLINE = script.getAttribute("data-hotline") || "12345";
  var PLACEHOLDER = script.getAttribute("data-placeholder") || "请输入您的问题，按回车发送";
  // data-inline="#id": the panel lives inside that element, always open (the /ask page).
  var INLINE = script.getAttribute("data-inline") || "";
  // data-policy="ID": questions are searched within that policy first (就本政策提问).
  var POLICY = script.getAttribute("data-policy") || "";
  // data-starters='["…","…"]': questions offered before the first one is asked.
  var STARTERS = [];
  try { STARTERS = JSON.parse(script.getAttribute("data-starters") || "[]") || []; } catch (e) { STARTERS = []; }
  var OTHERS_MAX = 2;  // further cited clauses under an answer
  var SNIPPET = 140;  // characters of a listed clause before "…"

  var api = { host: HOST, version: "1", open: function () {}, close: function () {},
    ask: function () {} };
  window.PolicyKBWidget = api;

  // Sizes are in px, never rem/em: the host page owns the root font size and may set it to anything.
  function css() { return [
    // Inner !important beats the page's !important on the host element (cascade order for shadow trees).
    INLINE ? ":host{all:initial !important;display:block !important;position:static !important;" +
      "width:100% !important;visibility:visible !important;opacity:1 !important}" :
    ":host{all:initial !important;display:block !important;position:static !important;" +
      "width:0 !important;height:0 !important;visibility:visible !important;opacity:1 !important}",
    ".pkb-root{font:14px/1.6 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;",
    "  color:#1f2937;letter-spacing:normal;text-align:left;direction:ltr}",
    ".pkb-root *,.pkb-root *::before,.pkb-root *::after{box-sizing:border-box}",
    "button,textarea{font:inherit;color:inherit}",
    "#pkb-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483646;display:flex;",
    "  align-items:center;gap:6px;height:48px;padding:0 18px;border:0;border-radius:24px;",
    "  background:#b91c1c;color:#fff;font-size:15px;font-weight:600;cursor:pointer;",
    "  box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    "#pkb-launcher:hover{background:#991b1b}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    "#pkb-panel{position:fixed;right:20px;bottom:80px;z-index:2147483647;width:380px;",
    "  height:560px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;",
    "  background:#fff;border:1px solid #e5e7eb;border-radius:10px;overflow:hidden;",
    "  box-shadow:0 10px 30px rgba(0,0,0,.25)}",
    "#pkb-panel[hidden]{display:none}",
    ".pkb-head{display:flex;align-items:center;justify-content:space-between;padding:10px 14px;",
    "  background:#b91c1c;color:#fff}",
    ".pkb-head h2{margin:0;font-size:16px;font-weight:600;color:#fff}",
    ".pkb-close{border:0;background:transparent;color:#fff;font-size:22px;line-height:1;",
    "  width:32px;height:32px;cursor:pointer;border-radius:4px}",
    "#pkb-log{position:relative;flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;background:#f6f7f9}",
    ".pkb-msg{margin:0 0 10px;padding:10px 12px;border-radius:8px;background:#fff;",
    "  border:1px solid #e5e7eb;overflow-wrap:anywhere;white-space:pre-wrap}",
    ".pkb-user{margin-left:40px;background:#fee2e2;border-color:#fecaca}",
    ".pkb-loading{color:#6b7280}",
    ".pkb-corrected{color:#4b5563;font-size:13px;background:transparent;border-style:dashed}",
    ".pkb-error{background:#fff7ed;border-color:#fdba74;color:#9a3412}",
    ".pkb-meta{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center;margin-bottom:6px;white-space:normal}",
    ".pkb-title,.pkb-rtitle{font-weight:600;color:#111827}",
    ".pkb-docno,.pkb-section,.pkb-rdocno,.pkb-rsection{color:#4b5563;font-size:13px}",
    ".pkb-badge,.pkb-rbadge{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;line-height:20px;",
    "  background:#d1fae5;color:#065f46}",
    ".pkb-badge-old{background:#fee2e2;color:#991b1b}",
    ".pkb-signoff{margin-top:6px;font-size:12px;color:#6b7280}",
    ".pkb-badge-revised{background:#fef3c7;color:#92400e}",
    ".pkb-note{margin:4px 0;color:#92400e;font-size:13px;white-space:normal}",
    ".pkb-text{margin:6px 0}",
    ".pkb-link,.pkb-ref,.pkb-tel{color:#1d4ed8;text-decoration:underline;font-size:13px}",
    ".pkb-fb{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:8px;white-space:normal;",
    "  font-size:13px;color:#4b5563}",
    ".pkb-fb button{border:1px solid #d1d5db;background:#fff;border-radius:14px;padding:2px 10px;",
    "  font-size:13px;cursor:pointer}",
    ".pkb-fb button[disabled]{opacity:.5;cursor:default}",
    ".pkb-reasonbox{margin-top:6px;white-space:normal}",
    ".pkb-reasonbox label{display:block;font-size:13px;color:#4b5563;margin-bottom:2px}",
    ".pkb-reason{width:100%;min-height:56px;padding:6px;border:1px solid #9ca3af;border-radius:4px;",
    "  font-size:13px;resize:vertical}",
    ".pkb-reason-submit{margin-top:4px;border:0;background:#b91c1c;color:#fff;border-radius:4px;",
    "  padding:4px 12px;font-size:13px;cursor:pointer}",
    ".pkb-thanks{color:#047857;font-size:13px;margin-top:6px}",
    ".pkb-form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}",
    "#pkb-input{flex:1;min-width:0;height:44px;max-height:120px;padding:8px;border:1px solid #9ca3af;",
    "  border-radius:6px;font-size:14px;resize:none;background:#fff}",
    "#pkb-send{flex:none;border:0;border-radius:6px;background:#b91c1c;color:#fff;padding:0 16px;",
    "  font-size:14px;cursor:pointer}",
    "#pkb-send[disabled]{background:#9ca3af;cursor:default}",
    ".pkb-foot{padding:0 10px 8px;font-size:12px;color:#6b7280;background:#fff}",
    ".pkb-fb button svg{vertical-align:-3px;margin-right:3px}",
    ".pkb-kind{font-weight:600;color:#92400e;margin-bottom:4px;white-space:normal}",
    ".pkb-scope{font-size:12px;color:#4b5563;margin-bottom:4px;white-space:normal}",
    ".pkb-list{margin:6px 0 0;padding:0;list-style:none;white-space:normal}",
    ".pkb-item{border-top:1px solid #e5e7eb;padding:6px 0}",
    ".pkb-item .pkb-text{margin:4px 0;font-size:13px;white-space:pre-wrap}",
    ".pkb-more{margin-top:8px;white-space:normal}",
    ".pkb-more summary{cursor:pointer;color:#1d4ed8;font-size:13px}",
    ".pkb-chips{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 10px;white-space:normal}",
    ".pkb-chips-label{width:100%;font-size:13px;color:#4b5563}",
    ".pkb-chip{border:1px solid #fca5a5;background:#fff;color:#991b1b;border-radius:14px;",
    "  padding:3px 10px;font-size:13px;line-height:1.5;cursor:pointer;text-align:left;max-width:100%}",
    ".pkb-chip:hover{background:#fee2e2}",
    ".pkb-chip[disabled]{opacity:.5;cursor:default}",
    // The inline panel (the /ask page) sits in the page's flow and is never hidden.
    ".pkb-inline #pkb-panel{position:static;width:100%;height:auto;max-height:none;",
    "  box-shadow:none;border-radius:8px}",
    ".pkb-inline #pkb-log{min-height:320px;max-height:65vh}",
    ".pkb-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    // Phones: the panel takes the whole width (and height) so nothing scrolls sideways.
    "@media (max-width:480px){.pkb-float #pkb-panel{left:0;right:0;bottom:0;top:0;width:100%;",
    "  height:100%;max-height:none;border-radius:0;border:0}#pkb-launcher{right:12px;bottom:12px}}"
  ].join("\n"); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
      }
    }
    if (text != null) node.textContent = String(text);
    return node;
  }

  // FastAPI validation errors carry a list in `detail`; everything else a string.
  // An inline SVG rather than an emoji: office PCs often lack an emoji font.
  function chatIcon() {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
    svg.appendChild(path);
    return svg;
  }

  // Thumbs up / down for the feedback buttons (outline icons; words carry the meaning).
  var THUMB = "M7 10v11H3V10h4zm2 11h8.3a2 2 0 0 0 2-1.6l1.3-7A2 2 0 0 0 18.6 10H14l.7-3.6A2 2 0 0 0 " +
    "12.8 4L9 10v11z";

  function thumbIcon(down) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "14");
    svg.setAttribute("height", "14");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", THUMB);
    if (down) path.setAttribute("transform", "rotate(180 12 12)");
    svg.appendChild(path);
    return svg;
  }

  function detailOf(data, status) {
    var d = data && data.detail;
    if (typeof d === "string" && d) return d;
    if (Array.isArray(d) && d.length) {
      return d.map(function (e) { return (e && e.msg) || String(e); }).join("；");
    }
    if (status === 429) return "提问过于频繁，请稍后再试。";
    return "服务暂时不可用（" + status + "），请稍后再试或拨打" + HOTLINE + "热线。";
  }

  function postJSON(path, payload) {
    // Anonymous calls (no cookies): the API answers cross-origin only for allow-listed origins.
    return fetch(HOST + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw { message: detailOf(data, res.status) };
        return data;
      });
    }, function () {
      throw { message: "网络连接失败，暂时无法获取答案。请稍后再试，或拨打" + HOTLINE + "热线咨询。" };
    });
  }

  function build() {
    var target = INLINE ? document.querySelector(INLINE) : null;
    if (!target) INLINE = "";  // no such element: float as usual rather than show nothing
    var hostEl = document.createElement("policykb-widget");
    var root = hostEl.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = css();
    root.appendChild(style);

    var wrap = el("div", { "class": "pkb-root " + (INLINE ? "pkb-inline" : "pkb-float") });
    var launcher = el("button", {
      id: "pkb-launcher", type: "button", "aria-expanded": "false", "aria-controls": "pkb-panel",
      "aria-haspopup": "dialog"
    });
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", null, TITLE));

    var panel = el("div", { id: "pkb-panel", role: "dialog", "aria-label": TITLE, hidden: "" });
    var head = el("div", { "class": "pkb-head" });
    head.appendChild(el("h2", null, TITLE));
    var closeBtn = el("button", { "class": "pkb-close", type: "button", "aria-label": "关闭" }, "×");
    head.appendChild(closeBtn);

    var log = el("div", { id: "pkb-log", role: "log", "aria-live": "polite", "aria-label": "对话记录" });
    var form = el("form", { "class": "pkb-form" });
    var label = el("label", { "for": "pkb-input", "class": "pkb-sr" }, "您的问题");
    var input = el("textarea", { id: "pkb-input", rows: "1", placeholder: PLACEHOLDER, maxlength: "500" });
    var send = el("button", { id: "pkb-send", type: "submit" }, "发送");
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);
    var foot = el("div", { "class": "pkb-foot" },
      "回答依据已公开的政策文件，仅供参考，以政策原文为准。");

    if (INLINE) closeBtn.hidden = true;  // nothing to close: the panel is part of the page
    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(form);
    panel.appendChild(foot);
    if (!INLINE) wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(wrap);

    var greeted = false;
    var busy = false;

    function scrollDown() { log.scrollTop = log.scrollHeight; }

    // Bring a node inside the log into view without scrolling the host page (scrollIntoView would).
    function reveal(node, atTop) {
      var top = node.offsetTop - 8;
      var bottom = node.offsetTop + node.offsetHeight + 8;
      if (atTop || top < log.scrollTop) log.scrollTop = top;
      else if (bottom > log.scrollTop + log.clientHeight) log.scrollTop = bottom - log.clientHeight;
    }

    function bubble(cls, text) {
      var b = el("div", { "class": "pkb-msg " + cls }, text);
      log.appendChild(b);
      scrollDown();
      return b;
    }

    function greet() {
      if (greeted) return;
      greeted = true;
      // On a policy page the title is an instruction (就本政策提问), not a name to call oneself by.
      bubble("pkb-bot", (POLICY ? "您好！请就本政策提问，我会先在本政策的条文、解读和常见问题中查找，"
                                : "您好！我是" + TITLE + "助手。请输入您想了解的涉企政策问题，") +
        "并给出政策原文依据；找不到可靠答案时会告诉您如何咨询" + HOTLINE + "热线。");
      if (STARTERS.length) chips(STARTERS.slice(0, 6), "您可以这样问：");
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      greet();
      input.focus();
    }

    function close() {
      if (INLINE) return;
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    function feedbackControls(container, questionId) {
      var fb = el("div", { "class": "pkb-fb", role: "group", "aria-label": "回答评价" });
      fb.appendChild(el("span", null, "这个回答有帮助吗？"));
      var up = el("button", { type: "button", "class": "pkb-helpful" });
      var down = el("button", { type: "button", "class": "pkb-unhelpful", "aria-expanded": "false" });
      [[up, false, "有帮助"], [down, true, "没帮助"]].forEach(function (b) {
        b[0].appendChild(thumbIcon(b[1]));
        b[0].appendChild(document.createTextNode(b[2]));
      });
      fb.appendChild(up);
      fb.appendChild(down);
      container.appendChild(fb);

      function sendFeedback(helpful, reason, controls) {
        controls.forEach(function (c) { c.disabled = true; });
        var payload = { question_id: questionId, helpful: helpful };
        if (reason) payload.reason = reason;
        var old = container.querySelector(".pkb-error-note");
        if (old) old.remove();
        postJSON("/api/feedback", payload).then(function () {
          var box = container.querySelector(".pkb-reasonbox");
          if (box) box.remove();
          fb.remove();
          var thanks = el("div", { "class": "pkb-thanks", role: "status" }, "感谢反馈");
          container.appendChild(thanks);
          reveal(thanks);
          // The focused button is gone; the next natural step is another question.
          input.focus();
        }, function (err) {
          controls.forEach(function (c) { c.disabled = false; });
          container.appendChild(el("div", { "class": "pkb-note pkb-error-note", role: "alert" }, err.message));
        });
      }

      up.addEventListener("click", function () { sendFeedback(true, "", [up, down]); });
      down.addEventListener("click", function () {
        if (container.querySelector(".pkb-reasonbox")) return;
        down.setAttribute("aria-expanded", "true");
        up.disabled = true;
        down.disabled = true;
        var box = el("div", { "class": "pkb-reasonbox" });
        var rid = "pkb-reason-" + questionId;
        box.appendChild(el("label", { "for": rid }, "哪里没帮上忙？（选填）"));
        var reason = el("textarea", { id: rid, "class": "pkb-reason", maxlength: "500" });
        var submit = el("button", { type: "button", "class": "pkb-reason-submit" }, "提交反馈");
        box.appendChild(reason);
        box.appendChild(submit);
        container.appendChild(box);
        submit.addEventListener("click", function () {
          sendFeedback(false, reason.value.trim(), [submit, reason]);
        });
        reason.focus();
        reveal(box);
      });
    }

    function badge(validity, ref) {
      var cls = ref ? "pkb-rbadge" : "pkb-badge";
      if (validity === "已修订") cls += " pkb-badge-revised";
      else if (validity !== "有效") cls += " pkb-badge-old";
      return el("span", { "class": cls, title: "政策状态" }, validity);
    }

    // 《title》 文号 clause [validity]: the citation every kind of reply shows for a clause.
    // A listed clause (ref) has its own class names, so the answer's citation stays one of a kind.
    function citeMeta(hit, ref) {
      var p = ref ? "pkb-r" : "pkb-";
      var meta = el("div", { "class": "pkb-meta" });
      meta.appendChild(el("span", { "class": p + "title" }, "《" + (hit.title || "") + "》"));
      if (hit.doc_number) meta.appendChild(el("span", { "class": p + "docno" }, hit.doc_number));
      if (hit.section) meta.appendChild(el("span", { "class": p + "section" }, hit.section));
      meta.appendChild(badge(hit.validity || "有效", ref));
      return meta;
    }

    // Clauses have their own anchor on the policy page; FAQ and interpretation answers
    // jump to those sections there (the page has no per-passage anchor for them).
    function hrefOf(hit) {
      var anchor = hit.kind === "faq" ? "faq" :
        (hit.kind && hit.kind !== "clause" ? "interpretation" : "clause-" + encodeURIComponent(hit.passage_id));
      return HOST + "/policies/" + encodeURIComponent(hit.policy_id) + "#" + anchor;
    }

    // "pkb-link" is the answer's own source; listed clauses link with "pkb-ref".
    function sourceLink(hit, text, cls) {
      return el("a", { "class": cls || "pkb-link", href: hrefOf(hit), target: "_blank", rel: "noopener" }, text);
    }

    function snippet(text) {
      text = String(text || "");
      return text.length > SNIPPET ? text.slice(0, SNIPPET) + "…" : text;
    }

    // A cited clause in a list (further clauses under an answer, a related reply).
    function listItem(hit) {
      var li = el("li", { "class": "pkb-item" });
      li.appendChild(citeMeta(hit, true));
      li.appendChild(el("div", { "class": "pkb-text" }, snippet(hit.text)));
      li.appendChild(sourceLink(hit, "查看原文", "pkb-ref"));
      return li;
    }

    function scopeNote(data, container) {
      if (POLICY && data.scope === "all") {
        container.appendChild(el("div", { "class": "pkb-scope" }, "本政策中未找到答复，以下来自其他政策。"));
      }
    }

    function telLink() {
      return el("a", { "class": "pkb-tel", href: "tel:" + HOTLINE }, "拨打 " + HOTLINE + " 热线");
    }

    function renderAnswer(data) {
      var a = data.answer;
      var b = el("div", { "class": "pkb-msg pkb-answer" });
      scopeNote(data, b);
      b.appendChild(citeMeta(a));
      var validity = a.validity || "有效";
      var succ = a.superseded_by;
      if (succ && succ.title) {
        var note = el("div", { "class": "pkb-note pkb-successor" },
          "该政策" + (validity === "有效" ? "已被替代" : "已" + validity.replace(/^已/, "")) +
          "，现行政策：《" + succ.title + "》" + (succ.doc_number ? "（" + succ.doc_number + "）" : ""));
        b.appendChild(note);
      } else if (validity !== "有效") {
        b.appendChild(el("div", { "class": "pkb-note" }, "注意：该政策当前状态为“" + validity + "”，请以现行政策为准。"));
      }

      b.appendChild(el("div", { "class": "pkb-text" }, a.text || ""));
      var who = a.signoff;
      if (who && (who.drafter || who.reviewer || who.publisher)) {
        b.appendChild(el("div", { "class": "pkb-signoff" },
          "拟稿人：" + (who.drafter || "—") + "　审核人：" + (who.reviewer || "—") +
          "　发布人：" + (who.publisher || "—")));
      }
      b.appendChild(sourceLink(a, "查看政策原文"));
      var others = (data.hits || []).filter(function (h) {
        return h.passage_id !== a.passage_id;
      }).slice(0, OTHERS_MAX);
      if (others.length) {
        var more = el("details", { "class": "pkb-more" });
        more.appendChild(el("summary", null, "其他相关条款（" + others.length + "）"));
        var list = el("ol", { "class": "pkb-list" });
        others.forEach(function (h) { list.appendChild(listItem(h)); });
        more.appendChild(list);
        b.appendChild(more);
      }
      if (typeof data.question_id === "number") feedbackControls(b, data.question_id);
      log.appendChild(b);
      reveal(b, true);
    }

    function renderRelated(data) {
      var b = el("div", { "class": "pkb-msg pkb-related" });
      scopeNote(data, b);
      b.appendChild(el("div", { "class": "pkb-kind" }, "相关条款，仅供参考"));
      b.appendChild(el("div", null, data.message || "未找到可以确定的答案。"));
      var list = el("ol", { "class": "pkb-list", "aria-label": "相关条款" });
      (data.hits || []).slice(0, 3).forEach(function (h) { list.appendChild(listItem(h)); });
      b.appendChild(list);
      b.appendChild(telLink());
      if (typeof data.question_id === "number") feedbackControls(b, data.question_id);
      log.appendChild(b);
      reveal(b, true);
    }

    function renderHandoff(data) {
      var b = el("div", { "class": "pkb-msg pkb-handoff" });
      b.appendChild(el("div", null, data.message ||
        ("未找到可靠的答案。建议拨打" + HOTLINE + "政务服务便民热线咨询。")));
      b.appendChild(telLink());
      log.appendChild(b);
      scrollDown();
    }

    // Questions to ask instead (suggestions) or to start with (starters): one click asks them.
    function chips(questions, label) {
      var box = el("div", { "class": "pkb-chips", role: "group", "aria-label": label });
      box.appendChild(el("div", { "class": "pkb-chips-label" }, label));
      questions.forEach(function (q) {
        var chip = el("button", { type: "button", "class": "pkb-chip" }, q);
        chip.addEventListener("click", function () { askText(q); });
        box.appendChild(chip);
      });
      log.appendChild(box);
      scrollDown();
    }

    function ask() { askText(input.value); }

    function askText(text) {
      var q = String(text || "").trim();
      if (!q || busy) return;
      busy = true;
      send.disabled = true;
      input.value = "";
      bubble("pkb-user", q);
      var loading = bubble("pkb-loading", "正在查询政策，请稍候…");
      loading.setAttribute("aria-busy", "true");
      log.setAttribute("aria-busy", "true");
      var payload = { question: q, channel: "widget" };
      if (POLICY) payload.filters = { policy: POLICY };
      postJSON("/api/ask", payload).then(function (data) {
        loading.remove();
        data = data || {};
        var hits = data.hits || [];
        var fixes = data.corrections || [];
        if (fixes.length) {  // say which words were searched as others, so a wrong guess is seen
          bubble("pkb-note pkb-corrected", "已按" + fixes.map(function (c) {
            return "“" + c.known + "”";
          }).join("、") + "查询（您输入的是" + fixes.map(function (c) {
            return "“" + c.word + "”";
          }).join("、") + "）");
        }
        if (data.answer && (data.answer_type === "faq" || data.answer_type === "passage")) renderAnswer(data);
        else if (data.answer_type === "related" && hits.length) renderRelated(data);
        else renderHandoff(data);
        if (data.suggestions && data.suggestions.length) chips(data.suggestions, "您是不是想问：");
      }, function (err) {
        loading.remove();
        bubble("pkb-error", err.message).setAttribute("role", "alert");
      }).then(function () {
        busy = false;
        send.disabled = false;
        log.removeAttribute("aria-busy");
        input.focus();
      });
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open(); else close();
    });
    closeBtn.addEventListener("click", close);
    // On the wrapper, so Escape also works when focus went back to the launcher.
    wrap.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !panel.hidden) { e.preventDefault(); close(); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); ask(); });
    input.addEventListener("keydown", function (e) {
      // While a Chinese IME is composing, Enter picks the candidate; it must not send.
      if (e.isComposing || e.keyCode === 229) return;
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); ask(); }
    });

    api.open = open;
    api.close = close;
    api.ask = function (q) { open(); askText(q); };
    if (target) {
      panel.hidden = false;
      target.appendChild(hostEl);
      greet();
    } else {
      document.body.appendChild(hostEl);
    }
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
