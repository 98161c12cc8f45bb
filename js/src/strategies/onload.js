/**
 * The "onload" loading strategy: inject Jivo's loader after the window's `load` event, or at
 * once when that already fired (a glue added late, by an SPA: intercom-rails PR #352).
 *
 * A strategy is one function, called once by the glue: strategy(load, window, document).
 * `document.readyState` is read through the prototype: HTML on the page can shadow it
 * (`<img name="readyState">`); the window's own methods cannot be shadowed (see glue.js).
 */
export default function (load, window, document) {
  var readyState = Object.getOwnPropertyDescriptor(Document.prototype, "readyState");
  if (readyState.get.call(document) == "complete") load();
  else window.addEventListener("load", load);
}
