/**
 * The "manual" loading strategy: the glue never injects Jivo's loader by itself; the page does,
 * with `jivoWidget.load()` (or the visitor, with the facade). Calls are queued until then.
 *
 * A strategy is one function, called once by the glue: strategy(load, window, document).
 */
export default function () {}
