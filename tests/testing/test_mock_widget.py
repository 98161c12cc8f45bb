"""The mocked Jivo widget in Chromium: loader forms, documented shapes, callbacks, violations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from jivo_widget import catalog
from jivo_widget.testing import JivoMock, MockOptions, mock_loader_script

pytestmark = pytest.mark.browser

WIDGET_ID = "AbCdEf1234"
LOADER = f"https://code.jivosite.com/widget/{WIDGET_ID}"

# Records every CustomEvent the mock dispatches, as "kind:name".
EVENT_LOG = """<script>
window.__events = [];
addEventListener("jivo-mock", (e) => __events.push(e.detail.kind + ":" + e.detail.name));
</script>"""

Serve = Callable[..., str]


class Pages:
    """Real files in a temporary directory, opened as file:// URLs (no server to stop)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, path: str, html: str) -> str:
        """Write ``html`` at ``path`` (``/`` means index); returns its file:// URL."""
        target = self.root / f"{path.strip('/') or 'index'}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        # file:// has no Content-Type header: declare the encoding in the page.
        target.write_text(f'<meta charset="utf-8">{html}', "utf-8")
        return target.as_uri()


@pytest.fixture
def pages(tmp_path: Path) -> Pages:
    """Pages written to real files."""
    return Pages(tmp_path)


@pytest.fixture
def serve(pages: Pages) -> Serve:
    """A page made of ``head`` scripts, then a loader tag (``loader=None``: none)."""

    def add(head: str = "", loader: str | None = LOADER, path: str = "/", attrs: str = "") -> str:
        tag = "" if loader is None else f'<script async src="{loader}" {attrs}></script>'
        html = f"<html><head>{EVENT_LOG}{head}</head><body>{tag}</body></html>"
        return pages.add(path, html)

    return add


def loaded(page: Page, jivo_mock: JivoMock, url: str) -> None:
    page.goto(url)
    jivo_mock.wait_for_load()


def api(page: Page, expression: str) -> Any:
    """Evaluate ``expression`` (which may use jivo_api) in the page and return its value."""
    return page.evaluate(f"() => {expression}")


def fired(jivo_mock: JivoMock) -> list[str]:
    return [name for name, _ in jivo_mock.callbacks()]


# ---------------------------------------------------------------------- loaders


LEGACY = """<script>(function(){ var widget_id = %(id)s; function l(){
  var s = document.createElement('script'); s.async = true;
  s.src = %(base)s + '/script/widget/' + widget_id + %(query)s;
  document.body.appendChild(s); }
  if (document.readyState == 'complete') l(); else window.addEventListener('load', l, false);
})();</script>"""

FORMS = ["widget", "script", "script-wp", "widget.js", "widget.js-bare-attr"]


def loader_markup(form: str, base: str) -> str:
    if form == "widget":
        return f'<script async src="{base}/widget/{WIDGET_ID}"></script>'
    if form in ("script", "script-wp"):
        query = "?plugin=wp" if form == "script-wp" else ""
        values = {"id": json.dumps(WIDGET_ID), "base": json.dumps(base), "query": json.dumps(query)}
        return LEGACY % values
    attr = "data-jv-id" if form == "widget.js" else "jv-id"
    return f'<script async src="{base}/widget.js" {attr}="{WIDGET_ID}"></script>'


@pytest.mark.parametrize("form", FORMS)
def test_every_loader_form_on_every_host_and_scheme(
    page: Page, jivo_mock: JivoMock, pages: Pages, form: str
) -> None:
    # One iframe per host x scheme: the init script and the routes cover child frames too.
    frames = []
    for host in catalog.LOADER_HOSTS:
        for scheme in ("https", "http"):
            markup = loader_markup(form, f"{scheme}://{host}")
            src = pages.add(f"/{scheme}-{host}", f"<body>{markup}</body>")
            frames.append(f'<iframe src="{src}"></iframe>')
    page.goto(pages.add("/", "".join(frames)))
    children = page.frames[1:]
    assert len(children) == 6
    for frame in children:
        frame.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
        state = frame.evaluate("() => window.__jivoMock.state()")
        assert state["widget_id"] == WIDGET_ID, frame.url
        assert state["status"] == "ready"
        assert frame.evaluate("() => typeof jivo_api.open") == "function"
    assert len(jivo_mock.loader_requests) == 6
    assert {url.split("/")[2] for url in jivo_mock.loader_requests} == set(catalog.LOADER_HOSTS)
    if form == "script-wp":
        assert all(url.endswith("?plugin=wp") for url in jivo_mock.loader_requests)
    assert jivo_mock.blocked_requests == []


