"""The facade in a real Chromium: it looks like Jivo's label, costs no Jivo bytes until it is
clicked, loads and opens the chat on click or key, says so while loading and when loading
fails, gives way to Jivo's own label, and passes axe-core with no violations.

axe-core is the version pinned in ``js/package-lock.json`` (``make test`` installs it with
``npm ci``), injected into the page under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from jivo_widget import Widget
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

Glue = Callable[..., Widget]

AXE = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "axe-core" / "axe.min.js"
LOADER = re.compile(r"^https://code\.jivosite\.com/widget/")
MAILTO = "mailto:help@shop.example?subject=Chat"
PHOTO = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='36' height='36'>"
    "<circle cx='18' cy='18' r='18' fill='#c96'/></svg>"
)
SAVE_DATA = """Object.defineProperty(Navigator.prototype, "connection", {
  configurable: true, get: () => ({saveData: %s, effectiveType: %r}) });"""
IDLE_STUB = """window.idleRequests = [];
window.requestIdleCallback = function (callback) { idleRequests.push(callback); return 1; };"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: run `make test` (or `cd js && npm ci`) to install axe-core")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page, axe_source: str) -> list[str]:
    """axe-core's violations on the whole page (every rule it runs by default)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    result = page.evaluate("axe.run(document).then(r => r.violations)")
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['html'][:80] for n in v['nodes'])})" for v in result
    ]


def held_loader(page: Page) -> list[Route]:
    """Hold Jivo's loader requests until the test lets them through (``route.fallback()`` hands
    one to the mocked widget): the facade's loading state can then be seen for certain."""
    held: list[Route] = []
    page.route(LOADER, lambda route: held.append(route))
    return held


def until(page: Page, condition: Callable[[], object]) -> None:
    """Pump Playwright's events (route callbacks run then) until ``condition()`` is true."""
    for _ in range(200):
        if condition():
            return
        page.evaluate("() => new Promise(r => setTimeout(r, 10))")
    raise AssertionError("condition never became true")


def button(page: Page, name: str = "Open chat") -> Any:
    return page.get_by_role("button", name=name)


def says(page: Page, text: str) -> None:
    """The status line (a live region) reads ``text``, as shown (a hidden link is not)."""
    expect(page.get_by_role("status")).to_have_text(text, use_inner_text=True)


# ----------------------------------------------------------------------------- what it is


def test_a_button_named_open_chat_in_the_widget_colour_bottom_right(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, axe_source: str
) -> None:
    glue = lazy_widget("manual", facade=True, color="#0b5fff")
    lazy_page.open("<p>Products</p>", after=str(glue.render(user_token="u-1")))
    launcher = button(page)
    expect(launcher).to_be_visible()
    style = launcher.evaluate(
        "b => { const s = getComputedStyle(b), r = b.getBoundingClientRect();"
        " return [s.backgroundColor, s.color, innerWidth - r.right, innerHeight - r.bottom]; }"
    )
    assert style == ["rgb(11, 95, 255)", "rgb(255, 255, 255)", 20, 20]
    assert page.get_by_role("region", name="Chat").count() == 1
    assert axe_violations(page, axe_source) == []
    lazy_page.settle()
    assert not lazy_page.loader_inserted()  # costs no Jivo bytes until clicked
    # The control: axe-core does report a nameless button on this page.
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert [v.split(":")[0] for v in axe_violations(page, axe_source)] == ["button-name"]


def test_agent_photo_name_status_and_left_corner(
    page: Page,
    jivo_mock: JivoMock,
    lazy_page: Any,
    lazy_widget: Glue,
    live_server: Any,
    axe_source: str,
) -> None:
    live_server.add("/anna.svg", PHOTO, "image/svg+xml")
    facade = {
        "label": "Chat with us",
        "agent_name": "Anna",
        "agent_photo": "/anna.svg",
        "status_text": "We're online",
        "position": "left",
        "color": "#ffcc00",
    }
    # Inside <main> this time: the facade is a landmark wherever it is put.
    lazy_page.open(str(lazy_widget("manual", facade=facade).render()) + "<p>Products</p>")
    launcher = button(page, "Chat with us Anna · We're online")
    expect(launcher).to_be_visible()
    expect(page.locator("#jivo-facade img")).to_have_js_property("complete", True)
    box = launcher.bounding_box()
    assert box is not None and box["x"] == 20
    # Yellow: black text, the better contrast.
    assert launcher.evaluate("b => getComputedStyle(b).color") == "rgb(0, 0, 0)"
    assert axe_violations(page, axe_source) == []


