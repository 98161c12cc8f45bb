/**
 * The "click" loading strategy: inject Jivo's loader when the visitor clicks an element that
 * matches `options.selector` (a "Chat with us" button, a help link), and open the chat then.
 *
 * A factory: the renderer calls it once with the Widget's options (JSON from
 * jivo_widget/strategy_options.py), and the glue calls what it returns: strategy(load, window, document).
 *
 * - Delegated: one listener on the window, in the capture phase, checks each click's target
 *   with closest(), so elements added later (an SPA's views) count, and a page handler that
 *   stops the click cannot hide it.
 * - The click itself would be lost (Nuxt Scripts warns of this): the chat is not there yet to
 *   receive it. With `options.open` the glue queues jivo_api.open(), run once Jivo is ready;
 *   every later click on such an element opens the chat again.
 * - A selector the browser cannot parse throws its SyntaxError here, when the glue runs (an
 *   uncaught error the page's error tracking sees), instead of on every click.
 * - `Element.prototype.closest` and `Document.prototype.querySelector` are called from the
 *   prototypes: a form's input named "closest" would shadow the element's own (see glue.js).
 *
 * @param {{selector: string, open: boolean}} options
 */
export default function (options) {
  return function (load, window, document) {
    var selector = options.selector;
    var api = window.jivoWidget; // the glue's page API, set just before the strategy runs
    Document.prototype.querySelector.call(document, selector);
    window.addEventListener(
      "click",
      function (event) {
        var target = event.target;
        if (target instanceof Element && Element.prototype.closest.call(target, selector)) {
          load();
          if (options.open) api.call("open");
        }
      },
      true,
    );
  };
}
