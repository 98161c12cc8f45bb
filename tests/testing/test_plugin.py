"""The pytest plugin as a user runs it: inner pytest runs in subprocesses (pytester).

Strict teardown, markers and page errors; page code that tries to make a failing test pass;
the wait timeout from marker, option and ini key; the fixture-ordering trap.
"""

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


def settle(page):
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 20))")
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


def test_misspelt_callbacks_fail_a_strict_test_naming_the_real_ones(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        SHOP
        + """
from jivo_widget import Widget


def test_typos(page, jivo_mock):
    glue = str(Widget(widget_id="AbCdEf1234").render())
    head = "<script>window.jivo_onIntroduce = function () {};</script>"
    html = "<!doctype html><head>" + head + "</head><body>" + glue + "</body>"
    page.route(SHOP, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(SHOP)
    jivo_mock.wait_for_load()
    page.evaluate("() => jivoWidget.on('jivo_onOpne', function () {})")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(failed=1)
    typo = "not a Jivo callback, so Jivo never calls it"
    result.stdout.fnmatch_lines(
        [
            "jivo_mock: 2 Jivo contract violation(s):",
            f"  - window.jivo_onIntroduce: {typo} (did you mean jivo_onIntroduction?)",
            f"  - window.jivo_onOpne: {typo} (did you mean jivo_onOpen?)",
        ]
    )


# ---------------------------------------------------------------------- strict mode under attack
# Page code cannot make a failing test pass.

# Each inner test misuses Jivo's API (or throws) and then tries to hide it; each must fail.
ATTEMPTS = {
    "report_channel_overwritten_then_navigated": """
    page.evaluate("() => { window.__jivoMockReport = () => 0; jivo_api.makeCoffee(); }")
    page.goto("about:blank")
""",
    "violations_cleared": """
    page.evaluate("() => { jivo_api.makeCoffee(); __jivoMock.violations.length = 0; }")
""",
    "mock_replaced": """
    page.evaluate("() => { jivo_api.makeCoffee(); window.__jivoMock = {violations: []}; }")
""",
    "method_replaced": """
    page.evaluate("() => { jivo_api.setCustomData = () => ({result: 'ok'}); }")
""",
    "jivo_api_replaced": """
    page.evaluate("() => { window.jivo_api = {setUserToken() {}}; }")
""",
    "error_hidden_by_onerror": """
    page.evaluate("() => { onerror = () => true; setTimeout(() => { throw Error('hidden'); }); }")
    settle(page)
""",
    "error_reported_with_report_error": """
    page.evaluate("() => reportError(new TypeError('from a handler'))")
    settle(page)
""",
}

EXPECTED = {
    "report_channel_overwritten_then_navigated": "jivo_api.makeCoffee(): not a Jivo method",
    "violations_cleared": "jivo_api.makeCoffee(): not a Jivo method",
    "mock_replaced": "jivo_api.makeCoffee(): not a Jivo method",
    "method_replaced": "jivo_api.setCustomData: page code tried to replace it (assignment)*",
    "jivo_api_replaced": "window.jivo_api: page code tried to replace it*",
    "error_hidden_by_onerror": "Error: hidden (hidden from the browser: the page cancelled*",
    "error_reported_with_report_error": "TypeError: from a handler",
}


def test_tampering_pages_still_fail_strict_tests(pytester: pytest.Pytester) -> None:
    tests = "".join(
        f"\n\ndef test_{name}(page, jivo_mock):\n    open_shop(page)\n    jivo_mock.wait_for_load()"
        f"{body}"
        for name, body in ATTEMPTS.items()
    )
    pytester.makepyfile(SHOP + tests)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "error")
    result.assert_outcomes(failed=len(ATTEMPTS))
    for name, message in EXPECTED.items():
        result.stdout.fnmatch_lines(
            [f"*_ test_{name}?chromium? _*", "jivo_mock: 1 *", f"  - {message}"]
        )


# ---------------------------------------------------------------------- waits


WAITS = """
import pytest


def test_option_beats_ini(jivo_mock):
    assert jivo_mock.wait_timeout == {expected}


@pytest.mark.jivo_mock(wait_timeout=250)
def test_marker_beats_option(jivo_mock):
    assert jivo_mock.wait_timeout == 250


@pytest.mark.jivo_mock(wait_timeout=0)
def test_zero_is_refused(jivo_mock):
    pass


@pytest.mark.jivo_mock(wait_timeout="5s")
def test_text_is_refused(jivo_mock):
    pass
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [((), 400), (("--jivo-mock-wait-timeout", "300"), 300)],
    ids=["ini", "option"],
)
def test_wait_timeout_from_marker_option_and_ini(
    pytester: pytest.Pytester, args: tuple[str, ...], expected: int
) -> None:
    pytester.makeini("[pytest]\njivo_mock_wait_timeout = 400\n")
    pytester.makepyfile(WAITS.format(expected=expected))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.jivo_mock: wait_timeout must be a number of milliseconds > 0, got 0*"]
    )
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.jivo_mock: wait_timeout must be a number of milliseconds > 0, got '5s'*"]
    )


def test_a_bad_option_or_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(jivo_mock):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--jivo-mock-wait-timeout=-1")
    result.stderr.fnmatch_lines(
        ["*--jivo-mock-wait-timeout must be a number of milliseconds > 0, got '-1'*"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    pytester.makeini("[pytest]\njivo_mock_wait_timeout = soon\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(
        ["*jivo_mock_wait_timeout (ini) must be a number of milliseconds > 0, got 'soon'*"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


TRAP = """
import pytest

SHOP = "https://shop.test/"


@pytest.fixture
def shop(page):
    page.route(SHOP, lambda route: route.fulfill(body="<p>shop</p>", content_type="text/html"))
    page.goto(SHOP)
    return page


def test_trap(shop, jivo_mock):  # shop navigates before jivo_mock is set up
    jivo_mock.wait_for_load()


@pytest.fixture
def good_shop(page, jivo_mock):
    page.route(SHOP, lambda route: route.fulfill(body="<p>shop</p>", content_type="text/html"))
    page.goto(SHOP)
    return page


def test_no_trap(good_shop, jivo_mock):
    jivo_mock.wait_for_load()
"""


def test_the_fixture_ordering_trap_is_named(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\njivo_mock_wait_timeout = 300\n")
    pytester.makepyfile(TRAP)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--tb=short")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_trap?chromium? _*",
            "E   AssertionError: the Jivo widget did not load within 300 ms*",
            "E     - the page already showed https://shop.test/ when the jivo_mock fixture *",
            "*_ test_no_trap?chromium? _*",
        ]
    )
    # Only the test's own section: the short summary below it repeats test_trap's
    # message in full when pytest runs under CI (it does not truncate there).
    no_trap = result.stdout.str().split(" test_no_trap[chromium] ")[1]
    no_trap = no_trap.split("short test summary info")[0]
    assert "already showed" not in no_trap
    assert "no Jivo loader URL was requested" in no_trap
