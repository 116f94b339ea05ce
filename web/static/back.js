// "返回修改" goes back to the form (a script file, not an inline javascript: link, for the CSP).
document.querySelectorAll("[data-back]").forEach(function (a) {
  a.addEventListener("click", function (e) {
    if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });
});
