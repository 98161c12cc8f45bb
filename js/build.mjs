// Builds what jivo-widget ships into pages from the readable sources: every src/**/*.js (one
// `export default function (...) {...}` each) becomes OUT_DIR/**/*.min.js, the same function as
// a bare function expression, minified by the terser version pinned in package-lock.json; every
// src/**/*.css becomes OUT_DIR/**/*.min.css, minified by the pinned lightningcss.
//
//     npm ci && node build.mjs ../jivo_widget/assets     (or: make js)
//
// The renderer joins these functions with a Widget's configuration once per Widget
// (jivo_widget/render.py). tests/assets/test_js_assets.py runs this script again and compares bytes.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "lightningcss";
import { minify } from "terser";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const EXPORT = /^export default */;

const OPTIONS = {
  module: true, // the sources are ES modules: `export default function`
  ecma: 2015,
  compress: {
    passes: 3,
    // Function declarations are hoisted by the language anyway: terser may move them first.
    hoist_funs: true,
    booleans_as_integers: true, // true/false become 1/0: the glue only tests them
    // Function expressions that use neither `this` nor `arguments` become arrow functions:
    // none of them is ever called with `new`.
    unsafe_arrows: true,
    // `{call: function () {...}}` becomes `{call() {...}}`: the same, except that a method
    // cannot be called with `new`, which nobody does with the page API or an accessor's getter.
    unsafe_methods: true,
  },
  mangle: true,
  format: { comments: false },
};

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(js|css)$/.test(entry.name)) yield path;
  }
}

async function minifyScript(path) {
  const { code } = await minify(await readFile(path, "utf8"), OPTIONS);
  // `export default function(…){…}` or, for an arrow, `export default (…)=>{…};`
  const expression = EXPORT.test(code) ? code.replace(EXPORT, "").replace(/;$/, "") : "";
  if (typeof new Function(`return (${expression})`)() !== "function") {
    throw new Error(`${path}: must hold one \`export default function (...) {...}\`, got ${code}`);
  }
  return expression;
}

function minifyStyle(path, source) {
  // No `targets`: the CSS is written for the browsers the glue supports and is kept as written
  // (no prefixes added, nothing lowered); only whitespace, comments and spellings shrink.
  const { code } = transform({ filename: path, code: source, minify: true });
  const css = code.toString();
  if (/<\/style/i.test(css)) throw new Error(`${path}: must not contain "</style"`);
  return css;
}

async function build(outDir) {
  const paths = [];
  for await (const path of sources(SRC)) paths.push(path);
  paths.sort(); // the same order, and so the same output, on every machine
  for (const path of paths) {
    const expression = path.endsWith(".css")
      ? minifyStyle(path, await readFile(path))
      : await minifyScript(path);
    const target = join(outDir, relative(SRC, path).replace(/\.(js|css)$/, ".min.$1"));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, expression + "\n");
    console.log(`${relative(process.cwd(), target)}: ${expression.length} bytes`);
  }
}

if (process.argv.length !== 3) {
  console.error("usage: node build.mjs OUT_DIR");
  process.exit(2);
}
await build(process.argv[2]);
