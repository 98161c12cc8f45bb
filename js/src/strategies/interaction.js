/**
 * The "interaction" loading strategy: inject Jivo's loader on the visitor's first sign of life:
 * a scroll, a pointer pressed, a key pressed or a touch, whichever comes first.
 *
 * A strategy is one function, called once by the glue: strategy(load, window, document).
 * The listeners go on the window in the capture phase: they see the event before any handler
 * of the page can stop it, and a scroll of any element (scroll events do not bubble, but they
 * are captured). Passive: they never delay scrolling. All four are removed after the first.
 */
export default function (load, window) {
  var EVENTS = ["scroll", "pointerdown", "keydown", "touchstart"];

  function first() {
    EVENTS.forEach(function (type) {
      window.removeEventListener(type, first, true);
    });
    load();
  }

  EVENTS.forEach(function (type) {
    window.addEventListener(type, first, { capture: true, passive: true });
  });
}
