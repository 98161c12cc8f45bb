/**
 * The "idle" loading strategy: inject Jivo's loader when the browser is first idle after the
 * window's `load` event, and at the latest `options.timeout` ms after it.
 *
 * A factory: the renderer calls it once with the Widget's options (JSON from
 * jivo_widget/strategy_options.py), and the glue calls what it returns: strategy(load, window, document).
 *
 * Why one idle callback with a timeout: react-live-chat-loader waits for two consecutive idle
 * periods longer than 49 ms, which a page running an animation never has, so its chat never
 * loads (its issue #144). Here the first idle period counts, and the timeout caps the wait
 * however busy the page stays. Where requestIdleCallback is missing (Safari), the loader comes
 * in a task of its own right after `load`.
 *
 * Globals: `requestIdleCallback` is tested with typeof (a named element can only ever shadow
 * it where the browser lacks it, and then it is no function); `document.readyState` is read
 * through the prototype and listeners go on the window, which HTML cannot shadow (see glue.js).
 *
 * @param {{timeout: number}} options the longest wait after `load`, in ms
 */
export default function (options) {
  return function (load, window, document) {
    function whenIdle() {
      if (typeof requestIdleCallback == "function") {
        requestIdleCallback(load, { timeout: options.timeout });
      } else {
        setTimeout(load);
      }
    }
    var readyState = Object.getOwnPropertyDescriptor(Document.prototype, "readyState");
    if (readyState.get.call(document) == "complete") whenIdle();
    else window.addEventListener("load", whenIdle);
  };
}
