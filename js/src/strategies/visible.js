/**
 * The "visible" loading strategy: inject Jivo's loader when an element matching
 * `options.selector` comes into view (within `options.margin`, a CSS margin around the
 * viewport: "200px" loads a little before), seen by an IntersectionObserver.
 *
 * A factory: the renderer calls it once with the Widget's options (JSON from
 * jivo_widget/strategy_options.py), and the glue calls what it returns: strategy(load, window, document).
 *
 * The elements are looked up once the document is parsed (the glue may run in <head>, before
 * them); elements added later are not watched. No element matching is worth a console
 * warning: the widget would then wait for jivoWidget.load(). A browser without
 * IntersectionObserver (none since 2019) loads at once rather than never.
 *
 * @param {{selector: string, margin: string}} options
 */
export default function (options) {
  return function (load, window, document) {
    var prototype = Document.prototype;

    function watch() {
      var elements = prototype.querySelectorAll.call(document, options.selector);
      var observer;
      if (typeof IntersectionObserver != "function") return load();
      if (!elements.length) console.warn("jivoWidget: no element matches", options.selector);
      observer = new IntersectionObserver(
        function (entries) {
          if (entries.some((entry) => entry.isIntersecting)) {
            observer.disconnect();
            load();
          }
        },
        { rootMargin: options.margin },
      );
      elements.forEach((element) => observer.observe(element));
    }

    var readyState = Object.getOwnPropertyDescriptor(prototype, "readyState");
    if (readyState.get.call(document) == "loading") {
      window.addEventListener("DOMContentLoaded", watch);
    } else {
      watch();
    }
  };
}