# ------------------------------------------------------------------------- what it does


def test_click_loads_opens_the_chat_and_gives_way_to_jivos_label(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, axe_source: str
) -> None:
    held = held_loader(page)
    widget = lazy_widget("manual", facade=True)
    lazy_page.open("<p>Products</p>", after=str(widget.render(user_token="u")))
    button(page).click()
    # Loading: said in the live region, shown on the button; a second click changes nothing.
    says(page, "Loading the chat…")
    expect(button(page)).to_have_attribute("aria-busy", "true")
    assert axe_violations(page, axe_source) == []
    button(page).click()
    until(page, lambda: held)
    held[0].fallback()
    jivo_mock.wait_for_call("open")
    expect(page.locator("#jivo-facade")).to_have_count(0)
    expect(page.locator("#jivo-mock-widget")).to_be_visible()
    assert jivo_mock.calls() == [("setUserToken", ["u"]), ("open", [])]
    assert jivo_mock.state()["open"] is True
    assert len(held) == 1


@pytest.mark.parametrize("key", ["Enter", " "])
def test_keyboard_focus_is_visible_and_a_key_opens_the_chat(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, key: str
) -> None:
    lazy_page.open("<p>Products</p>", after=str(lazy_widget("manual", facade=True).render()))
    page.keyboard.press("Tab")
    expect(button(page)).to_be_focused()
    outline = button(page).evaluate(
        "b => { const s = getComputedStyle(b); return [b.matches(':focus-visible'),"
        " s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert outline == [True, "solid", "3px", "rgb(27, 127, 75)"]
    page.keyboard.press(key)
    jivo_mock.wait_for_call("open")
    expect(page.locator("#jivo-facade")).to_have_count(0)


def test_reduced_motion_stops_the_animation(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    held_loader(page)  # stays loading
    motion = (
        "() => { const s = getComputedStyle(document.querySelector('#jivo-facade svg'));"
        " const b = getComputedStyle(document.querySelector('#jivo-facade button'));"
        " return [s.animationName, b.transitionDuration]; }"
    )
    lazy_page.open("<p>Products</p>", after=str(lazy_widget("manual", facade=True).render()))
    button(page).click()
    says(page, "Loading the chat…")
    assert page.evaluate(motion) == ["jivo-facade-pulse", "0.15s, 0.15s"]
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(motion) == ["none", "0s"]


def test_when_jivo_does_not_load_it_says_so_and_offers_the_fallback_link(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, axe_source: str
) -> None:
    page.route(LOADER, lambda route: route.abort())  # blocked by an extension, say
    facade = {"timeout": 0.2, "fallback_url": MAILTO, "fallback_text": "Email us"}
    lazy_page.open("<p>Products</p>", after=str(lazy_widget("manual", facade=facade).render()))
    link = page.get_by_role("link", name="Email us")
    expect(link).to_be_hidden()
    button(page).click()
    says(page, "Sorry, the chat did not load. Email us")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", MAILTO)
    expect(button(page)).to_have_attribute("aria-busy", "false")
    assert axe_violations(page, axe_source) == []
    # A click tries again.
    button(page).click()
    says(page, "Loading the chat…")
    expect(link).to_be_hidden()


def test_removed_when_the_strategy_loads_jivo_without_a_click(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    page.add_init_script(IDLE_STUB)
    widget = lazy_widget("idle", facade=True)
    lazy_page.open("<p>Products</p>", after=str(widget.render(user_token="i")))
    lazy_page.settle()
    expect(button(page)).to_be_visible()
    page.evaluate("idleRequests.forEach(callback => callback())")
    jivo_mock.wait_for_load()
    expect(page.locator("#jivo-facade")).to_have_count(0)
    assert jivo_mock.calls() == [("setUserToken", ["i"])]  # no open: nobody asked


def test_removed_at_once_when_jivo_is_already_on_the_page(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    loader = '<script src="https://code.jivosite.com/widget/AbCdEf1234"></script>'
    lazy_page.open(loader + str(lazy_widget("manual", facade=True).render(user_token="early")))
    expect(page.locator("#jivo-facade")).to_have_count(0)
    jivo_mock.wait_for_call("setUserToken")


def test_style_carries_the_nonce_under_a_strict_csp(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    policy = (
        "default-src 'self'; script-src 'nonce-n0nce' 'strict-dynamic'; style-src 'nonce-n0nce'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    glue = lazy_widget("manual", facade=True)
    lazy_page.open("<p>Products</p>", head=meta, after=str(glue.render(nonce="n0nce")))
    assert button(page).evaluate("b => getComputedStyle(b.parentNode).position") == "fixed"
    button(page).click()
    jivo_mock.wait_for_call("open")
    # The control: the same page without the nonce is not styled.
    lazy_page.open("<p>Products</p>", head=meta, after=str(glue.render()))
    assert button(page).evaluate("b => getComputedStyle(b.parentNode).position") == "static"


# ------------------------------------------------------------------ with the strategies


@pytest.mark.parametrize(
    ("strategy", "save_data", "connection"),
    [("idle", "true", "4g"), ("interaction", "false", "2g"), ("idle", "false", "slow-2g")],
)
def test_save_data_or_2g_leaves_only_the_facade_click(
    page: Page,
    jivo_mock: JivoMock,
    lazy_page: Any,
    lazy_widget: Glue,
    strategy: str,
    save_data: str,
    connection: str,
) -> None:
    page.add_init_script(SAVE_DATA % (save_data, connection))
    page.add_init_script(IDLE_STUB)
    widget = lazy_widget(strategy, facade=True)
    lazy_page.open("<p>Products</p>", after=str(widget.render(user_token="s")))
    lazy_page.settle()
    page.keyboard.press("a")
    page.mouse.wheel(0, 200)
    lazy_page.settle()
    assert page.evaluate("idleRequests.length") == 0  # the strategy never started
    assert not lazy_page.loader_inserted()
    button(page).click()
    jivo_mock.wait_for_call("open")


@pytest.mark.parametrize("facade", [True, False])
def test_a_fast_connection_or_no_facade_keeps_the_strategy(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue, facade: bool
) -> None:
    # Without a facade the guard would leave no way into the chat: it applies only with one.
    connection = "4g" if facade else "2g"
    page.add_init_script(SAVE_DATA % ("false" if facade else "true", connection))
    lazy_page.open("<p>Products</p>", after=str(lazy_widget("interaction", facade=facade).render()))
    lazy_page.settle()
    assert not lazy_page.loader_inserted()
    page.keyboard.press("a")
    jivo_mock.wait_for_load()


def test_with_consent_the_click_loads_only_after_consent(
    page: Page, jivo_mock: JivoMock, lazy_page: Any, lazy_widget: Glue
) -> None:
    options = {"cookie": "cmp", "cookie_value": "yes"}
    facade = {"timeout": 0.2, "fallback_url": "/contact"}
    widget = lazy_widget("consent", options, facade=facade)
    lazy_page.open("<p>Products</p>", after=str(widget.render()))
    button(page).click()
    says(page, "Sorry, the chat did not load. Contact us")
    assert not lazy_page.loader_inserted()
    page.evaluate("document.cookie = 'cmp=yes'; jivoWidget.consent()")
    jivo_mock.wait_for_call("open")  # the click's open(), queued, runs once Jivo is ready
    expect(page.locator("#jivo-facade")).to_have_count(0)
