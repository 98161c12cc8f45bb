"""The rendered glue in a real Chromium, against the mocked Jivo widget (``jivo_mock``).

What is proven here: data arrives byte-identical and hostile strings execute
nothing; every jivo_api call waits for jivo_onLoadCallback and runs once, in order, however the
widget and the glue race; page-defined jivo_on* functions are chained, not overwritten; both
loading strategies work; the CSP nonce and hashes are right for a browser that enforces them.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"

CONTACT = {"name": "Ann", "email": "ann@example.com", "phone": "+14084987855", "description": "VIP"}
CUSTOM_DATA = [
    {"title": f"Field {i}", "content": f"value {i}", "link": f"https://crm.example.com/u/{i}"}
    for i in range(5)
]

# Every string here has broken some site's chat glue: values formatted into JS quotes, raw
# json.dumps in a <script>, `'{{ name }}'` escaping, the `<!--<script>` double-escaped state.
TRAP = "window.__pwned = 1"
CORPUS = [
    "</script><script>window.__pwned = 1</script>",
    "<!--<script>window.__pwned = 1</script>-->",
    "</SCRIPT ><img src=x onerror='window.__pwned = 1'>",
    '"; window.__pwned = 1; //',
    "'; window.__pwned = 1; //",
    "\\\"\\'\\\\ backslashes \\u2028 \\x3c",
    "line\u2028separator\u2029paragraph\nnewline\rreturn\ttab",
    "emoji 🎉👩‍👩‍👧 and ünïcödé, 中文, עברית",
    "O'Brien & Sons <ann@example.com>",
    "${window.__pwned = 1}`backtick`]]></script>",
]
LONG = "x</script>" * 1024  # 10 KB


class PageProblems:
    """Uncaught page errors and console errors seen while a test ran."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)


@pytest.fixture
def problems(page: Page) -> PageProblems:
    return PageProblems(page)


