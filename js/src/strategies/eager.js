/**
 * The "eager" loading strategy (the default): inject Jivo's loader at once, while the page is
 * still parsing. A script inserted from JS is async by nature: it does not block the parser.
 *
 * A strategy is one function, called once by the glue: strategy(load, window, document);
 * load() injects the loader (once, with the page's CSP nonce, unless Jivo is already there).
 */
export default function (load) {
  load();
}
