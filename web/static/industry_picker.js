// 政策体检's industry picker: typing a name ("电子", "饭店") lists matching GB/T 4754 industries from
// /api/industries; choosing one fills the hidden industry_code. Without this script the server
// resolves the typed name itself, so the form works either way.
(function () {
  "use strict";

  function wire() {
    var input = document.getElementById("industry");
    var list = document.getElementById("industry-list");
    var code = document.getElementById("industry-code");
    if (!input || !list) return;
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0; // only the latest answer is shown (answers can arrive out of order)

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(i) {
      var item = items[i];
      if (!item) return;
      input.value = item.code + " " + item.name;
      if (code) code.value = item.code;
      // A choice offered by the server (no script) is replaced by this one.
      var radios = document.querySelectorAll("#industry-choice input[type=radio]");
      radios.forEach(function (r) { r.checked = r.value === item.code; });
      close();
    }

    function highlight(i) {
      var rows = list.querySelectorAll("li[role=option]");
      rows.forEach(function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
      active = i;
      if (rows[i]) {
        input.setAttribute("aria-activedescendant", rows[i].id);
        rows[i].scrollIntoView({ block: "nearest" });
      }
    }

    function show(found) {
      items = found;
      list.textContent = "";
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "没有找到相符的行业，换个说法试试（如“电子”“饭店”“塑料制品”）";
        list.appendChild(none);
      }
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = "industry-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.code = item.code;
        var strong = document.createElement("strong");
        strong.textContent = item.code;
        li.appendChild(strong);
        li.appendChild(document.createTextNode(" " + item.name));
        if (item.section !== item.name) {
          var sec = document.createElement("span");
          sec.className = "sec";
          sec.textContent = "（" + item.section + "）";
          li.appendChild(sec);
        }
        // mousedown, not click: it comes before the input's blur closes the list.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function lookUp() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var mine = ++asked;
      fetch("/api/industries?" + new URLSearchParams({ q: q.slice(0, 50) }).toString(),
            { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) { if (mine === asked) show(found); })
        .catch(function () { close(); }); // offline: the server still resolves the name
    }

    input.addEventListener("input", function (e) {
      if (code) code.value = ""; // edited after a choice: the text is what counts again
      if (e.isComposing) return; // a Chinese input method is still composing
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    input.addEventListener("compositionend", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) {
        if (e.key === "ArrowDown" && input.value.trim()) lookUp();
        return;
      }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", close);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