def html(body: str, head: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def call_log(jivo_mock: JivoMock) -> list[list[Any]]:
    """Every jivo_api call the mock saw, in order: [name, *args]."""
    return [[name, *args] for name, args in jivo_mock.calls()]


@pytest.fixture
def widget() -> Widget:
    return Widget(widget_id=WIDGET_ID)


def test_every_call_arrives_with_identical_data(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    rules = {"rules": [{"name": "r1", "conditions": [], "commands": []}], "n": 1.5}
    widget = Widget(
        widget_id=WIDGET_ID,
        color="#12ab34",
        color2="#ffffff",
        rules=rules,
        client_attributes={"plan": "pro", "seats": 3},
        invitation={"text": "Need help?", "department_id": 7},
    )
    snippet = widget.render(
        user_token="u-42",
        contact=CONTACT,
        custom_data=CUSTOM_DATA,
        client_attributes={"seats": 5},
        page_title="Checkout",
        page_url="https://shop.example.com/checkout",
        nonce="n0nce",
    )
    page.goto(live_server.add("/", html(snippet)))
    jivo_mock.wait_for_call("showProactiveInvitation")

    assert call_log(jivo_mock) == [
        ["setUserToken", "u-42"],
        ["setContactInfo", CONTACT],
        ["setCustomData", CUSTOM_DATA],
        ["setClientAttributes", {"plan": "pro", "seats": 5}],
        ["sendPageTitle", "Checkout", True, "https://shop.example.com/checkout"],
        ["setWidgetColor", "#12ab34", "#ffffff"],
        ["setRules", rules],
        ["showProactiveInvitation", "Need help?", 7],
    ]
    assert problems.errors == [] and problems.console_errors == []


def test_hostile_strings_in_every_field_execute_nothing_and_arrive_unchanged(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    everything = "|".join(CORPUS)
    widget = Widget(
        widget_id=WIDGET_ID,
        rules={everything: CORPUS, "long": LONG},
        client_attributes={everything: everything},
        invitation={"text": everything},
    )
    contact = {"name": everything, "email": CORPUS[8], "phone": LONG, "description": everything}
    custom = [
        # A link holds no raw whitespace (not a URL); every other hostile character stays.
        {"content": item, "title": everything, "key": item, "link": "https://x.test/?q=" + link}
        for item, link in zip(CORPUS, ("".join(item.split()) for item in CORPUS), strict=True)
    ]
    snippet = widget.render(
        user_token=LONG + everything,
        contact=contact,
        custom_data=custom,
        page_title=everything,
        page_url="https://x.test/</script><!--<script>",
    )
    page.goto(live_server.add("/", html(snippet)))
    jivo_mock.wait_for_call("showProactiveInvitation")

    assert page.evaluate("window.__pwned") is None
    assert problems.errors == [] and problems.console_errors == []
    assert page.locator("img").count() == 0  # no markup escaped from the script elements
    assert jivo_mock.calls("setUserToken") == [[LONG + everything]]
    assert jivo_mock.calls("setContactInfo") == [[contact]]
    assert jivo_mock.calls("setCustomData") == [[custom]]
    assert jivo_mock.calls("setClientAttributes") == [[{everything: everything}]]
    assert jivo_mock.calls("sendPageTitle") == [
        [everything, True, "https://x.test/</script><!--<script>"]
    ]
    assert jivo_mock.calls("setRules") == [[{everything: CORPUS, "long": LONG}]]
    assert jivo_mock.calls("showProactiveInvitation") == [[everything]]


def test_calls_made_before_load_are_delivered_after_load_once_in_order(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    # The page asks for calls at once, long before Jivo can have initialised; the mock records
    # any call before jivo_onLoadCallback as a contract violation (checked at teardown).
    body = str(widget.render(user_token="u-1")) + (
        "<script>jivoWidget.call('setCustomData', [{content: 'early'}]);"
        "jivoWidget.call('open', {start: 'chat'});</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("open")
    assert call_log(jivo_mock) == [
        ["setUserToken", "u-1"],
        ["setCustomData", [{"content": "early"}]],
        ["open", {"start": "chat"}],
    ]
    # Once loaded, calls run immediately.
    page.evaluate("jivoWidget.call('close')")
    assert call_log(jivo_mock)[-1] == ["close"]
    # Jivo re-initialises after jivo_destroy()/jivo_init() and fires jivo_onLoadCallback again:
    # the queued calls must not run a second time.
    page.evaluate("jivo_destroy(); jivo_init()")
    page.wait_for_function(
        "window.__jivoMock.callbacks.filter(c => c.name === 'jivo_onLoadCallback').length == 2"
    )
    assert [c[0] for c in call_log(jivo_mock)].count("setUserToken") == 1


PAGE_HANDLERS = """<script>
window.seen = [];
function jivo_onLoadCallback() { seen.push("page:load") }
var jivo_onOpen = function () { seen.push("page:open") };
</script>"""

LATER_PAGE_HANDLERS = """<script>
window.jivo_onClose = function () { seen.push("page:close") };
var previous = window.jivo_onChangeState;
window.jivo_onChangeState = function (state) { previous(state); seen.push("page:state:" + state) };
jivoWidget.on("jivo_onOpen", function () { seen.push("api:open") });
</script>"""


@pytest.mark.jivo_mock(allow_page_errors=True)  # one handler throws on purpose
def test_page_callbacks_are_chained_not_overwritten(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={
            "jivo_onLoadCallback": "seen.push('config:load')",
            "jivo_onOpen": ["throw new Error('boom')", "seen.push('config:open')"],
            "jivo_onClose": "seen.push('config:close')",
            "jivo_onChangeState": "seen.push('config:state:' + state)",
        },
    )
    body = PAGE_HANDLERS + str(widget.render(user_token="u-2")) + LATER_PAGE_HANDLERS
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_load()
    jivo_mock.fire("jivo_onOpen")
    jivo_mock.fire("jivo_onClose")
    jivo_mock.fire("jivo_onChangeState", "chat/min")
    assert page.evaluate("seen") == [
        "config:load",
        "page:load",
        # Configured handlers first, then the rest in the order they were registered.
        "config:open",
        "page:open",
        "api:open",
        "config:close",
        "page:close",
        "config:state:chat/min",
        "page:state:chat/min",
    ]
    assert jivo_mock.calls("setUserToken") == [["u-2"]]
    # The throwing handler was reported as an uncaught error, and did not stop the others.
    assert problems.errors == ["boom"]
    assert jivo_mock.page_errors == ["Error: boom"]


def _loader_state_probe() -> str:
    """Records document.readyState and the nonce when the glue inserts the loader script."""
    return (
        "<script nonce='n0nce'>new MutationObserver(function (records) {"
        "  records.forEach(function (r) { r.addedNodes.forEach(function (n) {"
        f"    if (n.src === {LOADER!r})"
        "      window.loaderInserted = {state: document.readyState, nonce: n.nonce};"
        "  }) });"
        "}).observe(document.head, {childList: true});</script>"
    )


@pytest.mark.parametrize(
    ("strategy", "states"), [("eager", ("loading",)), ("onload", ("complete",))]
)
def test_strategies_insert_the_loader_at_their_moment_with_the_nonce(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    strategy: str,
    states: tuple[str, ...],
) -> None:
    widget = Widget(widget_id=WIDGET_ID, strategy=strategy)
    snippet = widget.render(user_token="u-3", nonce="n0nce")
    page.goto(live_server.add("/", html(snippet, head=_loader_state_probe())))
    jivo_mock.wait_for_call("setUserToken")
    inserted = page.evaluate("window.loaderInserted")
    assert inserted["state"] in states
    assert inserted["nonce"] == "n0nce"
    assert jivo_mock.calls("setUserToken") == [["u-3"]]


def test_onload_strategy_loads_at_once_when_the_page_already_loaded(
    page: Page, jivo_mock: JivoMock, live_server: Any, inject_glue: Callable[..., None]
) -> None:
    widget = Widget(widget_id=WIDGET_ID, strategy="onload")
    page.goto(live_server.add("/", html("<p>already here</p>")))
    page.wait_for_function("document.readyState === 'complete'")
    inject_glue(page, widget, user_token="u-4")
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-4"]]


def test_widget_loaded_before_the_glue_runs(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    # Jivo's own snippet earlier in the page: jivo_api exists, init not finished yet.
    body = f'<script src="{LOADER}"></script>' + str(widget.render(user_token="u-5"))
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-5"]]
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1


def test_widget_initialised_long_before_the_glue_runs(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    widget: Widget,
    inject_glue: Callable[..., None],
) -> None:
    page.goto(live_server.add("/", html(f'<script src="{LOADER}"></script>')))
    jivo_mock.wait_for_load()
    inject_glue(page, widget, user_token="u-6")
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-6"]]
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1


def test_client_attributes_are_not_resent_when_unchanged(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    # Jivo allows 10 setClientAttributes calls an hour per visitor: page views must not spend
    # them when nothing changed.
    widget = Widget(widget_id=WIDGET_ID, client_attributes={"plan": "pro"})
    same = live_server.add("/a", html(widget.render(user_token="u-7")))
    changed = live_server.add("/b", html(widget.render(client_attributes={"plan": "max"})))
    page.goto(same)
    jivo_mock.wait_for_call("setClientAttributes")
    page.goto(same)
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setClientAttributes") == []
    page.goto(changed)
    jivo_mock.wait_for_call("setClientAttributes")
    assert jivo_mock.calls("setClientAttributes") == [[{"plan": "max"}]]


def test_client_attributes_are_sent_again_after_clear_history(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    # Logging out clears Jivo's visitor data, so the same attributes are new again afterwards.
    attrs = live_server.add("/a", html(widget.render(client_attributes={"plan": "pro"})))
    logout = live_server.add("/logout", html(widget.render(clear_history=True, user_token="u")))
    page.goto(attrs)
    jivo_mock.wait_for_call("setClientAttributes")
    page.goto(logout)
    jivo_mock.wait_for_call("setUserToken")
    assert call_log(jivo_mock) == [["clearHistory"], ["setUserToken", "u"]]
    page.goto(attrs)
    jivo_mock.wait_for_call("setClientAttributes")
    assert jivo_mock.calls("setClientAttributes") == [[{"plan": "pro"}]]


def _csp_page(policy: str, snippet: str) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    probe = (
        "<script nonce='n0nce'>window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => violations.push(e.violatedDirective + ' ' + e.blockedURI));</script>"
    )
    return html(snippet, head=meta + probe)


def test_nonce_mode_csp_allows_the_glue_and_the_loader(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    policy = "script-src 'nonce-n0nce' 'strict-dynamic'"
    page.goto(
        live_server.add("/", _csp_page(policy, widget.render(user_token="u-8", nonce="n0nce")))
    )
    jivo_mock.wait_for_call("setUserToken")
    assert page.evaluate("window.violations") == []


def test_hash_mode_csp_allows_the_glue(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    hashes = " ".join(widget.csp_hashes())
    policy = f"script-src {hashes} 'nonce-n0nce' https://code.jivosite.com"
    page.goto(live_server.add("/", _csp_page(policy, widget.render(user_token="u-9"))))
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-9"]]
    assert page.evaluate("window.violations") == []


def test_hash_mode_csp_blocks_a_tampered_glue(
    page: Page, jivo_mock: JivoMock, live_server: Any, widget: Widget
) -> None:
    # The control for the test above: the browser really enforces the hash.
    hashes = " ".join(widget.csp_hashes())
    policy = f"script-src {hashes} 'nonce-n0nce' https://code.jivosite.com"
    original = str(widget.render(user_token="u-9"))
    tampered = original.replace(")(window,document,", ")(window, document,")
    assert tampered != original
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.goto(live_server.add("/", _csp_page(policy, tampered)))
    # Inline scripts run while the page parses: after goto() it either ran or was refused.
    assert page.evaluate("typeof window.jivoWidget") == "undefined"


@pytest.fixture
def static_example() -> Iterator[str]:
    """examples/static/app.py serving on a free port, with its own mocked loader."""
    path = Path(__file__).resolve().parents[2] / "examples" / "static" / "app.py"
    spec = importlib.util.spec_from_file_location("static_example_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_static_example_site_under_its_own_csp(
    page: Page, jivo_mock: JivoMock, static_example: str, problems: PageProblems
) -> None:
    page.goto(static_example)
    jivo_mock.wait_for_call("sendPageTitle")
    assert jivo_mock.calls("setUserToken") == [["u-1042"]]
    assert jivo_mock.calls("setContactInfo") == [
        [{"name": "Ann O'Brien", "email": "ann@example.com"}]
    ]
    assert jivo_mock.calls("setWidgetColor") == [["#0b5fff"]]
    jivo_mock.fire("jivo_onOpen")
    assert page.title().startswith("💬 ")
    assert problems.errors == [] and problems.console_errors == []


def test_page_function_declared_after_the_glue_is_chained_and_calls_still_arrive(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    # Jivo's own docs use this form. A top-level function declaration in a later classic script
    # replaces the glue's accessor with a plain (non-configurable) property.
    widget = Widget(
        widget_id=WIDGET_ID,
        handlers={
            "jivo_onLoadCallback": "seen.push('config:load')",
            "jivo_onOpen": "seen.push('config:open')",
        },
    )
    body = (
        "<script>window.seen = [];</script>"
        + str(widget.render(user_token="u-10", custom_data=[{"content": "c"}]))
        + "<script>jivoWidget.call('open', {start: 'chat'});</script>"
        + "<script>function jivo_onLoadCallback() { seen.push('page:load') }"
        + " function jivo_onOpen() { seen.push('page:open') }</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("open")
    page.wait_for_function("seen.indexOf('page:open') >= 0")
    assert call_log(jivo_mock) == [
        ["setUserToken", "u-10"],
        ["setCustomData", [{"content": "c"}]],
        ["open", {"start": "chat"}],
    ]
    # Each exactly once (the queued open() fires jivo_onOpen while the queue is flushed).
    assert sorted(page.evaluate("seen")) == ["config:load", "config:open", "page:load", "page:open"]
    assert problems.errors == [] and problems.console_errors == []


def test_page_functions_before_and_after_the_glue_all_run_once_with_the_wrapper_pattern(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    widget = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "seen.push('config')"})
    body = (
        "<script>window.seen = []; window.jivo_onOpen = function () { seen.push('A') };</script>"
        + str(widget.render(user_token="u-11"))
        + "<script>var old = window.jivo_onOpen;"
        + " window.jivo_onOpen = function () { old(); seen.push('B') };</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_load()
    jivo_mock.fire("jivo_onOpen")
    assert sorted(page.evaluate("seen")) == ["A", "B", "config"]
    assert page.evaluate("seen")[0] == "config"
    assert problems.errors == [] and problems.console_errors == []


def test_a_second_glue_on_the_page_forwards_its_calls_to_the_first(
    page: Page,
    jivo_mock: JivoMock,
    live_server: Any,
    problems: PageProblems,
    inject_glue: Callable[..., None],
) -> None:
    # Only calls are forwarded: the same Widget rendered twice must not run its handlers twice.
    first = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "seen.push('first')"})
    second = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "seen.push('second')"})
    body = (
        "<script>window.seen = [];</script>"
        + str(first.render(user_token="u-12"))
        + str(second.render(user_token="u-13", custom_data=[{"content": "second"}]))
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("setCustomData")
    assert call_log(jivo_mock) == [
        ["setUserToken", "u-12"],
        ["setUserToken", "u-13"],
        ["setCustomData", [{"content": "second"}]],
    ]
    # A glue added after load (an SPA after sign-in) delivers at once.
    inject_glue(page, second, user_token="u-14")
    jivo_mock.wait_for_call("setUserToken", count=3)
    assert jivo_mock.calls("setUserToken")[-1] == ["u-14"]
    jivo_mock.fire("jivo_onOpen")
    assert page.evaluate("seen") == ["first"]
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1
    assert problems.errors == [] and problems.console_errors == []


def test_on_with_a_name_that_is_not_a_jivo_callback_global_is_reported(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    # on() claims the global it is given: only jivo_on* names, never jivo_api or the page API.
    # (A misspelt jivo_on* name is not detected: the glue does not carry Jivo's callback names.)
    body = str(Widget(widget_id=WIDGET_ID).render(user_token="u-16")) + (
        "<script>jivoWidget.on('constructor', function () {});"
        "jivoWidget.on('jivo_api', function () {});"
        "jivoWidget.on('jivoWidget', function () {});"
        "jivoWidget.on('jivo_onOpen', function () {});</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_call("setUserToken")
    assert len(problems.console_errors) == 3
    assert "constructor" in problems.console_errors[0]
    assert "jivo_api" in problems.console_errors[1]
    assert "jivoWidget" in problems.console_errors[2]
    assert page.evaluate("typeof jivoWidget.call + ' ' + typeof jivo_api.open") == (
        "function function"
    )


def test_a_callback_nobody_hooks_through_the_glue_stays_the_pages_own(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    # The glue claims only jivo_onLoadCallback and the callbacks it has handlers for: the page's
    # other jivo_on* functions are left alone, and Jivo calls them directly, once each.
    widget = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "seen.push('config:open')"})
    body = (
        "<script>window.seen = []; window.pageClose = function () { seen.push('page:close') };"
        " window.jivo_onClose = pageClose;</script>"
        + str(widget.render(user_token="u-17"))
        + "<script>function jivo_onChangeState(state) { seen.push('page:state:' + state) }</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_load()
    assert page.evaluate(
        "[jivo_onClose === pageClose, 'value' in Object.getOwnPropertyDescriptor(window,"
        " 'jivo_onClose'), 'get' in Object.getOwnPropertyDescriptor(window, 'jivo_onOpen')]"
    ) == [True, True, True]
    jivo_mock.fire("jivo_onClose")
    jivo_mock.fire("jivo_onChangeState", "chat")
    jivo_mock.fire("jivo_onOpen")
    assert page.evaluate("seen") == ["page:close", "page:state:chat", "config:open"]
    assert problems.errors == [] and problems.console_errors == []


def test_on_claims_a_callback_when_called_and_keeps_the_pages_functions(
    page: Page, jivo_mock: JivoMock, live_server: Any, problems: PageProblems
) -> None:
    # No handler is configured for jivo_onClose: jivoWidget.on claims it then, adopting the
    # page's function (declared before), and later assignments are chained too; each runs once.
    body = (
        "<script>window.seen = []; function jivo_onClose() { seen.push('page:before') }</script>"
        + str(Widget(widget_id=WIDGET_ID).render(user_token="u-18"))
        + "<script>jivoWidget.on('jivo_onClose', function () { seen.push('api') });"
        "var old = window.jivo_onClose;"
        " window.jivo_onClose = function () { old(); seen.push('page:after') };</script>"
    )
    page.goto(live_server.add("/", html(body)))
    jivo_mock.wait_for_load()
    jivo_mock.fire("jivo_onClose")
    assert page.evaluate("seen") == ["page:before", "api", "page:after"]
    # Registered after Jivo loaded (an SPA's component): claimed at once, works at once.
    page.evaluate("jivoWidget.on('jivo_onResizeCallback', function () { seen.push('resize') })")
    jivo_mock.fire("jivo_onResizeCallback")
    assert page.evaluate("seen").count("resize") == 1
    assert problems.errors == [] and problems.console_errors == []


def test_a_site_strategy_given_as_source_loads_when_it_says(
    page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    from jivo_widget import strategies
    from jivo_widget.strategies import register_strategy

    register_strategy("test-click", source='d.addEventListener("click", load);', doc="on click")
    try:
        widget = Widget(widget_id=WIDGET_ID, strategy="test-click")
    finally:
        del strategies._registry["test-click"]
    page.goto(live_server.add("/", html(str(widget.render(user_token="u-15")) + "<p>text</p>")))
    assert page.evaluate("window.__jivoMock ? window.__jivoMock.loaderRuns : 0") == 0
    page.click("p")
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-15"]]
