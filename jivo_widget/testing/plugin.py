"""The pytest plugin (``pytest11`` entry point): the ``jivo_mock`` fixture and a usable Chromium.

- ``jivo_mock``: the mocked Jivo widget on pytest-playwright's ``page`` (see :class:`JivoMock`).
- Contract violations (and page errors) fail the test after its body, with a readable list,
  unless relaxed by ``@pytest.mark.jivo_mock(strict=False)`` (closest scope wins) or
  ``--jivo-mock-lax``.
- The waits time out after ``wait_timeout`` ms: the marker's, else ``--jivo-mock-wait-timeout``,
  else the ``jivo_mock_wait_timeout`` ini key, else ``DEFAULT_WAIT_TIMEOUT_MS``.
- Chromium: ``--jivo-chromium`` > ``jivo_chromium`` ini > ``$JIVO_CHROMIUM`` > Playwright's
  download > system Chromium, merged into ``browser_type_launch_args`` by ``_launch``.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import pytest

from jivo_widget.config import STRICT_ENV
from jivo_widget.testing.chromium import (
    ChromiumChoice,
    ChromiumNotUsable,
    chromium_version,
    find_chromium,
)
from jivo_widget.testing.controller import DEFAULT_WAIT_TIMEOUT_MS, JivoMock, problems_listing
from jivo_widget.testing.scripts import MockOptions
from jivo_widget.testing.webhooks import jivo_webhooks  # noqa: F401  (registers the fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["MockSettings", "chromium_choice", "jivo_mock"]

MARKER = "jivo_mock"
#: The entry-point name of pytest-playwright-asyncio, whose `page` is Playwright's async one.
ASYNC_PLAYWRIGHT_PLUGIN = "playwright-asyncio"
_CHOICE_KEY = pytest.StashKey[ChromiumChoice | None]()
_MOCK_KEY = pytest.StashKey["tuple[JivoMock, MockSettings]"]()


@dataclass(frozen=True, kw_only=True)
class MockSettings:
    """Per-test settings from ``@pytest.mark.jivo_mock(...)`` and the command line.

    ``strict``: contract violations fail the test. ``allow_page_errors``: uncaught page errors
    do not fail it. ``wait_timeout``: the waits' default timeout in ms. The other keywords are
    :class:`MockOptions` (how the widget behaves).
    """

    strict: bool = True
    allow_page_errors: bool = False
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT_MS
    options: MockOptions = field(default_factory=MockOptions)


_OPTION_NAMES = tuple(f.name for f in fields(MockOptions))
_SETTING_NAMES = ("strict", "allow_page_errors", "wait_timeout")
_TIMEOUT_KEY = pytest.StashKey[float]()


def _timeout(value: object, where: str) -> float:
    """A wait timeout in ms from a marker, option or ini value; ``ValueError`` names ``where``."""
    number: object = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float) or not 0 < number < 1e9:
        raise ValueError(f"{where} must be a number of milliseconds > 0, got {value!r}")
    return float(number)


def configured_wait_timeout(config: pytest.Config) -> float:
    """``--jivo-mock-wait-timeout``, else the ``jivo_mock_wait_timeout`` ini key, else the default.

    Raises ``pytest.UsageError`` for a value that is not a positive number.
    """
    if _TIMEOUT_KEY not in config.stash:
        option = config.getoption("jivo_mock_wait_timeout")
        ini = config.getini("jivo_mock_wait_timeout")
        try:
            if option is not None:
                value = _timeout(option, "--jivo-mock-wait-timeout")
            elif ini:
                value = _timeout(ini, "jivo_mock_wait_timeout (ini)")
            else:
                value = DEFAULT_WAIT_TIMEOUT_MS
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_TIMEOUT_KEY] = value
    return config.stash[_TIMEOUT_KEY]


def settings_for(item: pytest.Item) -> MockSettings:
    """Merge the ``jivo_mock`` markers of ``item`` (closest scope wins) over the CLI default."""
    merged: dict[str, Any] = {
        "strict": not item.config.getoption("jivo_mock_lax"),
        "wait_timeout": configured_wait_timeout(item.config),
    }
    # iter_markers yields the closest first; apply the farthest first so closer ones win.
    for mark in reversed(list(item.iter_markers(MARKER))):
        if mark.args:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, got {mark.args!r}"
            )
        unknown = set(mark.kwargs) - set(_SETTING_NAMES) - set(_OPTION_NAMES)
        if unknown:
            known = ", ".join((*_SETTING_NAMES, *_OPTION_NAMES))
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER}: unknown option(s) {', '.join(sorted(unknown))}; "
                f"known: {known}"
            )
        merged.update(mark.kwargs)
    for name in ("strict", "allow_page_errors"):
        if name in merged and not isinstance(merged[name], bool):
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: {name} must be True or False")
    try:
        wait_timeout = _timeout(merged["wait_timeout"], "wait_timeout")
    except ValueError as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}") from None
    try:
        options = MockOptions(**{k: merged[k] for k in _OPTION_NAMES if k in merged})
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}") from None
    return MockSettings(
        strict=merged["strict"],
        allow_page_errors=merged.get("allow_page_errors", False),
        wait_timeout=wait_timeout,
        options=options,
    )


# ---------------------------------------------------------------------- options and config


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the ``jivo-widget`` group and the ``jivo_chromium`` ini key."""
    group = parser.getgroup("jivo-widget", "jivo-widget (mocked Jivo widget)")
    group.addoption(
        "--jivo-chromium",
        dest="jivo_chromium",
        default=None,
        metavar="PATH",
        help="Chromium executable for Playwright (default: jivo_chromium ini key, "
        "$JIVO_CHROMIUM, Playwright's download, then a system Chromium)",
    )
    group.addoption(
        "--jivo-mock-lax",
        dest="jivo_mock_lax",
        action="store_true",
        default=False,
        help="do not fail tests on Jivo contract violations (markers can still set strict=True)",
    )
    group.addoption(
        "--jivo-mock-wait-timeout",
        dest="jivo_mock_wait_timeout",
        default=None,
        metavar="MS",
        help="default timeout of jivo_mock's waits in ms (default: the jivo_mock_wait_timeout "
        f"ini key, else {DEFAULT_WAIT_TIMEOUT_MS})",
    )
    parser.addini("jivo_chromium", "Chromium executable for Playwright", default=None)
    parser.addini(
        "jivo_mock_wait_timeout",
        f"default timeout of jivo_mock's waits in ms (default {DEFAULT_WAIT_TIMEOUT_MS})",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, check an explicit Chromium, and load the launch-args override late."""
    # Test sessions render strictly: bad request data fails the test (JIVO_WIDGET_STRICT=0: not).
    os.environ.setdefault(STRICT_ENV, "1")
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*, strict=True, allow_page_errors=False, wait_timeout=ms, chat_mode='online', "
        "callbacks_enabled=True, visitor_number=1, visitor_number_error=None, utm=None): "
        "configure the jivo_mock fixture; the closest scope wins",
    )
    configured_wait_timeout(config)  # a bad value is a usage error, reported before any test
    option = config.getoption("jivo_chromium")
    ini = config.getini("jivo_chromium")
    if option or ini:
        # An explicit browser that does not run is a usage error, reported before any test.
        chromium_choice(config)
    # Registered after every entry point, so its fixture overrides pytest-playwright's.
    config.pluginmanager.import_plugin("jivo_widget.testing._launch")
    if config.pluginmanager.has_plugin(ASYNC_PLAYWRIGHT_PLUGIN):
        # An async suite: its `page` is async, so is this jivo_mock (registered later: it wins).
        config.pluginmanager.import_plugin("jivo_widget.testing._async_fixture")


def chromium_choice(config: pytest.Config) -> ChromiumChoice | None:
    """The session's Chromium (cached); raises ``pytest.UsageError`` for a bad explicit path."""
    if _CHOICE_KEY not in config.stash:
        ini = config.getini("jivo_chromium")
        try:
            config.stash[_CHOICE_KEY] = find_chromium(
                option=config.getoption("jivo_chromium"), ini=str(ini) if ini else None
            )
        except ChromiumNotUsable as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[_CHOICE_KEY]


def pytest_report_header(config: pytest.Config) -> str:
    """One line: the Chromium used (path, version, where it came from) and Playwright's version."""
    try:
        playwright_version = importlib.metadata.version("playwright")
    except importlib.metadata.PackageNotFoundError:
        # Installed without the testing extra: no browser tests, so no Chromium lookup either.
        return "jivo-widget: Playwright not installed (pip install 'jivo-widget[testing]')"
    try:
        choice = chromium_choice(config)
    except pytest.UsageError as exc:
        return f"jivo-widget: Chromium NOT USABLE ({exc}); Playwright {playwright_version}"
    if choice is None:
        chromium = "none found (run `make chromium`)"
    else:
        version = chromium_version(choice.path) if choice.path else "Playwright's build"
        chromium = f"{choice.location} ({version}, from {choice.described_source})"
    return f"jivo-widget: Chromium {chromium}; Playwright {playwright_version}"


# ---------------------------------------------------------------------- the fixture


@pytest.fixture
def jivo_mock(page: Page, request: pytest.FixtureRequest) -> Iterator[JivoMock]:
    """The mocked Jivo widget for this test's ``page`` (and its whole browser context).

    Every Jivo loader URL (``/widget/{id}``, ``/script/widget/{id}``, ``widget.js`` +
    ``data-jv-id``, on all loader hosts and the legacy ``code-ya.jivosite.com``, http and
    https) answers with a mock that behaves as Jivo documents; other Jivo URLs are aborted, so
    tests never reach the network. Install it before ``page.goto``::

        def test_identity(page, jivo_mock, live_server):
            page.goto(live_server.url)
            jivo_mock.wait_for_load()
            assert jivo_mock.calls("setUserToken") == [["u-42"]]

    Reads: ``calls(name)``, ``callbacks(name)``, ``results(name)``, ``state()``,
    ``violations``, ``page_errors``. Waits: ``wait_for_load()``, ``wait_for_call(name, count)``,
    ``wait_for_callback(name)``: they give up after ``wait_timeout`` ms (by default
    ``DEFAULT_WAIT_TIMEOUT_MS`` of :mod:`jivo_widget.testing.controller`) and
    say why the widget did not load (HTTP errors, CSP, page errors, no loader requested, a page
    loaded before this fixture was set up...).
    Actions: ``fire(callback, *args)``, ``visitor_introduces(name=..., email=...)``,
    ``visitor_sends_message(text)``, ``visitor_opens_chat()``, ``visitor_closes_chat()``,
    ``agent_accepts()``, ``agent_sends_message(text)``, ``call_ends()``,
    ``set_chat_mode("offline")``, ``set_visitor_number_error("...")``.

    Contract violations (calls before jivo_onLoadCallback, unknown or undocumented methods,
    wrong argument types, too many custom fields...) and uncaught page errors fail the test after
    its body. Relax with ``@pytest.mark.jivo_mock(strict=False)`` / ``allow_page_errors=True``
    or ``--jivo-mock-lax``; the marker also takes ``wait_timeout`` (ms; or
    ``--jivo-mock-wait-timeout``, or the ``jivo_mock_wait_timeout`` ini key), ``chat_mode``,
    ``callbacks_enabled``, ``visitor_number``, ``visitor_number_error`` and ``utm``.
    """
    try:
        settings = settings_for(request.node)
    except pytest.UsageError as exc:
        pytest.fail(str(exc), pytrace=False)
    mock = JivoMock(page, settings.options, wait_timeout=settings.wait_timeout)
    mock.install()
    request.node.stash[_MOCK_KEY] = (mock, settings)
    yield mock


def _problems(mock: JivoMock) -> tuple[list[str], list[str]]:
    return mock.violations, list(mock.page_errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After the test body: fail the test on contract violations / page errors (when strict)."""
    entry = item.stash.get(_MOCK_KEY, None)
    try:
        result = yield
    except BaseException:
        if entry is not None:
            _add_section(item, *entry)  # the test failed anyway: show what the mock saw
        raise
    if entry is None:
        return result
    mock, settings = entry
    violations, page_errors = _problems(mock)
    failing = (violations if settings.strict else []) + (
        page_errors if not settings.allow_page_errors else []
    )
    if failing:
        pytest.fail(_failure_text(violations, page_errors, settings), pytrace=False)
    _add_section(item, mock, settings)
    return result


def _add_section(item: pytest.Item, mock: JivoMock, settings: MockSettings) -> None:
    try:
        violations, page_errors = _problems(mock)
    except Exception:  # the page may be gone; the test's own error matters more
        return
    if violations or page_errors:
        item.add_report_section("call", "jivo_mock", _listing(violations, page_errors))


def _listing(violations: list[str], page_errors: list[str]) -> str:
    return problems_listing(violations, page_errors)


def _failure_text(violations: list[str], page_errors: list[str], settings: MockSettings) -> str:
    hints = []
    if violations and settings.strict:
        hints.append("@pytest.mark.jivo_mock(strict=False) or --jivo-mock-lax")
    if page_errors and not settings.allow_page_errors:
        hints.append("@pytest.mark.jivo_mock(allow_page_errors=True)")
    return (
        "jivo_mock: " + _listing(violations, page_errors) + "\n(to allow: " + "; ".join(hints) + ")"
    )
