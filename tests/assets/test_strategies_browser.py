"""The lazy-loading strategies in a real Chromium, against the mocked widget.

Each strategy is shown to insert Jivo's loader exactly at its trigger and not before (the page
has settled: an eager strategy would have loaded by then), to deliver the queued calls once Jivo
is ready, and to survive what pages do (elements added later, handlers that stop events, CSS
animations, a consent tool).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

Glue = Callable[..., Widget]

# requestIdleCallback replaced before any page script: the test decides when the browser is
# idle, and sees the options the strategy asked for.
IDLE_STUB = """
window.idleRequests = [];
window.requestIdleCallback = function (callback, options) {
  idleRequests.push({callback: callback, timeout: options && options.timeout,
                     state: document.readyState});
  return idleRequests.length;
};
"""
FIRE_IDLE = "idleRequests.forEach(r => r.callback({didTimeout: false, timeRemaining: () => 50}))"

TALL = "<div style='height: 3000px'>a long page</div>"


def _delivered(jivo_mock: JivoMock, token: str) -> None:
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [[token]]


# ------------------------------------------------------------------------------------ idle


def test_idle_waits_for_the_browser_to_be_idle_after_load(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    page.add_init_script(IDLE_STUB)
    lazy_page.open(str(lazy_widget("idle").render(user_token="u-idle")))
    lazy_page.settle()
    assert page.evaluate("idleRequests.map(r => r.timeout)") == [5000]  # the default: 5 s
    assert not lazy_page.loader_inserted()
    page.evaluate(FIRE_IDLE)
    _delivered(jivo_mock, "u-idle")


def test_idle_is_asked_only_after_the_load_event(
    page: Page, lazy_page: Any, lazy_widget: Glue
) -> None:
    page.add_init_script(IDLE_STUB)
    # The glue in <head>, and an image that takes a while: `load` comes well after parsing.
    lazy_page.open(
        "<img src='data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>' alt=''>",
        head=str(lazy_widget("idle", {"timeout": 1.5}).render()),
    )
    lazy_page.settle()
    assert page.evaluate("idleRequests.map(r => [r.state, r.timeout])") == [["complete", 1500]]


def test_idle_without_request_idle_callback_loads_after_the_load_event(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    # Safari has no requestIdleCallback.
    page.add_init_script("delete window.requestIdleCallback")
    lazy_page.open(str(lazy_widget("idle").render(user_token="u-safari")))
    _delivered(jivo_mock, "u-safari")


def test_idle_loads_on_a_page_that_is_never_idle(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    # react-live-chat-loader's pitfall (its #144): a page busy in every frame never gives the
    # browser an idle period, so a strategy waiting for idleness alone never loads. The timeout
    # caps the wait.
    busy = (
        "<script>(function frame() { var t = performance.now();"
        " while (performance.now() - t < 30) {} requestAnimationFrame(frame); })();</script>"
    )
    lazy_page.open(str(lazy_widget("idle", {"timeout": 0.3}).render(user_token="u-busy")) + busy)
    _delivered(jivo_mock, "u-busy")


def test_idle_when_the_glue_arrives_after_the_page_loaded(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    page.add_init_script(IDLE_STUB)
    glue = lazy_widget("idle")
    lazy_page.open("<p>an SPA</p>")
    lazy_page.settle()
    page.evaluate(
        """([data, code]) => { const s = document.createElement("script");
        s.dataset.jivo = data; s.textContent = code; document.body.appendChild(s); }""",
        [glue.render_data(user_token="u-spa"), glue.renderer.bootstrap],
    )
    assert page.evaluate("idleRequests.length") == 1
    page.evaluate(FIRE_IDLE)
    _delivered(jivo_mock, "u-spa")


# ------------------------------------------------------------------------------ interaction

INTERACTIONS = {
    "scroll": lambda page: page.mouse.wheel(0, 400),
    "pointerdown": lambda page: page.mouse.click(30, 300),
    "keydown": lambda page: page.keyboard.press("Tab"),
}


@pytest.mark.parametrize("interaction", sorted(INTERACTIONS))
def test_interaction_loads_on_the_first_sign_of_the_visitor(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, interaction: str
) -> None:
    lazy_page.open(str(lazy_widget("interaction").render(user_token="u-act")) + TALL)
    lazy_page.settle()
    page.mouse.move(50, 50)  # moving the mouse is not an interaction
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    INTERACTIONS[interaction](page)
    _delivered(jivo_mock, "u-act")
    # The other events load nothing more; the loader ran once.
    for act in INTERACTIONS.values():
        act(page)
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1
    assert page.evaluate("document.querySelectorAll('script[src*=jivosite]').length") == 1


@pytest.mark.browser_context_args(has_touch=True)
def test_interaction_loads_on_a_touch(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    lazy_page.open(str(lazy_widget("interaction").render(user_token="u-touch")) + TALL)
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    page.touchscreen.tap(40, 200)
    _delivered(jivo_mock, "u-touch")


def test_interaction_is_seen_even_when_the_page_stops_the_event(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    stopper = (
        "<script>window.addEventListener('keydown', e => e.stopImmediatePropagation(), true);"
        "document.addEventListener('keydown', e => e.stopPropagation(), true);</script>"
    )
    lazy_page.open(str(lazy_widget("interaction").render(user_token="u-stop")) + stopper)
    lazy_page.settle()
    page.keyboard.press("a")
    _delivered(jivo_mock, "u-stop")


# ------------------------------------------------------------------------------------ click

CHAT_LINK = "<p><button class='chat-now'><span>Chat</span> with us</button> <a href='#x'>x</a></p>"


def test_click_loads_on_a_matching_element_and_opens_the_chat(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    glue = lazy_widget("click", {"selector": ".chat-now"})
    lazy_page.open(str(glue.render(user_token="u-click")) + CHAT_LINK)
    lazy_page.settle()
    page.click("a[href='#x']")  # not a match
    page.mouse.wheel(0, 100)
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    page.click(".chat-now span")  # a child of a match counts
    jivo_mock.wait_for_call("open")
    assert jivo_mock.calls() == [("setUserToken", ["u-click"]), ("open", [])]
    assert jivo_mock.state()["open"] is True
    # Later clicks open the chat again (after the visitor closed it), without a second loader.
    jivo_mock.visitor_closes_chat()
    page.click(".chat-now")
    jivo_mock.wait_for_call("open", count=2)
    assert page.evaluate("window.__jivoMock.loaderRuns") == 1


def test_click_counts_elements_added_later_and_clicks_the_page_stops(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    glue = lazy_widget("click", {"selector": "[data-chat]", "open": False})
    lazy_page.open(str(glue.render(user_token="u-late")) + "<div id='app'></div>")
    lazy_page.settle()
    page.evaluate(
        "const b = document.createElement('button'); b.dataset.chat = ''; b.textContent = 'Help';"
        "b.addEventListener('click', e => e.stopPropagation());"
        "document.getElementById('app').appendChild(b);"
    )
    page.click("[data-chat]")
    _delivered(jivo_mock, "u-late")
    assert jivo_mock.calls("open") == []  # open=False


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_click_with_a_selector_the_browser_cannot_parse_reports_it_once(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, seen_errors: list[str]
) -> None:
    widget = lazy_widget("click", {"selector": "button:unknown(("})
    lazy_page.open(str(widget.render()) + CHAT_LINK)
    lazy_page.settle()
    page.click(".chat-now")
    lazy_page.settle()
    assert len(seen_errors) == 1 and "SyntaxError" in seen_errors[0]
    assert not lazy_page.loader_inserted()
    # The page API is there all the same: the page can still load the widget itself.
    page.evaluate("jivoWidget.load()")
    jivo_mock.wait_for_load()


def test_click_loader_carries_the_nonce_under_a_strict_csp(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    policy = "script-src 'nonce-n0nce' 'strict-dynamic'"
    head = (
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<script nonce='n0nce'>window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => violations.push(e.violatedDirective + ' ' + e.blockedURI));</script>"
    )
    glue = lazy_widget("click", {"selector": ".chat-now"})
    lazy_page.open(str(glue.render(user_token="u-csp", nonce="n0nce")) + CHAT_LINK, head=head)
    page.click(".chat-now")
    jivo_mock.wait_for_call("open")
    assert page.evaluate("document.querySelector('script[src*=jivosite]').nonce") == "n0nce"
    assert page.evaluate("violations") == []


# ---------------------------------------------------------------------------------- visible


def test_visible_loads_when_the_element_scrolls_into_view(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    glue = lazy_widget("visible", {"selector": "#contact"})
    # The glue comes before the element (in <head>): it waits for the document to be parsed.
    footer = "<footer id='contact'>Contact</footer>"
    lazy_page.open(TALL + footer, head=str(glue.render(user_token="u-v")))
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    page.locator("#contact").scroll_into_view_if_needed()
    _delivered(jivo_mock, "u-v")


def test_visible_margin_loads_before_the_element_is_on_screen(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    near = "<div style='height: 110vh'></div><footer id='contact'>Contact</footer>" + TALL
    lazy_page.open(
        str(
            lazy_widget("visible", {"selector": "#contact", "margin": "50% 0px"}).render(
                user_token="m"
            )
        )
        + near
    )
    _delivered(jivo_mock, "m")


def test_visible_with_no_matching_element_warns_and_waits(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    lazy_page.open(str(lazy_widget("visible", {"selector": "#nowhere"}).render()) + TALL)
    lazy_page.settle()
    page.mouse.wheel(0, 3000)
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    assert warnings == ["jivoWidget: no element matches #nowhere"]


# ---------------------------------------------------------------------------------- consent

# A consent tool's banner, as CMPs do it: a cookie for the choice, then a signal to the page.
BANNER = """<div id="banner" role="dialog" aria-label="Cookies">
<button id="accept">Accept all</button> <button id="reject">Reject</button></div>
<script>
function choose(value) {
  document.cookie = "cmp_choice=" + value + "; path=/";
  document.getElementById("banner").remove();
  if (window.jivoWidget) jivoWidget.consent();
}
document.getElementById("accept").onclick = function () { choose("all") };
document.getElementById("reject").onclick = function () { choose("none") };
</script>"""
COOKIE = {"cookie": "cmp_choice", "cookie_value": "all"}


def test_consent_loads_nothing_until_the_banner_is_accepted(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    lazy_page.open(str(lazy_widget("consent", COOKIE).render(user_token="u-ok")) + BANNER)
    lazy_page.settle()
    page.keyboard.press("Tab")
    page.evaluate("jivoWidget.consent()")  # the page signals, but nothing was given yet
    assert not lazy_page.loader_inserted()
    page.click("#accept")
    _delivered(jivo_mock, "u-ok")
    # Consent remembered: the next page loads at once.
    lazy_page.open(str(lazy_widget("consent", COOKIE).render(user_token="u-next")))
    jivo_mock.wait_for_call("setUserToken")
    assert jivo_mock.calls("setUserToken") == [["u-next"]]


def test_consent_rejected_loads_nothing(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    lazy_page.open(str(lazy_widget("consent", COOKIE).render()) + BANNER)
    page.click("#reject")
    lazy_page.settle()
    assert page.evaluate("document.cookie") == "cmp_choice=none"
    assert not lazy_page.loader_inserted()


def test_consent_by_predicate(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    predicate = "return window.cmp && cmp.accepted('chat') === true"
    glue = lazy_widget("consent", {"predicate": predicate})
    lazy_page.open(
        "<script>window.cmp = {given: [], accepted: c => cmp.given.includes(c)};</script>"
        + str(glue.render(user_token="u-pred"))
    )
    lazy_page.settle()
    page.evaluate("cmp.given.push('analytics'); jivoWidget.consent()")
    assert not lazy_page.loader_inserted()
    page.evaluate("cmp.given.push('chat'); jivoWidget.consent()")
    _delivered(jivo_mock, "u-pred")


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_consent_predicate_that_throws_is_reported_and_counts_as_no(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, seen_errors: list[str]
) -> None:
    glue = lazy_widget("consent", {"predicate": "return cmp.accepted('chat')"})  # no cmp yet
    lazy_page.open(str(glue.render()))
    lazy_page.settle()
    # The consent tool calling consent() is not disturbed by the error.
    assert page.evaluate("jivoWidget.consent(); 'went on'") == "went on"
    assert not lazy_page.loader_inserted()
    assert seen_errors == ["ReferenceError: cmp is not defined"] * 2


# ----------------------------------------------------------------------------------- manual


def test_manual_loads_only_when_the_page_says(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    lazy_page.open(str(lazy_widget("manual").render(user_token="u-man")) + TALL + CHAT_LINK)
    lazy_page.settle()
    page.keyboard.press("Tab")
    page.mouse.wheel(0, 500)
    page.click(".chat-now")
    page.evaluate("jivoWidget.call('setCustomData', [{content: 'queued'}])")
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    page.evaluate("jivoWidget.load()")
    jivo_mock.wait_for_call("setCustomData")
    assert jivo_mock.calls() == [
        ("setUserToken", ["u-man"]),
        ("setCustomData", [[{"content": "queued"}]]),
    ]
