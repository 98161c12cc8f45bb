"""Python callbacks compiled into the glue (Widget(callbacks=...)), in a real Chromium against
the mocked widget: the typical module works end to end; compiled handlers join the fan-out
(after the configured JavaScript handlers, before the page's own functions), each runs exactly
once whether Jivo loads before or after the glue; their errors are reported like any handler's
and fail a strict jivo_mock test; the CSP hash covers them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"


def html(body: str, head: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def module(tmp_path: Path, source: str, name: str = "jivo_callbacks.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


DATA_LAYER = "<script>window.dataLayer = [];</script>"


def test_the_typical_module_works_end_to_end(
    page: Page, jivo_mock: JivoMock, live_server: Any, issue_example: Path
) -> None:
    widget = Widget(widget_id=WIDGET_ID, callbacks=issue_example)
    glue = widget.render(
        user_token="u-42", contact={"name": "Ann", "email": "ann@example.com"}, nonce="n0nce"
    )
    page.goto(live_server.add("/pricing/team", html(str(glue), head=DATA_LAYER)))
    jivo_mock.wait_for_call("showProactiveInvitation")
    # The identity calls run first (the glue's queue), then the compiled load handler.
    assert jivo_mock.calls() == [
        ("setUserToken", ["u-42"]),
        ("setContactInfo", [{"name": "Ann", "email": "ann@example.com"}]),
        ("showProactiveInvitation", ["Questions about plans?"]),
    ]
    # The invitation opened the chat: jivo_onChangeState("chat") added the class.
    assert page.evaluate("document.body.className") == "jivo-open"
    # The contact form, filled with what the site already told Jivo: client_name, not name.
    jivo_mock.visitor_introduces()
    jivo_mock.visitor_introduces(name="Ann Smith", email="ann.smith@example.com")
    assert page.evaluate("window.dataLayer") == [
        {"event": "jivo_lead", "name": "Ann", "email": "ann@example.com"},
        {"event": "jivo_lead", "name": "Ann Smith", "email": "ann.smith@example.com"},
    ]
    jivo_mock.visitor_closes_chat()
    assert page.evaluate("document.body.className") == ""
    jivo_mock.visitor_opens_chat()
    assert page.evaluate("document.body.className") == "jivo-open"
    assert jivo_mock.callbacks("jivo_onIntroduction") == [[], []]


def test_off_the_pricing_pages_there_is_no_invitation(
    page: Page, jivo_mock: JivoMock, live_server: Any, issue_example: Path
) -> None:
    glue = Widget(widget_id=WIDGET_ID, callbacks=issue_example).render(user_token="u-1")
    page.goto(live_server.add("/cart", html(str(glue), head=DATA_LAYER)))
    jivo_mock.wait_for_call("setUserToken")
    page.wait_for_function("window.__jivoMock.loaded")
    assert jivo_mock.calls("showProactiveInvitation") == []
    assert page.evaluate("document.body.className") == ""


FAN_OUT = """
from jivo_widget.browser import on, window

def jivo_onLoadCallback():
    window.seen.push("py:load")

def jivo_onOpen():
    window.seen.push("py:open")

@on("open")
def another_open_handler():
    window.seen.push("py:open2")

def jivo_onChangeState(state):
    window.seen.push("py:state:" + state)
"""

PAGE_OWN = (
    "<script>window.seen = []; var jivo_onOpen = function () { seen.push('page:open') };</script>"
)


@pytest.mark.parametrize("order", ["glue loads Jivo", "Jivo's loader before the glue"])
def test_compiled_handlers_join_the_fan_out_and_run_once(
    order: str, page: Page, jivo_mock: JivoMock, live_server: Any, tmp_path: Path
) -> None:
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={"jivo_onLoadCallback": "seen.push('js:load')", "jivo_onOpen": "seen.push('js')"},
        callbacks=module(tmp_path, FAN_OUT),
    )
    glue = str(widget.render(user_token="u-1"))
    body = glue if order == "glue loads Jivo" else f'<script src="{LOADER}"></script>{glue}'
    page.goto(live_server.add("/", html(body, head=PAGE_OWN)))
    jivo_mock.wait_for_load()
    page.wait_for_function("seen.indexOf('py:load') >= 0")
    jivo_mock.fire("jivo_onOpen")
    jivo_mock.fire("jivo_onChangeState", "chat")
    assert page.evaluate("seen") == [
        "js:load",
        "py:load",
        "js",
        "py:open",
        "py:open2",
        "page:open",
        "py:state:chat",
    ]
    assert jivo_mock.calls("setUserToken") == [["u-1"]]
    assert jivo_mock.loader_requests == [LOADER]


def test_compiled_handlers_run_when_jivo_initialised_long_before_the_glue(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    tmp_path: Path,
    inject_glue: Callable[..., None],
) -> None:
    widget = Widget(widget_id=WIDGET_ID, callbacks=module(tmp_path, FAN_OUT))
    page.goto(live_server.add("/", html(f'<script src="{LOADER}"></script>', head=PAGE_OWN)))
    jivo_mock.wait_for_load()
    inject_glue(page, widget, user_token="u-2")
    jivo_mock.wait_for_call("setUserToken")
    jivo_mock.fire("jivo_onOpen")
    assert page.evaluate("seen") == ["py:load", "py:open", "py:open2", "page:open"]
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1


FAILING = """
from jivo_widget.browser import window

