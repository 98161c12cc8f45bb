/**
 * The facade's behaviour: the launcher button that stands in for Jivo's chat label until the
 * widget is wanted (its HTML and CSS: templates/jivo_widget/facade.html.j2, facade.css).
 *
 * A strategy decorator: the renderer calls it once with the facade's options (JSON from
 * jivo_widget/render.py) and the Widget's strategy; the glue calls what it returns, as any
 * strategy: strategy(load, window, document).
 *
 * - A click on the facade's button (Enter and Space click a <button>) asks for the widget and
 *   queues jivo_api.open(), so the chat opens as soon as Jivo is ready: the click is not lost.
 *   It asks through what the strategy returned, if anything (the consent strategy's check: no
 *   consent, no load), else it loads.
 * - Loading state: the root's data-state is "loading" (the CSS shows it, the button is
 *   aria-busy) and the status line, a polite live region, reads the root's data-loading text.
 *   A second click meanwhile changes nothing.
 * - When Jivo is not ready `options.timeout` ms after the click (blocked by an extension, the
 *   network, no consent), data-state is "failed": the status line reads data-failed and the
 *   fallback link (a mailto: or a contact page, if configured) is shown. A click tries again.
 * - The facade is removed when Jivo's own label appears, at jivo_onLoadCallback (or at once
 *   when Jivo is already on the page), whatever loaded it: the strategy or the click.
 * - Save-data guard (`options.guard`, given for the idle and interaction strategies): when the
 *   visitor asked to save data (navigator.connection.saveData) or is on a 2g connection, the
 *   strategy is not started at all: only a click on the facade loads Jivo's ≈ 300 KB.
 * - Clicks are delegated from the window (capture phase): the facade's markup may come before
 *   or after the glue. Elements are found with Document.prototype.getElementById and
 *   Element.prototype methods: HTML on the page cannot shadow them (see glue.js).
 *
 * @param {{timeout: number, guard: boolean}} options timeout in ms
 * @param {function(Function, Window, Document): ?Function} strategy
 */
export default function (options, strategy) {
  return function (load, window, document) {
    var ID = "jivo-facade";
    var api = window.jivoWidget; // the glue's page API, set just before the strategy runs
    var connection = navigator.connection;
    var ask = load;
    var timer;

    function root() {
      return Document.prototype.getElementById.call(document, ID);
    }

    // The facade's markup always has its button; the fallback link is optional.
    function find(facade, selector) {
      return Element.prototype.querySelector.call(facade, selector) || {};
    }

    // "loading" or "failed": the root's data-state, the button's aria-busy, the status line's
    // text (the root's data-loading or data-failed) and, when failed, the fallback link.
    function show(state) {
      var facade = root();
      if (facade) {
        facade.dataset.state = state;
        find(facade, "button").setAttribute("aria-busy", state == "loading");
        find(facade, "[role=status] span").textContent = facade.dataset[state];
        find(facade, "a").hidden = state != "failed";
      }
    }

    function remove() {
      var facade = root();
      clearTimeout(timer);
      if (facade) facade.remove();
    }

    if (
      options.guard &&
      connection &&
      (connection.saveData || /2g/.test(connection.effectiveType))
    ) {
      // The strategy never starts: the facade is the only way in.
    } else {
      ask = strategy(load, window, document) || load;
    }

    window.addEventListener(
      "click",
      function (event) {
        var target = event.target;
        var facade = root();
        if (
          facade &&
          facade.dataset.state != "loading" &&
          target instanceof Element &&
          Element.prototype.closest.call(target, "button") &&
          facade.contains(target)
        ) {
          show("loading");
          ask();
          api.call("open");
          clearTimeout(timer);
          timer = setTimeout(show, options.timeout, "failed");
        }
      },
      true,
    );

    api.on("jivo_onLoadCallback", remove);
    if ({}.hasOwnProperty.call(window, "jivo_api")) remove();
  };
}