def test_other_jivo_urls_are_aborted_never_fetched(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    blocked = [
        "https://code.jivosite.com/js/bundle_ru_RU.js?rand=1",
        "https://telemetry.jivosite.com/t.js",
        "https://cdn-ca.jivosite.com/x.js",
        "https://www.jivochat.com/x.js",
    ]
    tags = "".join(
        f"<script src='{u}' onerror='(window.failed = window.failed || []).push(this.src)'>"
        "</script>"
        for u in blocked
    )
    page.goto(serve(head=tags))
    assert page.evaluate("() => window.failed") == blocked
    assert jivo_mock.blocked_requests == blocked
    assert jivo_mock.loader_requests == [LOADER]


@pytest.mark.jivo_mock(strict=False)
def test_loader_without_widget_id_is_a_violation(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    page.goto(serve(loader="https://code.jivosite.com/widget.js"))
    jivo_mock.wait_for_load()
    assert jivo_mock.violations == [
        "loader: no widget id (expected /widget/{id}, /script/widget/{id} or data-jv-id)"
    ]


# ---------------------------------------------------------------------- lifecycle


def test_onload_callback_fires_after_a_task_and_api_exists_from_the_loader(
    page: Page, jivo_mock: JivoMock, pages: Pages
) -> None:
    html = f"""<script>
      window.order = [];
      window.jivo_onLoadCallback = () => order.push("onload:" + typeof jivo_api.setUserToken);
    </script>
    <script src="{LOADER}"></script>
    <script>order.push("after loader: api " + typeof jivo_api + ", loaded " + __jivoMock.loaded);
    </script>"""
    page.goto(pages.add("/", html))
    jivo_mock.wait_for_load()
    assert page.evaluate("() => order") == [
        "after loader: api object, loaded false",
        "onload:function",
    ]
    assert fired(jivo_mock) == ["jivo_onLoadCallback"]
    assert jivo_mock.widget_id == WIDGET_ID


@pytest.mark.jivo_mock(strict=False)
def test_call_before_onload_callback_is_recorded_as_violation(
    page: Page, jivo_mock: JivoMock, pages: Pages
) -> None:
    html = f"""<script src="{LOADER}"></script><script>jivo_api.setUserToken("early");</script>"""
    page.goto(pages.add("/", html))
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["early"]]
    assert jivo_mock.violations == [
        "jivo_api.setUserToken(): called before jivo_onLoadCallback fired "
        "(Jivo's API is usable only from then on)"
    ]


@pytest.mark.jivo_mock(strict=False)
def test_loader_included_twice_is_a_violation(
    page: Page, jivo_mock: JivoMock, pages: Pages
) -> None:
    html = f'<script src="{LOADER}"></script><script src="{LOADER}?again"></script>'
    page.goto(pages.add("/", html))
    jivo_mock.wait_for_load()
    assert jivo_mock.violations == [
        "loader: the Jivo loader ran 2 times on this page; include it once"
    ]
    assert fired(jivo_mock) == ["jivo_onLoadCallback"]


@pytest.mark.jivo_mock(strict=False)
def test_destroy_and_init(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_destroy()")
    assert fired(jivo_mock) == ["jivo_onLoadCallback", "jivo_onWidgetDestroy"]
    assert jivo_mock.state()["status"] == "destroyed"
    assert page.locator("#jivo-mock-widget").count() == 0
    assert api(page, "jivo_api.open()") == {"result": "fail"}
    assert jivo_mock.violations == [
        "jivo_api.open(): called while the widget is destroyed (call jivo_init() first)"
    ]
    api(page, "jivo_init()")
    jivo_mock.wait_for_callback("jivo_onLoadCallback", count=2)
    assert jivo_mock.state()["status"] == "ready"
    assert api(page, "jivo_api.open()") == {"result": "ok"}
    assert [name for name, _ in jivo_mock.calls()] == ["jivo_destroy", "open", "jivo_init", "open"]


# ---------------------------------------------------------------------- methods


def test_open_and_close_change_state_with_callbacks(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.open()") == {"result": "ok"}
    assert jivo_mock.callbacks()[1:] == [
        ("jivo_onOpen", []),
        ("jivo_onChangeState", ["chat"]),
        ("jivo_onResizeCallback", []),
    ]
    assert api(page, "jivo_api.open({start: 'call'})") == {"result": "ok"}
    assert jivo_mock.callbacks("jivo_onChangeState") == [["chat"], ["call"]]
    assert jivo_mock.callbacks("jivo_onOpen") == [[]]  # already open: no second jivo_onOpen
    assert api(page, "jivo_api.close()") == {"result": "ok"}
    assert jivo_mock.callbacks()[-3:] == [
        ("jivo_onClose", []),
        ("jivo_onChangeState", ["label"]),
        ("jivo_onResizeCallback", []),
    ]
    assert api(page, "jivo_api.open({start: 'menu'})") == {"result": "ok"}
    assert jivo_mock.state()["view"] == "menu"
    assert jivo_mock.results("open") == [{"result": "ok"}] * 3
    assert page.locator("#jivo-mock-widget").get_attribute("data-state") == "open"


@pytest.mark.jivo_mock(strict=False, callbacks_enabled=False)
def test_open_fails_for_bad_start_and_for_call_without_callbacks(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.open({start: 'video'})") == {"result": "fail"}
    assert api(page, "jivo_api.open({start: 'call'})") == {"result": "fail"}
    assert jivo_mock.violations == [
        'jivo_api.open(): start must be one of chat, call, menu, got string "video"'
    ]
    assert "jivo_onOpen" not in fired(jivo_mock)


def test_contact_info_get_uses_client_name_with_nulls(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    empty = {"client_name": None, "email": None, "phone": None, "description": None}
    assert api(page, "jivo_api.getContactInfo()") == empty
    api(page, "jivo_api.setContactInfo({name: 'Ann', email: 'ann@example.com'})")
    assert api(page, "jivo_api.getContactInfo()") == {
        **empty,
        "client_name": "Ann",
        "email": "ann@example.com",
    }


@pytest.mark.jivo_mock(strict=False)
def test_set_contact_info_with_client_name_is_a_violation(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.setContactInfo({client_name: 'Ann', phone: 5})")
    assert jivo_mock.violations == [
        'jivo_api.setContactInfo(): unknown contact key "client_name" (setContactInfo takes '
        "`name`; `client_name` is what getContactInfo returns)",
        "jivo_api.setContactInfo(): phone must be a string, got number",
    ]


@pytest.mark.jivo_mock(visitor_number=7)
def test_get_visitor_number_calls_back_err_number_asynchronously(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    result = page.evaluate("""() => new Promise((resolve) => {
        let sync = true;
        jivo_api.getVisitorNumber((err, number) => resolve({err, number, sync}));
        sync = false;
    })""")
    assert result == {"err": None, "number": 7, "sync": False}
    assert jivo_mock.calls("getVisitorNumber") == [["[function]"]]


GET_VISITOR_NUMBER = """() => new Promise((resolve) => {
    let sync = true;
    jivo_api.getVisitorNumber((err, number) => resolve({err, number, sync}));
    sync = false;
})"""


@pytest.mark.jivo_mock(visitor_number_error="no connection")
def test_get_visitor_number_calls_back_an_error_from_the_marker(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    assert page.evaluate(GET_VISITOR_NUMBER) == {
        "err": "no connection",
        "number": None,
        "sync": False,
    }


def test_get_visitor_number_error_set_and_cleared_by_the_test(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    jivo_mock.set_visitor_number_error("visitor unknown")
    assert page.evaluate(GET_VISITOR_NUMBER) == {
        "err": "visitor unknown",
        "number": None,
        "sync": False,
    }
    jivo_mock.set_visitor_number_error(None)
    assert page.evaluate(GET_VISITOR_NUMBER) == {"err": None, "number": 1, "sync": False}
    with pytest.raises(TypeError, match="error must be a str or None"):
        jivo_mock.set_visitor_number_error(42)  # type: ignore[arg-type]


IS_CALLBACK_ENABLED = """() => new Promise((resolve) => {
    let sync = true;
    jivo_api.isCallbackEnabled((res) => resolve({res, sync}));
    sync = false;
})"""


def test_is_callback_enabled_is_async_ok(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    assert page.evaluate(IS_CALLBACK_ENABLED) == {"res": {"result": "ok"}, "sync": False}


@pytest.mark.jivo_mock(callbacks_enabled=False)
def test_callbacks_disabled_fail_with_reason(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    reason = "callbacks are disabled for this widget"
    assert page.evaluate(IS_CALLBACK_ENABLED) == {
        "res": {"result": "fail", "reason": reason},
        "sync": False,
    }
    assert api(page, "jivo_api.startCall('+14084987855')") == {"result": "fail", "reason": reason}
    assert jivo_mock.callbacks("jivo_onCallEnd") == [[{"result": "fail", "reason": reason}]]
    assert jivo_mock.callbacks("jivo_onCallStart") == []


def test_start_call_ok_fires_call_start(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.startCall('+14084987855')") == {"result": "ok"}
    assert jivo_mock.callbacks("jivo_onCallStart") == [[]]
    assert jivo_mock.state()["call"] == {"phone": "+14084987855"}
    jivo_mock.set_callbacks_enabled(False)
    assert api(page, "jivo_api.startCall('+1')")["result"] == "fail"


def test_send_offline_message_fails_with_error_while_online(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    message = "{name: 'Ann', email: 'ann@example.com', message: 'Call me'}"
    online = api(page, f"jivo_api.sendOfflineMessage({message})")
    assert online["result"] == "fail"
    assert set(online) == {"result", "error"}  # `error`, never `reason`
    jivo_mock.set_chat_mode("offline")
    assert api(page, f"jivo_api.sendOfflineMessage({message})") == {"result": "ok"}
    missing = api(page, "jivo_api.sendOfflineMessage({name: 'Ann'})")
    assert missing == {"result": "fail", "error": "message is required"}


def test_chat_mode_follows_the_agents(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.chatMode()") == "online"
    jivo_mock.set_chat_mode("offline")
    assert api(page, "jivo_api.chatMode()") == "offline"
    with pytest.raises(ValueError, match="online"):
        jivo_mock.set_chat_mode("away")


@pytest.mark.jivo_mock(chat_mode="offline")
def test_chat_mode_from_marker(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.chatMode()") == "offline"


@pytest.mark.jivo_mock(strict=False)
def test_custom_data_over_the_limit_is_rejected(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.setCustomData([{content: 'ok', title: 'Plan', link: 'https://x.test/'}])")
    assert jivo_mock.state()["custom_data"] == [
        {"content": "ok", "title": "Plan", "link": "https://x.test/"}
    ]
    api(page, "jivo_api.setCustomData(Array.from({length: 11}, (_, i) => ({content: 'c' + i})))")
    api(page, "jivo_api.setCustomData([{title: 'none'}, {content: 'x', link: 'javascript:1'}])")
    assert jivo_mock.state()["custom_data"][0]["content"] == "ok"  # both calls rejected
    assert jivo_mock.violations == [
        "jivo_api.setCustomData(): 11 fields; Jivo accepts at most 10 (the call was rejected)",
        "jivo_api.setCustomData(): field 0 has no content (content is required)",
        'jivo_api.setCustomData(): field 1 link must be an http(s) URL, got string "javascript:1"',
    ]


@pytest.mark.jivo_mock(strict=False)
def test_client_attributes_limit_counts_across_page_views(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    url = serve()
    loaded(page, jivo_mock, url)
    for _ in range(6):
        api(page, "jivo_api.setClientAttributes({plan: 'pro', seats: 3})")
    assert jivo_mock.violations == []
    loaded(page, jivo_mock, url)  # a new page view by the same visitor
    for _ in range(5):
        api(page, "jivo_api.setClientAttributes({plan: 'pro'})")
    assert jivo_mock.violations == [
        "jivo_api.setClientAttributes(): called 11 times within an hour for this visitor; "
        "Jivo allows at most 10 (the call was rejected)"
    ]
    assert jivo_mock.state()["client_attributes"] == {"plan": "pro"}


def test_unread_count_grows_while_closed(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    jivo_mock.agent_sends_message("Hello")
    jivo_mock.agent_sends_message("Still there?")
    assert api(page, "jivo_api.getUnreadMessagesCount()") == 2
    assert jivo_mock.callbacks("jivo_onMessageReceived") == [[], []]
    jivo_mock.visitor_opens_chat()
    assert api(page, "jivo_api.getUnreadMessagesCount()") == 0
    jivo_mock.agent_sends_message("Read at once")
    assert api(page, "jivo_api.getUnreadMessagesCount()") == 0


def test_get_utm_reads_the_first_page_url(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve() + "?utm_source=news&utm_campaign=spring")
    assert api(page, "jivo_api.getUtm()") == {
        "content": None,
        "campaign": "spring",
        "source": "news",
        "medium": None,
        "term": None,
    }


@pytest.mark.jivo_mock(utm={"source": "ads", "term": "chat"})
def test_get_utm_from_marker(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    assert api(page, "jivo_api.getUtm()")["term"] == "chat"


def test_clear_history_forgets_the_visitor(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    jivo_mock.visitor_introduces(name="Ann", phone="+1 555")
    page.evaluate("""() => {
        jivo_api.setUserToken("u-42");
        jivo_api.setContactInfo({email: "ann@example.com"});
        jivo_api.setCustomData([{title: "Plan", content: "Pro"}]);
        jivo_api.setClientAttributes({plan: "Pro"});
    }""")
    jivo_mock.visitor_sends_message("hi")
    jivo_mock.visitor_closes_chat()
    jivo_mock.agent_sends_message("hello")
    assert api(page, "jivo_api.getUnreadMessagesCount()") == 1
    api(page, "jivo_api.clearHistory()")
    assert api(page, "jivo_api.getContactInfo()") == {
        "client_name": None,
        "email": None,
        "phone": None,
        "description": None,
    }
    assert api(page, "jivo_api.getUnreadMessagesCount()") == 0
    state = jivo_mock.state()
    assert state["messages"] == []
    assert state["user_token"] is None
    assert state["custom_data"] is None
    assert state["client_attributes"] == {}
    # A visitor message after clearing is a first message again.
    jivo_mock.visitor_sends_message("again")
    assert len(jivo_mock.callbacks("jivo_onMessageSent")) == 2


def test_setters_are_recorded_and_applied(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.setUserToken('u-42')")
    api(page, "jivo_api.setWidgetColor('#112233', '#445566')")
    api(page, "jivo_api.sendPageTitle('Cart', true, 'https://shop.test/cart')")
    api(page, "jivo_api.setRules({rules: []})")
    state = jivo_mock.state()
    assert state["user_token"] == "u-42"
    assert state["widget_color"] == "#112233"
    assert state["page_title"] == {"title": "Cart", "url": "https://shop.test/cart"}
    assert state["rules"] == {"rules": []}
    jivo_mock.assert_called("setWidgetColor", "#112233", "#445566")
    with pytest.raises(AssertionError, match="never called with"):
        jivo_mock.assert_called("setUserToken", "u-43")
    with pytest.raises(AssertionError, match="was not called"):
        jivo_mock.assert_called("setCustomData")
    jivo_mock.assert_not_called("clearHistory")


def test_every_catalog_method_and_global_is_implemented(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    assert page.evaluate("() => window.__jivoMock.unimplemented") == []
    names = page.evaluate("() => Object.keys(window.__JIVO_CATALOG__.methods)")
    assert names == list(catalog.METHODS)
    for name in catalog.METHODS:
        assert page.evaluate(f"() => typeof jivo_api.{name}") == "function"
    for name in catalog.GLOBALS:
        assert page.evaluate(f"() => typeof window.{name}") == "function"


# ---------------------------------------------------------------------- violations


@pytest.mark.jivo_mock(strict=False)
def test_unknown_and_undocumented_methods_go_through_the_proxy(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.sendMessage('hi')")
    api(page, "jivo_api.makeCoffee({sugar: 2})")
    # Promise machinery must not mistake the API for a thenable.
    assert page.evaluate("async () => (await jivo_api) === jivo_api")
    assert jivo_mock.calls() == [("sendMessage", ["hi"]), ("makeCoffee", [{"sugar": 2}])]
    assert jivo_mock.violations == [
        "jivo_api.sendMessage(): undocumented (seen in the wild, not in Jivo's docs); "
        "do not call it",
        "jivo_api.makeCoffee(): not a Jivo method",
    ]
    for name in catalog.UNDOCUMENTED_METHODS:
        api(page, f"jivo_api.{name}()")
    assert len(jivo_mock.violations) == 2 + len(catalog.UNDOCUMENTED_METHODS)


@pytest.mark.jivo_mock(strict=False)
def test_wrong_argument_types_are_violations(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.setUserToken(42)")
    api(page, "jivo_api.showProactiveInvitation('Hi', '5')")
    api(page, "jivo_api.setCustomData({content: 'x'})")
    api(page, "jivo_api.getVisitorNumber()")
    api(page, "jivo_api.chatMode('now')")
    api(page, "jivo_api.showProactiveInvitation('Hi', null)")  # null = absent optional: fine
    assert jivo_mock.violations == [
        "jivo_api.setUserToken(): argument token must be string, got number",
        "jivo_api.showProactiveInvitation(): argument department_id must be integer, "
        'got string "5"',
        "jivo_api.setCustomData(): argument fields must be array, got object",
        "jivo_api.getVisitorNumber(): missing required argument callback (function)",
        "jivo_api.chatMode(): takes at most 0 argument(s), got 1",
    ]
    assert jivo_mock.state()["user_token"] is None  # wrong type: not applied


@pytest.mark.jivo_mock(strict=False)
def test_violations_are_kept_after_navigation(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    url = serve()
    loaded(page, jivo_mock, url)
    api(page, "jivo_api.setUserInfo('x')")
    loaded(page, jivo_mock, url)  # the new document has a fresh, clean mock
    assert page.evaluate("() => window.__jivoMock.violations.length") == 0
    assert jivo_mock.violations == [
        "jivo_api.setUserInfo(): undocumented (seen in the wild, not in Jivo's docs); "
        "do not call it"
    ]


# ---------------------------------------------------------------------- visitor and agent


def test_visitor_introduces_themselves(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    jivo_mock.visitor_introduces(name="Ann", email="ann@example.com")
    assert jivo_mock.callbacks("jivo_onIntroduction") == [[]]
    assert api(page, "jivo_api.getContactInfo()") == {
        "client_name": "Ann",
        "email": "ann@example.com",
        "phone": None,
        "description": None,
    }


def test_first_visitor_message_starts_the_chat(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    jivo_mock.visitor_sends_message("Hello")
    jivo_mock.visitor_sends_message("Anyone?")
    assert fired(jivo_mock) == [
        "jivo_onLoadCallback",
        "jivo_onOpen",
        "jivo_onChangeState",
        "jivo_onResizeCallback",
        "jivo_onMessageSent",
        "jivo_onClientStartChat",
    ]
    jivo_mock.agent_accepts()
    jivo_mock.visitor_closes_chat()
    assert jivo_mock.callbacks()[-4:] == [
        ("jivo_onAccept", []),
        ("jivo_onClose", []),
        ("jivo_onChangeState", ["chat/min"]),
        ("jivo_onResizeCallback", []),
    ]


def test_invited_visitor_does_not_fire_client_start_chat(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve())
    api(page, "jivo_api.showProactiveInvitation('Need help?', 3)")
    assert jivo_mock.callbacks("jivo_onOpen") == [[]]  # the invitation opens the window
    jivo_mock.visitor_sends_message("Yes")
    assert jivo_mock.callbacks("jivo_onMessageSent") == [[]]
    assert jivo_mock.callbacks("jivo_onClientStartChat") == []


def test_clicking_the_label_opens_the_chat(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    page.get_by_role("button", name="Jivo chat (mock), closed").click()
    assert jivo_mock.callbacks("jivo_onOpen") == [[]]


def test_actions_before_load_raise(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    page.goto(serve(loader=None))
    with pytest.raises(Exception, match="the widget is absent"):
        jivo_mock.visitor_sends_message("too early")


# ---------------------------------------------------------------------- recording and waits


def test_calls_and_callbacks_are_recorded_in_order_and_dispatched(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    head = """<script>window.jivo_onLoadCallback = () => {
        jivo_api.setCustomData([{
            content: "\\u003c/script>\\u003c!--", title: "O'Brien \\u2028 \U0001f600"}]);
        jivo_api.open();
    };</script>"""
    loaded(page, jivo_mock, serve(head=head))
    assert jivo_mock.calls() == [
        ("setCustomData", [[{"content": "</script><!--", "title": "O'Brien \u2028 \U0001f600"}]]),
        ("open", []),
    ]
    assert page.evaluate("() => __events") == [
        "callback:jivo_onLoadCallback",
        "call:setCustomData",
        "call:open",
        "callback:jivo_onOpen",
        "callback:jivo_onChangeState",
        "callback:jivo_onResizeCallback",
    ]
    records = page.evaluate("() => __jivoMock.log.map((r) => r.seq)")
    assert records == sorted(records)


def test_fire_calls_the_page_handler_with_args(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    head = "<script>window.jivo_onCallEnd = (res) => { window.got = res; };</script>"
    loaded(page, jivo_mock, serve(head=head))
    jivo_mock.fire("jivo_onCallEnd", {"result": "ok"})
    assert page.evaluate("() => window.got") == {"result": "ok"}
    jivo_mock.fire("jivo_onAccept")  # no handler defined: recorded as not handled
    assert page.evaluate("() => __jivoMock.callbacks.map((r) => r.handled)") == [
        False,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="not a Jivo callback"):
        jivo_mock.fire("jivo_onSomething")


def test_wait_for_call_waits_for_timers(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    head = """<script>window.jivo_onLoadCallback = () =>
        setTimeout(() => jivo_api.setUserToken("late"), 50);</script>"""
    page.goto(serve(head=head))
    assert jivo_mock.wait_for_call("setUserToken") == [["late"]]
    with pytest.raises(AssertionError, match=r"setUserToken was recorded fewer than 2"):
        jivo_mock.wait_for_call("setUserToken", count=2, timeout=200)


def test_wait_for_load_explains_a_missing_loader(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    page.goto(serve(loader=None))
    with pytest.raises(AssertionError, match="no Jivo loader URL was requested"):
        jivo_mock.wait_for_load(timeout=200)


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_handler_errors_are_page_errors(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    head = "<script>window.jivo_onOpen = () => { throw new TypeError('broken handler'); };</script>"
    loaded(page, jivo_mock, serve(head=head))
    assert api(page, "jivo_api.open()") == {"result": "ok"}  # the widget keeps working
    assert jivo_mock.page_errors == ["TypeError: broken handler"]
    assert jivo_mock.callbacks("jivo_onChangeState") == [["chat"]]


# ---------------------------------------------------------------------- standalone loader


@pytest.mark.parametrize(
    ("widget_id", "attrs"), [(WIDGET_ID, ""), (None, f'data-jv-id="{WIDGET_ID}"')]
)
def test_standalone_loader_from_a_plain_server(
    page: Page, live_server: Any, widget_id: str | None, attrs: str
) -> None:
    # No jivo_mock fixture and no routing: what the demo site does.
    script = mock_loader_script(widget_id, MockOptions(chat_mode="offline"))
    src = live_server.add("/mock-jivo.js", script, content_type="application/javascript")
    html = f"""<script>window.jivo_onLoadCallback = () => {{
        window.mode = jivo_api.chatMode(); jivo_api.setUserToken("u-1"); }};</script>
        <script async src="{src}" {attrs}></script>"""
    page.goto(live_server.add("/", html))
    page.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
    assert page.evaluate("() => [window.mode, __jivoMock.state().widget_id]") == [
        "offline",
        WIDGET_ID,
    ]
    assert page.evaluate("() => __jivoMock.calls.map((c) => [c.name, c.args])") == [
        ["chatMode", []],
        ["setUserToken", ["u-1"]],
    ]


# ---------------------------------------------------------------------- the catalog drives the mock


def test_mock_reads_patterns_and_field_lists_from_the_catalog(page: Page, live_server: Any) -> None:
    # A catalog changed in the page (no jivo_mock fixture, so the page's catalog wins): the mock
    # must follow it, i.e. it repeats none of the catalog's facts itself.
    changed = catalog.as_json()
    changed["patterns"] = {"widget_id": "W[0-9]+", "color": "#[0-9a-f]{3}"}
    changed["fields"]["contact"] = ["nick", "email", "phone", "description"]
    changed["fields"]["contact_info_result"] = ["client_nick", "email", "phone", "description"]
    changed["fields"]["offline_message"] = ["text"]
    changed["fields"]["custom_data"] = ["content", "colour"]
    changed["fields"]["utm"] = ["source", "gclid"]
    src = live_server.add(
        "/mock-jivo.js", mock_loader_script("W42"), content_type="application/javascript"
    )
    html = f"""<script>window.__JIVO_CATALOG__ = {json.dumps(changed)};</script>
        <script async src="{src}"></script>"""
    page.goto(live_server.add("/", html) + "?utm_gclid=g1&utm_source=s1&utm_medium=m1")
    page.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
    result = page.evaluate("""() => {
        jivo_api.setWidgetColor("#abc");
        jivo_api.setWidgetColor("#aabbcc");
        jivo_api.setContactInfo({nick: "Ann", name: "x"});
        jivo_api.setCustomData([{content: "c", colour: "red", title: "t"}]);
        jivo_api.sendOfflineMessage({text: "hi", message: "m"});
        return {contact: jivo_api.getContactInfo(), utm: jivo_api.getUtm(),
                violations: __jivoMock.violations.map((v) => v.message)};
    }""")
    assert result["contact"] == {
        "client_nick": "Ann",
        "email": None,
        "phone": None,
        "description": None,
    }
    assert result["utm"] == {"source": "s1", "gclid": "g1"}
    assert result["violations"] == [
        'jivo_api.setWidgetColor(): color must be #rrggbb, got string "#aabbcc"',
        'jivo_api.setContactInfo(): unknown contact key "name"',
        'jivo_api.setCustomData(): unknown field 0 key "title"',
        'jivo_api.sendOfflineMessage(): unknown offline message key "message"',
    ]


def test_widget_id_pattern_is_anchored(page: Page, live_server: Any) -> None:
    # The catalog's patterns are unanchored; a partial match is still not a widget id.
    src = live_server.add(
        "/mock-jivo.js", mock_loader_script("ok_id but not!"), content_type="application/javascript"
    )
    page.goto(live_server.add("/", f'<script async src="{src}"></script>'))
    page.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
    assert page.evaluate("() => __jivoMock.violations.map((v) => v.message)") == [
        'loader: widget id string "ok_id but not!" does not look like a Jivo widget id'
    ]


@pytest.mark.parametrize("host", catalog.LEGACY_LOADER_HOSTS)
@pytest.mark.parametrize("form", FORMS)
def test_legacy_loader_hosts_are_routed_to_the_mock(
    page: Page, jivo_mock: JivoMock, pages: Pages, host: str, form: str
) -> None:
    page.goto(pages.add("/", f"<body>{loader_markup(form, f'https://{host}')}</body>"))
    jivo_mock.wait_for_load()
    assert jivo_mock.widget_id == WIDGET_ID
    assert [url.split("/")[2] for url in jivo_mock.loader_requests] == [host]
    assert jivo_mock.blocked_requests == []


def test_call_lifecycle_start_then_end(page: Page, jivo_mock: JivoMock, serve: Serve) -> None:
    loaded(page, jivo_mock, serve())
    with pytest.raises(Exception, match="no call in progress"):
        jivo_mock.call_ends()
    assert api(page, "jivo_api.startCall('+14084987855')") == {"result": "ok"}
    jivo_mock.call_ends()
    calls = [c for c in fired(jivo_mock) if c.startswith("jivo_onCall")]
    assert calls == ["jivo_onCallStart", "jivo_onCallEnd"]
    assert jivo_mock.callbacks("jivo_onCallEnd") == [[{"result": "ok"}]]
    assert jivo_mock.state()["call"] is None
    with pytest.raises(Exception, match="no call in progress"):
        jivo_mock.call_ends()


# ---------------------------------------------------------------------- misspelt callbacks

TYPO = "not a Jivo callback, so Jivo never calls it"


@pytest.mark.jivo_mock(strict=False)
def test_a_misspelt_page_callback_is_a_violation_at_load(
    page: Page, jivo_mock: JivoMock, serve: Serve
) -> None:
    loaded(page, jivo_mock, serve("<script>window.jivo_onIntroduce = function () {};</script>"))
    assert jivo_mock.violations == [
        f"window.jivo_onIntroduce: {TYPO} (did you mean jivo_onIntroduction?)"
    ]
    # Found when the widget loaded, before jivo_onLoadCallback fired, not only when read.
    log = api(page, "__jivoMock.log.map((r) => r.kind + ':' + r.name)")
    assert log.index("violation:window.jivo_onIntroduce") < log.index(
        "callback:jivo_onLoadCallback"
    )


@pytest.mark.jivo_mock(strict=False)
def test_a_misspelt_callback_registered_with_the_glue_is_a_violation_when_read(
    page: Page, jivo_mock: JivoMock, pages: Pages
) -> None:
    from jivo_widget import Widget

    glue = Widget(widget_id=WIDGET_ID, handlers={"jivo_onOpen": "1;"}).render()
    loaded(page, jivo_mock, pages.add("/", f"<html><body>{glue}</body></html>"))
    assert jivo_mock.violations == []  # the glue's own accessors are real callbacks
    # After the load: only a later read (the strict teardown's) can find it. The glue owns
    # window.jivo_onOpne now, as an accessor, which is what Jivo would (never) call.
    api(page, "jivoWidget.on('jivo_onOpne', function () {})")
    api(page, "jivoWidget.on('jivo_onClose', function () {})")  # a real one: fine
    assert api(page, "typeof Object.getOwnPropertyDescriptor(window, 'jivo_onOpne').get") == (
        "function"
    )
    expected = [f"window.jivo_onOpne: {TYPO} (did you mean jivo_onOpen?)"]
    assert jivo_mock.violations == expected
    assert jivo_mock.violations == expected  # recorded once, however often it is read
