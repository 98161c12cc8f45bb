"""The script `jivo-widget compile` writes, in Chromium: alone, with today's glue, errors.

- Without the glue it defines the jivo_on* globals itself, chaining what the page defined.
- With the glue rendered by Widget(...).render(), before or after it, its handlers join the
  glue's fan-out and each runs exactly once.
- An error in a compiled callback names the Python file, function and line, and reaches
  window.onerror (and the DevTools protocol's exception event, which Playwright's pageerror is).
- It adds nothing to Array/Object/String.prototype: the page's for...in sees nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock
from jivo_widget.transpile import compile_callbacks

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"

COUNTING = """
from jivo_widget.browser import window

def jivo_onLoadCallback():
    window.dataLayer.push("compiled load")

def jivo_onOpen():
    window.dataLayer.push("compiled open")
"""

PAGE_OWN = """<script>
function jivo_onLoadCallback() { window.dataLayer.push("page load"); }
var jivo_onOpen = function () { window.dataLayer.push("page open"); };
</script>"""


def serve_script(live_server: Any, source: str, name: str = "cb.py") -> str:
    compiled = compile_callbacks(source, name)
    return live_server.add("/cb.js", compiled.standalone_script(), "text/javascript")


def with_loader(script: str) -> str:
    return f'<script src="{script}"></script><script async src="{LOADER}"></script>'


@pytest.fixture
def html(harness: Any) -> Callable[..., str]:
    """``html(body, head="")``: a page with the harness's recorder (console output in
    ``window.__log``, reported errors in ``window.__errors``) and ``window.dataLayer``."""

    def page(body: str, head: str = "") -> str:
        return (
            '<!doctype html><html><head><meta charset="utf-8"><title>t</title>'
            f"{harness.RECORDER}{head}</head><body>{body}</body></html>"
        )

    return page


def data_layer(page: Page) -> list[Any]:
    return list(page.evaluate("() => window.dataLayer"))


def test_the_issue_example_works_without_the_glue(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    html: Callable[..., str],
    issue_example: Path,
) -> None:
    script = serve_script(live_server, issue_example.read_text(), "jivo_callbacks.py")
    page.goto(
        live_server.add(
            "/pricing",
            html(f'<script src="{script}"></script><script async src="{LOADER}"></script>'),
        )
    )
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("showProactiveInvitation") == [["Questions about plans?"]]
    jivo_mock.visitor_introduces(name="Ann", email="ann@example.com")
    assert data_layer(page) == [{"event": "jivo_lead", "name": "Ann", "email": "ann@example.com"}]
    assert page.evaluate("() => document.body.className") == "jivo-open"
    jivo_mock.visitor_closes_chat()
    assert page.evaluate("() => document.body.className") == ""


@pytest.mark.parametrize("order", ["script, glue", "glue, script", "loader, script, glue"])
def test_with_the_glue_each_handler_runs_once_and_the_page_is_chained(
    order: str, page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    script = serve_script(live_server, COUNTING)
    glue = str(Widget(widget_id=WIDGET_ID).render())
    tag = f'<script src="{script}"></script>'
    body = {
        "script, glue": tag + glue,
        "glue, script": glue + tag,
        # Jivo's loader first (the glue then injects none), the widget before the glue.
        "loader, script, glue": f'<script src="{LOADER}"></script>' + tag + glue,
    }[order]
    page.goto(live_server.add("/", html(body, head=PAGE_OWN)))
    jivo_mock.wait_for_load()
    jivo_mock.visitor_opens_chat()
    assert sorted(data_layer(page)) == ["compiled load", "compiled open", "page load", "page open"]
    assert len(jivo_mock.loader_requests) == 1


def test_without_the_glue_the_page_callbacks_defined_before_are_chained(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    script = serve_script(live_server, COUNTING)
    page.goto(
        live_server.add(
            "/",
            html(
                f'<script src="{script}"></script><script async src="{LOADER}"></script>',
                head=PAGE_OWN,
            ),
        )
    )
    jivo_mock.wait_for_load()
    jivo_mock.visitor_opens_chat()
    assert data_layer(page) == ["page load", "compiled load", "page open", "compiled open"]


def test_added_after_the_widget_loaded_the_later_callbacks_still_arrive(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    script = serve_script(live_server, COUNTING)
    page.goto(live_server.add("/", html(f'<script async src="{LOADER}"></script>')))
    jivo_mock.wait_for_load()
    page.add_script_tag(url=script)
    jivo_mock.visitor_opens_chat()
    assert data_layer(page) == ["compiled open"]


ERRORS = """from jivo_widget.browser import window


def lookup(data):
    return data["missing"]


def jivo_onOpen():
    lookup({})


def jivo_onClose():
    window.notThere.call()


async def later():
    return 1


async def jivo_onResizeCallback():
    await later()
    raise ValueError("after await")
