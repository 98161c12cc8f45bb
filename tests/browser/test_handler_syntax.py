"""The handler syntax check agrees with the browser's own JavaScript engine.

Every body below goes through the check a Widget runs when it is built (tree-sitter's grammar)
and through V8 as the body of a function (``new Function(params, body)``), and both must give
the same verdict: what the check refuses really would die in the page, and what it accepts
really compiles. The corpus is the everyday mistakes and the modern syntax handlers use.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from jivo_widget import _jscode

pytestmark = pytest.mark.browser

PARAMS = ["state"]

VALID = [
    "console.log(state)",
    "return",
    "if (state === 'chat') { return 1 } else { return 2 }",
    "const name = window.visitor?.profile?.name ?? 'guest'",
    "let n = 0; n ||= 1; n &&= 2; n ??= 3",
    "const {a, b: [c, ...rest] = []} = window.obj || {}",
    "class Panel { #open = false; static count = 0; toggle() { this.#open = !this.#open } }",
    "(async () => { const r = await fetch('/api'); return r.json() })()",
    "function* ids() { let i = 0; while (true) yield i++ }",
    "outer: for (const k in window) { for (;;) { break outer } }",
    "const t = `state: ${state} ${`nested ${1 + 1}`}`",
    "const re = /[/\\]]+/giu; re.test(state)",
    "try { risky() } catch { recover() } finally { done() }",
    "x = 1_000_000n + 0x1fn; y = 0b1010 ** 2",
    "document.title = 'ünïcödé 🎉'",
    "// a comment\n/* a block\n comment */ go()",
    "new.target; arguments.length; this",
    "a = b\n(c || d).e()",  # ASI does not apply here: a call, still valid
    "f(a, b,); x = [1, , 2,]; ({a, b,} = {a: 1}); function g(p, q,) {}",
    "(function () { go() })(); !function () {}(); (class {})",
    "",
]

INVALID = [
    "console.log(1",
    "}",
    "a()\n}); evil(); (function () {",
    "if (state) {",
    "x = 'unterminated",
    "x = `unterminated ${state}",
    "let = ;",
    "a b",
    "function () {}",
    "return return",
    "obj = {a: 1,, b: 2}",
    "f(,)",
    "f(a,, b)",
    "function g(a,, b) {}",
    "async function () {}",
    "x = [1, 2",
    "/* never closed",
    "await fetch('/api')",
    "yield 1",
    "import x from 'y'",
    "export const x = 1",
    "class { }",
    "a => => b",
    "if (x) else y",
    "try { risky() }",
]


def _v8_verdicts(page: Page, bodies: list[str]) -> dict[str, bool]:
    """Whether V8 compiles each body as the body of ``function (state) {...}``."""
    page.goto("about:blank")
    verdicts = page.evaluate(
        """([params, bodies]) => bodies.map((body) => {
          try { new Function(...params, body); return true; }
          catch (e) { if (e instanceof SyntaxError) return false; throw e; }
        })""",
        [PARAMS, bodies],
    )
    return dict(zip(bodies, verdicts, strict=True))


def _check_verdicts(bodies: list[str]) -> dict[str, bool]:
    return {body: _jscode.check_body(PARAMS, body) is None for body in bodies}


def test_what_the_check_accepts_compiles_in_v8(page: Page) -> None:
    assert _v8_verdicts(page, VALID) == dict.fromkeys(VALID, True)
    assert _check_verdicts(VALID) == dict.fromkeys(VALID, True)


def test_what_the_check_refuses_is_a_syntax_error_in_v8(page: Page) -> None:
    assert _v8_verdicts(page, INVALID) == dict.fromkeys(INVALID, False)
    assert _check_verdicts(INVALID) == dict.fromkeys(INVALID, False)
