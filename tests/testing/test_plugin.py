"""The pytest plugin as a user runs it: inner pytest runs in subprocesses (pytester)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# The inner projects serve their pages through Playwright itself (https://shop.test/ works
# without certificates), so they need no server.
SHOP = """
SHOP = "https://shop.test/"
LOADER = '<script async src="https://code.jivosite.com/widget/AbCdEf1234"></script>'


def open_shop(page, head=""):
    html = "<!doctype html><head>" + head + "</head><body>" + LOADER + "</body>"
    page.route(SHOP, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(SHOP)
"""

UNDOCUMENTED = (
    "jivo_api.sendMessage(): undocumented (seen in the wild, not in Jivo's docs); do not call it"
)


def test_fixture_strict_teardown_markers_and_page_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SHOP
        + """
import pytest

pytestmark = pytest.mark.jivo_mock(strict=False)  # relaxed for the module...


@pytest.mark.jivo_mock(strict=True)  # ...but the closest scope wins
def test_identity_passes(page, jivo_mock):
    open_shop(page, "<script>window.jivo_onLoadCallback = () => jivo_api.setUserToken('u-42');"
                    "</script>")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["u-42"]]


@pytest.mark.jivo_mock(strict=True)
def test_violation_fails(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => { jivo_api.sendMessage('hi'); jivo_api.setUserToken(42); }")


def test_violation_relaxed_by_module_marker(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivo_api.sendMessage('hi')")
    assert len(jivo_mock.violations) == 1


@pytest.mark.jivo_mock(strict=True)
def test_violation_before_navigation_still_fails(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivo_api.sendMessage('hi')")
    page.goto("about:blank")


def test_page_error_fails(page, jivo_mock):
    open_shop(page, "<script>window.jivo_onLoadCallback = () => { throw new Error('boom'); };"
                    "</script>")
    jivo_mock.wait_for_load()
    page.evaluate("() => new Promise((r) => setTimeout(r, 0))")  # let the rethrow land


@pytest.mark.jivo_mock(allow_page_errors=True)
def test_page_error_allowed(page, jivo_mock):
    open_shop(page, "<script>window.jivo_onLoadCallback = () => { throw new Error('boom'); };"
                    "</script>")
    jivo_mock.wait_for_load()


@pytest.mark.jivo_mock(colour="red")
def test_unknown_marker_option(page, jivo_mock):
    pass


@pytest.mark.jivo_mock(chat_mode="away")
def test_bad_marker_value(page, jivo_mock):
    pass


def test_own_failure_shows_what_the_mock_saw(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivo_api.setUserInfo({})")
    assert False, "the test's own failure"
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "error")
    result.assert_outcomes(passed=3, failed=4, errors=2)
    outcomes = {
        "test_identity_passes": "PASSED",
        "test_violation_fails": "FAILED",
        "test_violation_relaxed_by_module_marker": "PASSED",
        "test_violation_before_navigation_still_fails": "FAILED",
        "test_page_error_fails": "FAILED",
        "test_page_error_allowed": "PASSED",
        "test_unknown_marker_option": "ERROR",
        "test_bad_marker_value": "ERROR",
        "test_own_failure_shows_what_the_mock_saw": "FAILED",
    }
    result.stdout.fnmatch_lines_random(
        [f"{outcome} *::{name}[[]chromium[]]*" for name, outcome in outcomes.items()]
    )
    # The failure text lists every violation, readably, with the way to relax it.
    result.stdout.fnmatch_lines(
        [
            "*_ test_violation_fails?chromium? _*",
            "jivo_mock: 2 Jivo contract violation(s):",
            f"  - {UNDOCUMENTED}",
            "  - jivo_api.setUserToken(): argument token must be string, got number",
            "(to allow: @pytest.mark.jivo_mock(strict=False) or --jivo-mock-lax)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_page_error_fails?chromium? _*",
            "jivo_mock: 1 page error(s):",
            "  - Error: boom",
            "(to allow: @pytest.mark.jivo_mock(allow_page_errors=True))",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.jivo_mock: unknown option(s) colour; known: strict, allow_page_errors*"]
    )
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.jivo_mock: chat_mode must be 'online' or 'offline', got 'away'*"]
    )
    result.stdout.fnmatch_lines(
        [
            "*the test's own failure*",
            "*Captured jivo_mock call*",
            "1 Jivo contract violation(s):",
            "  - jivo_api.setUserInfo(): undocumented*",
        ]
    )


def test_lax_option_relaxes_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SHOP
        + """
import pytest


def test_lax(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivo_api.sendMessage('hi')")


@pytest.mark.jivo_mock(strict=True)
def test_marker_beats_option(page, jivo_mock):
    open_shop(page)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivo_api.sendMessage('hi')")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--jivo-mock-lax")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_marker_beats_option*"])


def test_launch_args_chain_through_a_user_conftest(pytester: pytest.Pytester) -> None:
    # A user's conftest that merges browser_type_launch_args receives the plugin's value.
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "args": [*browser_type_launch_args["args"], "--mute-audio"]}
"""
    )
    pytester.makepyfile(
        """
from jivo_widget.testing.chromium import LAUNCH_FLAGS, system_chromium

def test_args(browser, browser_type_launch_args):
    assert browser_type_launch_args["executable_path"] == system_chromium()
    assert browser_type_launch_args["args"] == [*LAUNCH_FLAGS, "--mute-audio"]
    assert browser.version.split(".")[0].isdigit()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)


def test_fixture_docstring_in_pytest_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    result.stdout.fnmatch_lines(
        [
            "jivo_mock -- *plugin.py*",
            "*The mocked Jivo widget for this test's ``page`` (and its whole browser context).",
        ]
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.jivo_mock(*, strict=True, allow_page_errors=*"])


# The user story as a user's project has it: their own `live_server` fixture (the name
# pytest-django and pytest-flask use) serving a page rendered by Widget.render, per request.
USER_CONFTEST = """
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jivo_widget import Widget

widget = Widget(widget_id="AbCdEf1234", invitation={"text": "Need help?", "delay": 20})


class Shop(BaseHTTPRequestHandler):
    def do_GET(self):
        glue = widget.render(
            user_token="u-42",
            contact={"name": "Ann", "email": "ann@example.com"},
            custom_data=[{"title": "Plan", "content": "Pro", "link": "https://crm.example.com/u/42"}],
            nonce="n0nce",
        )
        body = f"<!doctype html><html><head>{glue}</head><body>Shop</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def live_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
"""

USER_STORY = """
def test_chat_gets_identity(page, jivo_mock, live_server):
    page.goto(live_server.url)
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["u-42"]]
    assert jivo_mock.calls("setContactInfo") == [[{"name": "Ann", "email": "ann@example.com"}]]
    assert jivo_mock.loader_requests == ["https://code.jivosite.com/widget/AbCdEf1234"]
"""


def test_user_story_with_the_users_own_live_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(USER_STORY)
    # pytest-django's autouse fixture would take over any fixture named live_server.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:django", "-W", "error"
    )
    result.assert_outcomes(passed=1)


def test_plugin_defines_no_live_server_fixture(pytester: pytest.Pytester) -> None:
    # pytest-django and pytest-flask define `live_server`; ours would clash with theirs.
    pytester.makepyfile("def test_needs_it(live_server):\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:django", "-p", "no:flask"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'live_server' not found*"])