"""


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_errors_name_the_python_file_function_and_line_and_reach_onerror(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    script = serve_script(live_server, ERRORS, "shop/jivo_callbacks.py")
    page.goto(
        live_server.add(
            "/", html(f'<script src="{script}"></script><script async src="{LOADER}"></script>')
        )
    )
    page.evaluate("""() => {
      window.__reported = [];
      window.addEventListener("error", (e) => window.__reported.push(
        {message: e.message, name: e.error.name, stack: e.error.stack}));
    }""")
    jivo_mock.wait_for_load()
    jivo_mock.visitor_opens_chat()  # onOpen (KeyError in lookup), then onResize (async)
    jivo_mock.visitor_closes_chat()  # onClose (a JS TypeError), onResize again
    page.wait_for_function("() => window.__reported.length >= 4")
    reported = page.evaluate("() => window.__reported")
    messages = [r["message"] for r in reported]
    assert any(
        "KeyError" in m and "(shop/jivo_callbacks.py, line 5, in lookup)" in m for m in messages
    ), messages
    assert any("(shop/jivo_callbacks.py, line 13, in jivo_onClose)" in m for m in messages), (
        messages
    )
    assert any(
        "after await (shop/jivo_callbacks.py, line 22, in jivo_onResizeCallback)" in m
        for m in messages
    ), messages
    key_error = next(r for r in reported if r["name"] == "KeyError")
    assert (
        key_error["message"]
        == "Uncaught KeyError: 'missing' (shop/jivo_callbacks.py, line 5, in lookup)"
    )
    # The same errors, as the DevTools protocol reported them to Playwright (pageerror).
    assert any("line 5, in lookup" in e for e in jivo_mock.page_errors), jivo_mock.page_errors


PROTOTYPES = """from jivo_widget.browser import console

def jivo_onLoadCallback():
    xs = sorted([3, 1, 2], key=lambda x: -x)
    d = {"a": [1, 2][-1], "b": "x".upper()}
    for k, v in d.items():
        xs.append(len(k) + len(str(v)))
    console.log(xs, [c for c in "ab"], "a b".split(), 7 // -2, 7 % -2, 1 in xs, xs == [1])
"""


def test_nothing_is_added_to_builtin_prototypes(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    script = serve_script(live_server, PROTOTYPES)
    before = """<script>
window.__before = [Array, Object, String, Number, Function].map(
  (C) => Object.getOwnPropertyNames(C.prototype).sort().join());
</script>"""
    page.goto(
        live_server.add(
            "/",
            html(
                f'<script src="{script}"></script><script async src="{LOADER}"></script>',
                head=before,
            ),
        )
    )
    jivo_mock.wait_for_load()
    seen = page.evaluate("""() => {
      const keys = [];
      for (const k in []) keys.push(k);
      for (const k in {}) keys.push(k);
      for (const k in "") keys.push(k);
      for (const k in [1, 2]) keys.push(k);
      const after = [Array, Object, String, Number, Function].map(
        (C) => Object.getOwnPropertyNames(C.prototype).sort().join());
      const same = JSON.stringify(after) === JSON.stringify(window.__before);
      return {keys, same, log: window.__log};
    }""")
    assert seen["keys"] == ["0", "1"]
    assert seen["same"]
    assert seen["log"] == [["log", [[3, 2, 1, 2, 2], ["a", "b"], ["a", "b"], -4, -1, True, False]]]


INTEGER_KEYS = """from jivo_widget.browser import console

def jivo_onLoadCallback():
    key = str(1)
    d = {}
    try:
        d[key] = "one"
        console.log("kept", d)
    except TypeError as e:
        console.log(str(e))
"""


def test_integer_like_dict_keys_are_refused_loudly_in_the_browser(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    # The one dict difference: JS objects put integer-like keys first, so the browser refuses
    # them instead of reordering silently (literal keys are refused by the checker already).
    script = serve_script(live_server, INTEGER_KEYS)
    page.goto(
        live_server.add(
            "/", html(f'<script src="{script}"></script><script async src="{LOADER}"></script>')
        )
    )
    jivo_mock.wait_for_load()
    log = page.evaluate("() => window.__log")
    assert log == [
        [
            "log",
            [
                "dict key '1' looks like an integer: "
                "JavaScript would move it ahead of the other keys"
            ],
        ]
    ]


UNASSIGNED = """from jivo_widget.browser import console

def jivo_onLoadCallback():
    if False:
        never = 1
    try:
        console.log("read", never)
    except Exception:
        console.log("UnboundLocalError")
"""


def test_a_local_read_before_assignment_is_none_in_the_browser(
    page: Page, jivo_mock: JivoMock, live_server: Any, html: Callable[..., str]
) -> None:
    # A documented difference (README, Callbacks in Python): Python raises UnboundLocalError.
    script = serve_script(live_server, UNASSIGNED)
    page.goto(live_server.add("/", html(with_loader(script))))
    jivo_mock.wait_for_load()
    assert page.evaluate("() => window.__log") == [["log", ["read", None]]]
