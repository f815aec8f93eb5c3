// Keyboard shortcuts of the staff app. Plain script, no build step; htmx does the rest.
(function () {
  "use strict";
  var selected = -1;
  var pendingG = false;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".ticket-row")); }
  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function select(index) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    all[selected].scrollIntoView({ block: "nearest" });
  }
  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  function focusComposer(kind) {
    var radio = document.querySelector('#composer input[name="kind"][value="' + kind + '"]');
    if (radio) radio.checked = true;
    var body = document.querySelector("#composer textarea");
    if (body) body.focus();
  }

  // A new list (filters, search): keep the selection on the same row number.
  document.addEventListener("htmx:afterSwap", function () { if (selected >= 0) select(selected); });
  // A row anywhere opens its ticket, not just the subject link.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest(".ticket-row");
    if (row && !event.target.closest("a")) window.location = row.dataset.href;
  });

  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { window.location = "/app/inbox"; event.preventDefault(); }
      return;
    }
    var handled = true;
    if (key === "j") select(selected + 1);
    else if (key === "k") select(selected - 1);
    else if ((key === "o" || key === "Enter") && selected >= 0) window.location = rows()[selected].dataset.href;
    else if (key === "/") { var q = document.getElementById("q"); if (q) q.focus(); else handled = false; }
    else if (key === "x") handled = click("#next-ticket");
    else if (key === "r") focusComposer("reply");
    else if (key === "n") focusComposer("note");
    else if (key === "a") handled = click("#assign-me button");
    else if (key === "c") handled = click("#close-ticket");
    else if (key === "g") pendingG = true;
    else if (key === "?") { var d = document.getElementById("shortcuts"); if (d) d.showModal(); }
    else handled = false;
    if (handled) event.preventDefault();
  });
})();
