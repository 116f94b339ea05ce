// Reading aids on every page: 大字 (large type) and 高对比 (high contrast), remembered in localStorage.
(function () {
  "use strict";
  var MODES = { large: "toggle-large", contrast: "toggle-contrast" };
  var KEY = "policykb-mode-";
  var root = document.documentElement;

  function stored(mode) {
    try { return window.localStorage.getItem(KEY + mode) === "1"; } catch (e) { return false; }
  }

  // Applied before the body is drawn (this script is in <head>), so a page never flashes small.
  Object.keys(MODES).forEach(function (mode) { if (stored(mode)) root.classList.add(mode); });

  function wire() {
    Object.keys(MODES).forEach(function (mode) {
      var button = document.getElementById(MODES[mode]);
      if (!button) return;
      button.setAttribute("aria-pressed", root.classList.contains(mode) ? "true" : "false");
      button.addEventListener("click", function () {
        var on = root.classList.toggle(mode);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        try { window.localStorage.setItem(KEY + mode, on ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
