/**
 * jivo-widget's glue: the fixed core of the one inline script that `Widget.render()` puts on a
 * page.
 *
 * This file is the readable source. What ships is `jivo_widget/assets/glue.min.js`, made from
 * it by terser (`make js`, see js/build.mjs); a test re-runs the pinned terser and proves the
 * shipped bytes are its output.
 *
 * The file is one function. The renderer calls it with a Widget's configuration, once per
 * Widget, so every page of that Widget gets the same script text (and CSP hash):
 *
 *     (<this function, minified>)(window, document, widgetId, loaderSrc, handlers, strategy)
 *
 * What differs per request (the visitor's token, contact, custom data...) is not code: it is
 * JSON in the script element's own `data-jivo` attribute: [[method, [args], delaySeconds?], ...].
 *
 * Language level: ES2015 (arrow functions, rest/spread, Reflect: every browser since 2017);
 * anything newer (reportError) is feature-tested.
 *
 * Why it works this way:
 * - `jivo_api` may only be used from `jivo_onLoadCallback` on: every call is queued and run
 *   there once, in order. `jivoWidget.call()` queues too, or runs at once when ready.
 * - Jivo calls one global function per callback. The glue claims the callbacks it has
 *   handlers for: `jivo_onLoadCallback` (always: the queue runs there), every configured one,
 *   and each one a page registers with `jivoWidget.on` (claimed then). It owns such a global
 *   with an accessor whose getter returns its fan-out function. Every page function it meets is
 *   adopted (run after the configured handlers, once each): one defined before the claim, and
 *   every one assigned later (the setter), so the `var old = jivo_onX; jivo_onX = function () {
 *   old(); ... }` pattern keeps the earlier ones; a busy flag stops that recursing through the
 *   glue. A callback nobody hooks through the glue stays the page's own: Jivo calls it directly.
 * - A page's top-level `function jivo_onX() {}` in a later classic script (the form Jivo's
 *   docs use) replaces the accessor with a plain non-configurable property. So the glue
 *   re-claims (adopts the page's function and owns the global again) when it matters: at
 *   once, on DOMContentLoaded (after every parser-inserted script; Jivo calls back after that),
 *   right before the loader is injected, and when `jivo_onLoadCallback` comes.
 * - An error thrown by a handler, a page's `jivo_on*` function or a `jivo_api` call is reported
 *   as an uncaught error would be (window.onerror, error trackers, a strict test) and never
 *   stops the others: the identity calls must not be lost because another call failed.
 * - DOM clobbering: HTML earlier on the page (a forum post, a profile field) can shadow
 *   `document.X` with `<img name="X">` or `<form name="X">` (the document's named elements win
 *   even over its built-in properties) and `window.X` with any element's id or name (unless the
 *   window has an own X). So the glue reads the document's properties through
 *   `Document.prototype`, adds listeners to the window (a named element shadows only the names
 *   the window and its prototypes lack), and takes such a window global (`jivo_api`,
 *   `jivoWidget`, `jivo_on*`) only when it is the window's own property, which a named element
 *   never is.
 * - One glue per page: a second copy (a layout and a page both rendering it, an SPA adding it
 *   after sign-in) forwards its calls to the first and stops; its handlers, loader and strategy
 *   are ignored, so a Widget rendered twice does not run its handlers twice. A second copy of
 *   another widget is warned about: Jivo runs one widget per page.
 * - Jivo loaded before the glue (`jivo_api` exists): if it has finished initialising (its
 *   <jdiv> elements are in the page) it will not call `jivo_onLoadCallback` again, so the glue
 *   runs the queue and its load handlers at once; otherwise that callback is still to come and
 *   reaches the glue through the accessor.
 *
 * The page API, `window.jivoWidget`: `call(method, ...args)` (queued until ready), `on("jivo_onX",
 * fn)` (one more handler; a name without the `jivo_on` prefix is a console error), `load()`
 * (inject the loader now, for strategies that wait), `id` (the widget id) and `q(call)` (how a
 * second copy forwards).
 *
 * Size matters: this runs inline on every page, and every visitor pays for every byte of it
 * (the benchmark page's whole glue has a budget of 1,250 B gzip). So the glue does not carry
 * Jivo's 13 callback names (about 90 B gzip with the check): `on()` cannot tell a misspelt
 * `jivo_on` name from a real one, and registers a handler that Jivo never calls. Tests catch
 * it instead: the mocked widget reports every `jivo_on*` global that is not a Jivo callback.
 *
 * @param {Window} window
 * @param {Document} document
 * @param {string} widgetId
 * @param {string} loaderSrc the URL of Jivo's loader script
 * @param {Object<string, Function[]>} handlers the configured handlers by callback name; always
 *     has `jivo_onLoadCallback` (maybe with none)
 * @param {function(Function, Window, Document)} strategy calls load() when the time has come
 */
