/**
 * The "consent" loading strategy: nothing of Jivo's loads until the visitor's consent says
 * yes: a cookie holding exactly `options.cookie` ("name=value", as document.cookie lists it),
 * or the site's predicate returning true. Checked when the glue runs and again each time the
 * page calls `jivoWidget.consent()` (from its consent tool's "accepted" event).
 *
 * A factory: the renderer calls it once with the Widget's options (JSON from
 * jivo_widget/strategy_options.py) and the predicate (a function the site wrote, syntax-checked like a
 * handler, or null); the glue calls what it returns: strategy(load, window, document).
 *
 * - It returns its check: the facade's click asks through it, so a click on the facade before
 *   consent loads nothing (the facade then says the chat did not load and offers its link).
 * - A predicate that throws is reported as an uncaught error would be (the page's error
 *   tracking sees it) and counts as "no"; the consent tool calling jivoWidget.consent() goes
 *   on undisturbed.
 * - `document.cookie` is read through the prototype: `<img name="cookie">` would shadow it.
 *
 * @param {{cookie: ?string}} options
 * @param {?function(): *} predicate
 */
export default function (options, predicate) {
  return function (load, window, document) {
    var cookies = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");

    function given() {
      try {
        if (predicate && predicate()) return true;
      } catch (error) {
        if (typeof reportError == "function") reportError(error);
        else setTimeout(function () {
          throw error;
        });
      }
      return (
        !!options.cookie && cookies.get.call(document).split("; ").indexOf(options.cookie) >= 0
      );
    }

    function check() {
      if (given()) load();
    }

    window.jivoWidget.consent = check;
    check();
    return check;
  };
}
