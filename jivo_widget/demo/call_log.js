// A live list of what the page asked of the mocked Jivo widget, for the example sites in demo
// mode (`make demo`): every record the mock dispatches as a "jivo-mock" event (jivo_api calls,
// jivo_on* callbacks, contract violations) becomes a line in a small fixed panel.
(function () {
  "use strict";
  var panel = document.createElement("aside");
  panel.setAttribute("aria-label", "Jivo calls (mock)");
  panel.style.cssText = "position:fixed;left:12px;bottom:12px;max-width:46em;max-height:40vh;" +
    "overflow:auto;padding:6px 10px;background:#111;color:#eee;font:12px/1.4 monospace;" +
    "border-radius:6px;opacity:.92;z-index:2147482000";
  var title = document.createElement("strong");
  title.textContent = "Jivo calls (mocked widget)";
  panel.appendChild(title);

  function add(record) {
    var line = document.createElement("div");
    var detail = record.kind === "violation" ? record.message : JSON.stringify(record.args || []);
    line.textContent = record.kind + " " + record.name + " " + detail;
    if (record.kind === "violation") line.style.color = "#ff8080";
    panel.appendChild(line);
  }

  window.addEventListener("jivo-mock", function (event) { add(event.detail); });
  function attach() { document.body.appendChild(panel); }
  if (document.body) attach();
  else document.addEventListener("DOMContentLoaded", attach);
})();
