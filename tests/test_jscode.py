"""Handler code (jivo_widget._jscode): checked when the Widget is built, joined safely.

- Characters the page would change (NUL, lone surrogates) are refused, naming the callback and
  the handler's index; Windows line ends are normalised (the CSP hash covers the page's text).
- The renderer cannot mistake anything inside a site's code for one of its per-request slots:
  even code that skipped validation stays code, and the data stays data.
- Syntax errors are found by a real JavaScript parser, as the body of the function the code
  becomes, with the line; and the check agrees with the browser's own engine (V8).
"""

from __future__ import annotations

import json
from html import unescape

import pytest
from playwright.sync_api import Page

from jivo_widget import JivoConfigError, Widget, _jscode

ID = "AbCdEf1234"


def error_of(**config: object) -> str:
    with pytest.raises(JivoConfigError) as info:
        Widget(**config)  # type: ignore[arg-type]
    return str(info.value)


# ------------------------------------------------------------------- reserved characters


@pytest.mark.parametrize("marker", ["\x00", "\x00data\x00", "\x00nonce\x00", "x\x00y"])
def test_nul_in_handler_code_is_refused_naming_callback_and_index(marker: str) -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onOpen": ["a()", f"b('{marker}')"]})
    assert message == (
        "handlers: jivo_onOpen[1]: line 1: must not contain NUL (U+0000): "
        "the page would run other code"
    )


def test_nul_on_a_later_line_names_that_line() -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onClose": "a()\nb()\n'\x00'"})
    assert message.startswith("handlers: jivo_onClose[0]: line 3: must not contain NUL")


def test_a_lone_surrogate_is_refused() -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onOpen": "x('\ud800')"})
    assert message == (
        "handlers: jivo_onOpen[0]: line 1: a lone surrogate (U+D800) is not valid text"
    )


def test_windows_line_ends_are_normalised_as_the_page_will_have_them() -> None:
    widget = Widget(widget_id=ID, handlers={"jivo_onOpen": "a()\r\nb()\rc()"})
    assert widget.handlers == {"jivo_onOpen": ["a()\nb()\nc()"]}
    assert "\r" not in widget.renderer.bootstrap


@pytest.mark.parametrize(
    "code",
    [
        "x('\x00data\x00')",
        "x('\x00nonce\x00')",
        "x('\x00bootstrap\x00')",
        "x('{data}', '{nonce}', '{{', '}}', '%s')",
    ],
)
def test_slots_are_never_searched_for_inside_code(code: str) -> None:
    # model_construct skips validation: even code that was never checked cannot turn the
    # request's data into code. The data stays in its attribute and the script stays the same.
    widget = Widget.model_construct(widget_id=ID, handlers={"jivo_onOpen": [code]})
    first = str(widget.render(user_token="visitor-1", nonce="n1"))
    second = str(widget.render(user_token="visitor-2"))
    boot = widget.renderer.bootstrap
    assert code in boot
    assert (
        first
        == f'<script nonce="n1" data-jivo=\'[["setUserToken",["visitor-1"]]]\'>{boot}</script>'
    )
    assert second == f'<script data-jivo=\'[["setUserToken",["visitor-2"]]]\'>{boot}</script>'
    data = first.split("data-jivo='", 1)[1].split("'>", 1)[0]
    assert json.loads(unescape(data)) == [["setUserToken", ["visitor-1"]]]


# ------------------------------------------------------------------- syntax


def test_a_syntax_error_names_the_callback_the_index_and_the_line() -> None:
    message = error_of(
        widget_id=ID, handlers={"jivo_onOpen": ["ok()", "first()\nconsole.log(1\nlast()"]}
    )
    assert message.startswith("handlers: jivo_onOpen[1]: line 2, column 1: JavaScript syntax")
    assert "console.log(1" in message


def test_the_example_of_the_issue() -> None:
    assert error_of(widget_id=ID, handlers={"jivo_onChangeState": "console.log(1"}) == (
        "handlers: jivo_onChangeState[0]: line 1, column 1: JavaScript syntax error: "
        "cannot parse 'console.log(1'"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("}", "line 1, column 1: this '}' closes the handler's function early"),
        ("a()\n}); evil(); (function () {", "line 2, column 1: this '}' closes"),
        ("if (open) {\n  go()", "line 2: JavaScript syntax error at the end (missing '}')"),
        ("x = 'unterminated", "line 1, column 1: JavaScript syntax error"),
        ("let a = ;", "line 1, column"),
        ("await fetch('/x')", "line 1, column 1: 'await' is only valid in an async function"),
        ("yield 1", "line 1, column 1: 'yield' is only valid in a generator"),
        ("import x from 'y'", "line 1, column 1: import declarations are only allowed in"),
        ("\n\n  a b", "line 3, column 3: JavaScript syntax error"),
        # Columns count characters, not UTF-8 bytes (the b is the 13th character, 16th byte).
        ("x('ünï'); a b", "line 1, column 13: JavaScript syntax error"),
    ],
)
def test_syntax_errors(code: str, expected: str) -> None:
    message = error_of(widget_id=ID, handlers={"jivo_onOpen": code})
    assert message.startswith(f"handlers: jivo_onOpen[0]: {expected}"), message


@pytest.mark.parametrize(
    "code",
    [
        "return",  # the body of a function: return is legal
        "if (!state) return false; log(state)",
        "const v = window.visitor?.name ?? 'guest'; v",
        "class A { #secret = 1; static s = 2; get x() { return this.#secret } }",
        "(async () => { await fetch('/x') })()",
        "function* g() { yield 1 }",
        "label: for (const x of [1, 2]) { if (x) continue label; }",
        "x = `template ${state} literal`; y = /re[g]ex/giu.test(x)",
        "log(arguments.length, this)",
        "// only a comment",
        "",
        "a()\r\n// Windows line ends\r\nb()",
        "x = 1 // a trailing comment must not swallow the closing brace",
    ],
)
def test_valid_modern_code_is_accepted(code: str) -> None:
    widget = Widget(widget_id=ID, handlers={"jivo_onChangeState": code})
    assert widget.handlers["jivo_onChangeState"] == [code.replace("\r\n", "\n")]


# ------------------------------------------------------------------- the check against V8
# Every body below goes through the check a Widget runs when it is built (tree-sitter's grammar)
# and through V8 as the body of a function (``new Function(params, body)``), and both must give
# the same verdict: what the check refuses really would die in the page, and what it accepts
# really compiles. The corpus is the everyday mistakes and the modern syntax handlers use.

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


@pytest.mark.browser
def test_what_the_check_accepts_compiles_in_v8(page: Page) -> None:
    assert _v8_verdicts(page, VALID) == dict.fromkeys(VALID, True)
    assert _check_verdicts(VALID) == dict.fromkeys(VALID, True)


@pytest.mark.browser
def test_what_the_check_refuses_is_a_syntax_error_in_v8(page: Page) -> None:
    assert _v8_verdicts(page, INVALID) == dict.fromkeys(INVALID, False)
    assert _check_verdicts(INVALID) == dict.fromkeys(INVALID, False)
