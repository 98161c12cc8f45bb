"""The wait timeout from marker, option and ini key, and the fixture-ordering trap, as a user's
suite meets them (pytester, subprocess)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

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
    no_trap = result.stdout.str().split(" test_no_trap[chromium] ")[1]
    assert "already showed" not in no_trap
    assert "no Jivo loader URL was requested" in no_trap