export default function (window, document, widgetId, loaderSrc, handlers, strategy) {
  // The page API's global name, the localStorage key of the last attributes, the console prefix.
  var KEY = "jivoWidget";
  var ON_LOAD = "jivo_onLoadCallback";
  var documentPrototype = Document.prototype;
  var ready = false; // jivo_onLoadCallback came: calls run at once from now on
  var reclaimers = [];

  // ---------------------------------------------------------------- trusted reads

  function ownGlobal(name) {
    return {}.hasOwnProperty.call(window, name) && window[name];
  }

  // The loader's <script>: load() gives it its URL and nonce and inserts it, once.
  var loader = documentPrototype.createElement.call(document, "script");

  // This script element, whose attributes carry the request's data and the CSP nonce, read
  // with the prototype's getter. Anything else (a script running the glue some other way)
  // carries neither: the loader, still empty, stands in for it.
  var script = Reflect.get(documentPrototype, "currentScript", document);
  if (!(script instanceof HTMLScriptElement)) script = loader;
  var queue = JSON.parse(script.dataset.jivo || "[]");

  // ---------------------------------------------------------------- one glue per page

  var first = ownGlobal(KEY);
  if (first && typeof first.q == "function") {
    if (first.id != widgetId) {
      // Jivo runs one widget per page. "jivoWidget ZyXwVu9876 ignored: page has AbCdEf1234"
      console.warn(KEY, widgetId, "ignored: page has", first.id);
    }
    return queue.forEach(first.q);
  }

  // ---------------------------------------------------------------- errors

  // As an uncaught error: window.onerror, error trackers and the console see it, and the
  // caller goes on. reportError() does exactly that, at once; where it is missing (Safari <
  // 15.4), a rethrow in a task of its own.
  function report(error) {
    if (typeof reportError == "function") reportError(error);
    else setTimeout(function () {
      throw error;
    });
  }

  // ---------------------------------------------------------------- calls

  // A call is [method, [args], delaySeconds?]; a delayed one runs again later, without delay.
  function run(call) {
    var [method, args, delay] = call;
    var storage;
    var sent;
    if (delay) return setTimeout(run, delay * 1e3, [method, args]);
    // Jivo allows 10 setClientAttributes calls an hour per visitor: the last attributes sent
    // are kept in localStorage and an unchanged call is skipped; clearHistory forgets them.
    try {
      storage = localStorage;
      if (method == "clearHistory") delete storage[KEY];
      if (method == "setClientAttributes") {
        sent = JSON.stringify(args);
        if (storage[KEY] == sent) return;
        storage[KEY] = sent;
      }
    } catch (error) {
      // No storage (an opaque origin, blocked cookies): send the attributes every time.
    }
    try {
      ownGlobal("jivo_api")[method](...args);
    } catch (error) {
      report(error);
    }
  }

  function enqueue(call) {
    if (ready) run(call);
    else queue.push(call);
  }

  // ---------------------------------------------------------------- callbacks

  function reclaimAll() {
    reclaimers.forEach(function (reclaim) {
      reclaim();
    });
  }

  function flush() {
    reclaimAll();
    if (!ready) {
      ready = true;
      queue.forEach(run);
    }
  }

  // Owns the global `name` (a jivo_on* callback) from now on; returns its list of handlers.
  function claim(name) {
    var list = (handlers[name] = handlers[name] || []);
    var busy = false;

    function adopt(fn) {
      // Not a function: a page's odd value, or nothing (a named element is never own).
      if (typeof fn == "function" && list.indexOf(fn) < 0) list.push(fn);
    }

    function fanOut() {
      if (busy) return;
      busy = true;
      try {
        if (name == ON_LOAD) flush();
        // Arrow functions: `this` and `arguments` are the fan-out's, as Jivo called it.
        list.forEach((handler) => {
          try {
            handler.apply(this, arguments);
          } catch (error) {
            report(error);
          }
        });
      } finally {
        busy = false;
      }
    }

    function reclaim() {
      if (window[name] != fanOut) {
        adopt(ownGlobal(name));
        // Configurable, so a later `function jivo_onX() {}` can still replace it. A page that
        // declared the global non-configurable first: a plain assignment, kept up by reclaim().
        Reflect.defineProperty(window, name, {
          configurable: true,
          get: function () {
            return fanOut;
          },
          set: adopt,
        }) || (window[name] = fanOut);
      }
    }

    reclaimers.push(reclaim);
    reclaim();
    return list;
  }

  function load() {
    reclaimAll();
    if (!loader.src && !ownGlobal("jivo_api")) {
      loader.src = loaderSrc;
      loader.nonce = script.nonce;
      Reflect.get(documentPrototype, "head", document).appendChild(loader);
    }
  }

  Object.keys(handlers).forEach(claim);
  // DOMContentLoaded bubbles from the document to the window, whose own methods no named
  // element can shadow (only names the window and its prototypes lack).
  window.addEventListener("DOMContentLoaded", reclaimAll);

  window[KEY] = {
    id: widgetId,
    call: function (method, ...args) {
      enqueue([method, args]);
    },
    q: enqueue,
    on: function (name, handler) {
      // Only a jivo_on* global may be claimed (not jivo_api, jivoWidget, location...).
      if (/^jivo_on/.test(name)) (handlers[name] || claim(name)).push(handler);
      else console.error(KEY, "unknown callback", name);
    },
    load: load,
  };

  // Jivo finished initialising before the glue ran: it will not call jivo_onLoadCallback
  // again, so the glue does, as Jivo would have.
  if (ownGlobal("jivo_api") && documentPrototype.querySelector.call(document, "jdiv")) {
    window[ON_LOAD]();
  }

  strategy(load, window, document);
}
