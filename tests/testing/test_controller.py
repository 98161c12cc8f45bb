"""When the widget does not load, `jivo_mock`'s waits say why, in the assertion message.

One test per diagnosis: an HTTP error page, a Content Security Policy that blocks the loader,
an uncaught page error, no loader requested at all, a page loaded before the fixture was set up
(the fixture-ordering trap), a page that never navigated, a destroyed widget; and the wait's
default of a few seconds, set per test by the marker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page

from jivo_widget.testing import JivoMock
from jivo_widget.testing.controller import DEFAULT_WAIT_TIMEOUT_MS, JIVO_URL

pytestmark = pytest.mark.browser

LOADER = "https://code.jivosite.com/widget/AbCdEf1234"
LOADER_TAG = f'<script async src="{LOADER}"></script>'
SHORT = 300  # ms: every wait here is meant to fail


class Site:
    """A real server on 127.0.0.1: each path answers a status, headers and a body."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = pages.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def add(self, path: str, html: str, status: int = 200, **headers: str) -> str:
        self.pages[path] = (
            status,
            {k.replace("_", "-"): v for k, v in headers.items()},
            html.encode(),
        )
        return self.url + path


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.server.shutdown()
    served.server.server_close()


def why(jivo_mock: JivoMock, timeout: float = SHORT) -> str:
    with pytest.raises(AssertionError) as failure:
        jivo_mock.wait_for_load(timeout=timeout)
    return str(failure.value)


def test_the_default_wait_is_a_few_seconds(page: Page, jivo_mock: JivoMock) -> None:
    assert DEFAULT_WAIT_TIMEOUT_MS == 5000
    assert jivo_mock.wait_timeout == DEFAULT_WAIT_TIMEOUT_MS


@pytest.mark.jivo_mock(wait_timeout=SHORT)
def test_the_marker_sets_the_wait_and_the_message_says_it(
    page: Page, jivo_mock: JivoMock, site: Site
) -> None:
    assert jivo_mock.wait_timeout == SHORT
    page.goto(site.add("/", "<p>no chat here</p>"))
    with pytest.raises(AssertionError) as failure:
        jivo_mock.wait_for_load()  # the marker's timeout, not Playwright's 30 s
    message = str(failure.value)
    assert message.startswith(
        f"the Jivo widget did not load within {SHORT} ms (jivo_onLoadCallback never fired)"
    )
    assert "wait_timeout" in message  # how to change it


def test_an_http_error_page(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    url = site.add("/checkout", "<h1>Server Error</h1>", status=500)
    page.goto(url)
    assert f"the page answered HTTP 500 (Internal Server Error) for {url}" in why(jivo_mock)


def test_a_csp_that_blocks_the_loader(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    csp = "script-src 'self' 'unsafe-inline'"
    page.goto(site.add("/", LOADER_TAG, Content_Security_Policy=csp))
    message = why(jivo_mock)
    assert "no Jivo loader URL was requested" in message
    assert f"Content Security Policy blocked {LOADER} (script-src-elem)" in message
    # The console says it too (Chromium's wording changes between versions).
    console = [line for line in message.splitlines() if line.startswith("  - console: ")]
    assert len(console) == 1
    assert LOADER in console[0]
    assert "Content Security Policy directive" in console[0]


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_an_uncaught_page_error(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    page.goto(site.add("/", "<script>throw new TypeError('glue is broken');</script>"))
    message = why(jivo_mock)
    assert "uncaught page errors: TypeError: glue is broken" in message
    assert "no Jivo loader URL was requested" in message


def test_no_loader_requested(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    page.goto(site.add("/", "<p>the template forgot the glue</p>"))
    message = why(jivo_mock)
    assert "no Jivo loader URL was requested" in message
    assert "HTTP" not in message  # a 200 is not worth a line


def test_a_jivo_url_that_is_not_a_loader(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    other = "https://code.jivosite.com/js/bundle_en_US.js"
    page.goto(site.add("/", f'<script async src="{other}"></script>'))
    message = why(jivo_mock)
    assert "no Jivo loader URL was requested" in message
    assert f"Jivo URLs that are not a loader were aborted: {other}" in message


def test_the_page_navigated_before_the_fixture(
    page: Page, site: Site, request: pytest.FixtureRequest
) -> None:
    # The fixture-ordering trap: a fixture (here, the test) navigates before jivo_mock exists.
    page.route(JIVO_URL, lambda route: route.abort())  # keep the test off the network
    url = site.add("/", LOADER_TAG)
    page.goto(url)
    jivo_mock: JivoMock = request.getfixturevalue("jivo_mock")
    message = why(jivo_mock)
    assert f"the page already showed {url} when the jivo_mock fixture was set up" in message
    assert "request jivo_mock before any fixture that navigates" in message
    assert f"this document ({url}) has no Jivo mock" in message


def test_the_page_never_navigated(page: Page, jivo_mock: JivoMock) -> None:
    message = why(jivo_mock)
    assert "the page has not navigated yet (it is about:blank): call page.goto(...)" in message
    assert "already showed" not in message


@pytest.mark.jivo_mock(strict=False)
def test_a_destroyed_widget(page: Page, jivo_mock: JivoMock, site: Site) -> None:
    head = "<script>window.jivo_onLoadCallback = () => jivo_destroy();</script>"
    page.goto(site.add("/", head + LOADER_TAG))
    jivo_mock.wait_for_callback("jivo_onWidgetDestroy")
    message = why(jivo_mock)
    assert f"Jivo loader URLs requested: {LOADER}" in message
    assert "the page destroyed the widget (jivo_destroy()) and did not call jivo_init()" in message


def test_other_waits_explain_a_widget_that_never_loaded(
    page: Page, jivo_mock: JivoMock, site: Site
) -> None:
    page.goto(site.add("/", "<p>no chat</p>"))
    with pytest.raises(AssertionError) as failure:
        jivo_mock.wait_for_call("setUserToken", timeout=SHORT)
    message = str(failure.value)
    assert message.startswith("setUserToken was recorded fewer than 1 time(s) within 300 ms")
    assert "the Jivo widget never loaded" in message
    assert "no Jivo loader URL was requested" in message
    with pytest.raises(AssertionError, match="no Jivo loader URL was requested"):
        jivo_mock.wait_for_callback("jivo_onOpen", timeout=SHORT)
