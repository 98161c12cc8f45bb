/**
 * Joins Python callbacks compiled by jivo-widget to a Widget's configured handlers, before the
 * glue's core claims them. The renderer adds it only for a Widget with `callbacks`, so a page
 * without Python callbacks does not carry these bytes:
 *
 *     (<core>)(window, document, widgetId, loaderSrc,
 *              (<this function>)({configured handlers}, <module>, <module>...), strategy)
 *
 * A module is what the compiler links (an expression evaluating to
 * `{"jivo_onX": [function, ...], ...}`, each function already reporting the Python file and line
 * of its errors). Per callback, its functions run after the configured JavaScript handlers, in
 * the order of the modules; the core then adopts the page's own `jivo_on*` functions after them.
 *
 * @param {Object<string, Function[]>} handlers the configured handlers, by callback name
 * @param {...Object<string, Function[]>} modules the compiled modules
 * @return {Object<string, Function[]>} every handler, by callback name
 */
export default function (handlers, ...modules) {
  modules.forEach(function (module) {
    Object.keys(module).forEach(function (name) {
      handlers[name] = (handlers[name] || []).concat(module[name]);
    });
  });
  return handlers;
}