def jivo_onOpen():
    window.seen.push("py:before")
    lookup({})

def lookup(options):
    return options["missing"]

def jivo_onClose():
    window.seen.push("py:close")
"""

ON_ERROR = (
    "<script>window.seen = []; window.reported = [];"
    " window.onerror = function (message, source, line, column, error) {"
    "   reported.push(error ? error.name + ': ' + error.message : String(message)); };</script>"
)


@pytest.mark.jivo_mock(allow_page_errors=True)  # the handler raises on purpose
def test_an_error_in_a_compiled_callback_reaches_window_onerror(
    page: Page, jivo_mock: JivoMock, live_server: Any, tmp_path: Path
) -> None:
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={"jivo_onOpen": "seen.push('js:after')"},
        callbacks=module(tmp_path, FAILING),
    )
    page.goto(live_server.add("/", html(str(widget.render()), head=ON_ERROR)))
    jivo_mock.wait_for_load()
    jivo_mock.fire("jivo_onOpen")
    jivo_mock.fire("jivo_onClose")
    where = "KeyError: 'missing' (jivo_callbacks.py, line 8, in lookup)"
    assert page.evaluate("reported") == [where]
    assert jivo_mock.page_errors == [where]
    # The failing handler stopped nothing: the callback's other handlers and the later ones ran.
    assert page.evaluate("seen") == ["js:after", "py:before", "py:close"]


STRICT_TEST = """
from pathlib import Path

from jivo_widget import Widget

CALLBACKS = Path(__file__).with_name("jivo_callbacks.py")


def test_the_site(page, jivo_mock):
    glue = Widget(widget_id="AbCdEf1234", callbacks=CALLBACKS).render()
    html = "<!doctype html><script>window.seen = []</script>" + str(glue)
    page.route("https://shop.test/", lambda route: route.fulfill(body=html))
    page.goto("https://shop.test/")
    jivo_mock.wait_for_load()
    jivo_mock.visitor_opens_chat()
"""


def test_an_error_in_a_compiled_callback_fails_a_strict_jivo_mock_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".py", jivo_callbacks=FAILING)
    pytester.makepyfile(test_site=STRICT_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_site.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*page error(s):*", "*KeyError: 'missing' (jivo_callbacks.py, line 8, in lookup)*"]
    )


def test_the_csp_hash_covers_the_compiled_callbacks(
    page: Page, jivo_mock: JivoMock, live_server: Any, tmp_path: Path
) -> None:
    widget = Widget(widget_id=WIDGET_ID, callbacks=module(tmp_path, FAN_OUT))
    policy = f"script-src {' '.join(widget.csp_hashes())} 'nonce-n0nce' https://code.jivosite.com"
    head = (
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<script nonce='n0nce'>window.seen = []; window.violations = [];"
        " document.addEventListener('securitypolicyviolation',"
        " e => violations.push(e.violatedDirective));</script>"
    )
    page.goto(live_server.add("/", html(str(widget.render(user_token="u-3")), head=head)))
    jivo_mock.wait_for_call("setUserToken")
    page.wait_for_function("seen.indexOf('py:load') >= 0")
    assert page.evaluate("violations") == []


APP_WITH_DECORATORS = """
from jivo_widget import Widget
from jivo_widget.browser import jivo_api, window

widget = Widget(widget_id="AbCdEf1234", handlers={"jivo_onIntroduction": "seen.push('js')"})


def view() -> str:
    return "a page of the app"


@widget.on("introduction")
def send_lead() -> None:
    window.seen.push("py:" + jivo_api.getContactInfo().client_name)
"""


def test_widget_on_handlers_run_once_in_the_fan_out(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    tmp_path: Path,
    import_file: Callable[[Path, str], Any],
) -> None:
    app = import_file(module(tmp_path, APP_WITH_DECORATORS, "views.py"), "views")
    glue = str(app.widget.render(contact={"name": "Ann"}))
    page.goto(
        live_server.add(
            "/", html(glue, head=PAGE_OWN.replace("jivo_onOpen", "jivo_onIntroduction"))
        )
    )
    jivo_mock.wait_for_load()
    jivo_mock.visitor_introduces()
    assert page.evaluate("seen") == ["js", "py:Ann", "page:open"]
