"""Handler code and strategy fragments: checked when the Widget is built, joined safely.

- Characters the page would change (NUL, lone surrogates) are refused, naming the callback and
  the handler's index; Windows line ends are normalised (the CSP hash covers the page's text).
- The renderer cannot mistake anything inside a site's code for one of its per-request slots:
  even code that skipped validation stays code, and the data stays data.
- Syntax errors are found by a real JavaScript parser, as the body of the function the code
  becomes, with the line.
- Built-in loading strategies cannot be replaced by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import unescape

import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.strategies import STRATEGIES, register_strategy

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


def test_strategy_sources_are_checked_like_handlers() -> None:
    with pytest.raises(JivoConfigError) as info:
        register_strategy("test-broken", source="w.addEventListener('click', load")
    assert str(info.value).startswith("strategy 'test-broken': source line 1, column 1:")
    with pytest.raises(JivoConfigError, match="must not contain NUL"):
        register_strategy("test-nul", source="load('\x00')")
    assert "test-broken" not in STRATEGIES and "test-nul" not in STRATEGIES


# ------------------------------------------------------------------- strategies registry


@pytest.fixture
def restore_registry() -> Iterator[None]:
    from jivo_widget import strategies

    saved = dict(strategies._registry)
    yield
    strategies._registry.clear()
    strategies._registry.update(saved)


@pytest.mark.parametrize("name", ["eager", "onload"])
@pytest.mark.usefixtures("restore_registry")
def test_a_built_in_strategy_is_not_replaced_by_accident(name: str) -> None:
    before = STRATEGIES[name]
    with pytest.raises(JivoConfigError) as info:
        register_strategy(name, source="load();")
    assert str(info.value) == (f"strategy {name!r} is a built-in; pass replace=True to replace it")
    assert STRATEGIES[name] is before
    replaced = register_strategy(name, source="load();", replace=True)
    assert STRATEGIES[name] is replaced
    assert Widget(widget_id=ID, strategy=name).renderer.bootstrap.endswith(
        ",function(load,w,d){\nload();\n})"
    )


@pytest.mark.usefixtures("restore_registry")
def test_a_site_strategy_is_not_replaced_by_accident_either() -> None:
    register_strategy("test-mine", source="load();")
    with pytest.raises(JivoConfigError, match="'test-mine' is already registered"):
        register_strategy("test-mine", source="w.setTimeout(load, 1000);")
    register_strategy("test-mine", source="w.setTimeout(load, 1000);", replace=True)
    assert STRATEGIES["test-mine"].source == "w.setTimeout(load, 1000);"
