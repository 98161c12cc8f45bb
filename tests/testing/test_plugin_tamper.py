"""Strict mode as a user's suite runs it (pytester): page code cannot make a failing test pass."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

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
