"""fake_browser: Python callbacks unit-tested without a browser, answering like the JS mock.

The contract test runs one sequence covering every catalog method against the page's mocked
widget (jivo_mock) and against the fake, under several widget states, and compares results,
recorded calls and fired callbacks: the two stay in step through the catalog.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from playwright.sync_api import Page

from jivo_widget import catalog
from jivo_widget.testing import JivoMock, fake_browser
from jivo_widget.testing.fake_browser import FakeBrowser
from jivo_widget.transpile import CallbackSourceError

CALLBACK = "<callback>"


def test_the_issue_example_in_pure_python(issue_example: Path) -> None:
    browser = FakeBrowser(url="https://shop.test/pricing?x=1", page={"dataLayer": []})
    browser.load(issue_example)
    browser.fire("jivo_onLoadCallback")
    assert browser.calls("showProactiveInvitation") == [["Questions about plans?"]]
    browser.visitor_introduces(name="Ann", email="ann@example.com")
    assert browser.window.dataLayer == [
        {"event": "jivo_lead", "name": "Ann", "email": "ann@example.com"}
    ]
    # The invitation opened the chat: jivo_onChangeState("chat") added the class.
    assert browser.document.body.classList.contains("jivo-open")
    browser.visitor_closes_chat()
    assert not browser.document.body.classList.contains("jivo-open")


def test_an_imported_module_is_loaded_from_its_file(
    issue_example: Path, import_file: Callable[[Path, str], types.ModuleType]
) -> None:
    example_callbacks = import_file(issue_example, "jivo_callbacks")
    browser = FakeBrowser(url="https://shop.test/")
    loaded = browser.load(example_callbacks)
    assert sorted(loaded.handlers) == [
        "jivo_onChangeState",
        "jivo_onIntroduction",
        "jivo_onLoadCallback",
    ]
    assert loaded.module is not example_callbacks  # the user's module is left untouched
    browser.fire("jivo_onLoadCallback")
    assert browser.calls() == []  # not on /pricing


def test_load_checks_the_module_like_the_compiler(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def jivo_onOpen():\n    x = (1, 2)\n")
    with pytest.raises(CallbackSourceError, match=r"bad\.py:2:9: a tuple"):
        FakeBrowser().load(module)


SEVERAL = """
from jivo_widget.browser import console, setTimeout, clearTimeout, fetch, on

@on("open")
def breaks():
    raise ValueError("first")

@on("open")
def runs_anyway():
    console.log("second")
    keep = setTimeout(lambda: console.log("timer"), 10)
    drop = setTimeout(lambda: console.log("never"), 5)
    clearTimeout(drop)
    setTimeout(lambda: console.log("sooner"), 0)

async def jivo_onLoadCallback():
    response = await fetch("https://api.shop.test/me")
    data = await response.json()
    console.log(response.status, data["name"])
"""


def test_handlers_errors_timers_and_fetch() -> None:
    browser = FakeBrowser(responses={"https://api.shop.test/me": (200, {"name": "Ann"})})
    browser.load_source(SEVERAL)
    browser.fire("jivo_onLoadCallback")
    assert browser.console.records == [("log", [200, "Ann"])]
    with pytest.raises(ValueError, match="first"):
        browser.fire("jivo_onOpen")
    assert browser.console.records[1:] == [
        ("log", ["second"]),
        ("log", ["sooner"]),
        ("log", ["timer"]),
    ]
    browser.fire("jivo_onOpen", raise_errors=False)
    assert [type(e).__name__ for e in browser.errors] == ["ValueError", "ValueError"]
    assert browser.requests == [("https://api.shop.test/me", None)]


def test_unknown_methods_and_destroyed_widget_are_violations() -> None:
    browser = FakeBrowser()
    browser.jivo_api.sendMessage("hi")  # type: ignore[attr-defined]
    browser.jivo_destroy()
    browser.jivo_api.close()
    assert browser.violations == [
        "jivo_api.sendMessage(): not a Jivo method",
        "jivo_api.close(): called while the widget is destroyed",
    ]
    assert browser.callbacks() == [("jivo_onWidgetDestroy", [])]


def test_the_testing_package_exports_it() -> None:
    assert fake_browser.FakeBrowser is FakeBrowser


# ---------------------------------------------------------------------- contract with the mock

SEQUENCE: list[tuple[str, list[Any]]] = [
    ("chatMode", []),
    ("getContactInfo", []),
    ("setContactInfo", [{"name": "Ann", "email": "ann@example.com"}]),
    ("getContactInfo", []),
    ("setUserToken", ["u-42"]),
    ("setCustomData", [[{"content": "pro", "title": "Plan"}]]),
    ("setClientAttributes", [{"plan": "pro"}]),
    ("setRules", [{"rules": []}]),
    ("setWidgetColor", ["#112233"]),
    ("sendPageTitle", ["Title", True, "https://shop.test/x"]),
    ("getUnreadMessagesCount", []),
    ("getUtm", []),
    ("open", [{"start": "chat"}]),
    ("close", []),
    ("open", []),
    ("open", [{"start": "call"}]),
    ("close", []),
    ("showProactiveInvitation", ["Hi", 3]),
    ("startCall", ["+14084987855"]),
    ("startCall", ["no digits"]),
    ("sendOfflineMessage", [{"name": "Ann", "message": "hello"}]),
    ("sendOfflineMessage", [{"name": "Ann"}]),
    ("getVisitorNumber", [CALLBACK]),
    ("isCallbackEnabled", [CALLBACK]),
    ("clearHistory", []),
    ("getContactInfo", []),
]

STATES = [
    ("default", {}),
    ("offline-no-calls", {"chat_mode": "offline", "callbacks_enabled": False}),
    (
        "number-error-utm",
        {"visitor_number": 7, "visitor_number_error": "no", "utm": {"source": "x"}},
    ),
]

_IN_PAGE = """async (sequence) => {
  const answers = [];
  const results = [];
  for (const [name, args] of sequence) {
    const real = args.map((a) => a === "<callback>" ? (...got) => answers.push([name, got]) : a);
    const value = window.jivo_api[name](...real);
    results.push(value === undefined ? null : JSON.parse(JSON.stringify(value)));
  }
  await new Promise((done) => setTimeout(done, 0));
  return {results, answers};
}"""


def test_the_sequence_covers_every_catalog_method() -> None:
    assert {name for name, _ in SEQUENCE} == set(catalog.METHODS)


def in_fake(state: dict[str, Any], url: str) -> dict[str, Any]:
    browser = FakeBrowser(url=url, **state)
    browser.fire("jivo_onLoadCallback")
    answers: list[Any] = []
    results = []
    for name, args in SEQUENCE:

        def answer(*got: Any, name: str = name) -> None:
            answers.append([name, fake_browser.normalize(list(got))])

        real = [answer if a == CALLBACK else a for a in args]
        results.append(fake_browser.normalize(getattr(browser.jivo_api, name)(*real)))
    browser.run_timers()
    return {
        "results": results,
        "answers": answers,
        "calls": [[n, a] for n, a in browser.calls()],
        "callbacks": [[n, a] for n, a in browser.callbacks()],
    }


@pytest.mark.browser
@pytest.mark.parametrize(
    "state",
    [pytest.param(state, id=name, marks=pytest.mark.jivo_mock(**state)) for name, state in STATES],
)
def test_fake_and_mock_answer_alike(
    state: dict[str, Any], page: Page, jivo_mock: JivoMock, live_server: Any
) -> None:
    loader = '<script async src="https://code.jivosite.com/widget/AbCdEf1234"></script>'
    url = (
        live_server.add("/contract", f"<!doctype html><title>c</title>{loader}") + "?utm_source=ad"
    )
    page.goto(url)
    jivo_mock.wait_for_load()
    in_page = page.evaluate(_IN_PAGE, [[name, args] for name, args in SEQUENCE])
    in_page["calls"] = [[n, a] for n, a in jivo_mock.calls()]
    in_page["callbacks"] = [[n, a] for n, a in jivo_mock.callbacks()]
    assert in_fake(state, url) == in_page


# Refusals: the outcomes a well-behaved sequence never meets (invalid fields, a destroyed widget).
# They are contract violations, so these run with strict=False; "<destroy>" is jivo_destroy().
REFUSALS: list[tuple[str, list[Any]]] = [
    ("setCustomData", [{"content": "not a list"}]),
    ("setCustomData", [[{"title": "no content"}]]),
    ("setCustomData", [[{"content": "x", "link": "javascript:alert(1)"}]]),
    ("<destroy>", []),
    ("close", []),
    ("open", []),
]

_REFUSALS_IN_PAGE = """(sequence) => sequence.map(([name, args]) => {
  if (name === "<destroy>") { window.jivo_destroy(); return null; }
  const value = window.jivo_api[name](...args);
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
})"""


def refusals_in_fake(url: str) -> list[Any]:
    browser = FakeBrowser(url=url)
    browser.fire("jivo_onLoadCallback")
    results: list[Any] = []
    for name, args in REFUSALS:
        if name == "<destroy>":
            browser.jivo_destroy()
            results.append(None)
        else:
            results.append(fake_browser.normalize(getattr(browser.jivo_api, name)(*args)))
    return results


def test_every_catalog_outcome_is_met_by_the_contract_sequences() -> None:
    # What the fake answers is checked against the mock below; here: that between them the
    # sequences meet every outcome the catalog documents for a method (return or callback).
    url = "https://shop.test/contract?utm_source=ad"
    seen: dict[tuple[str, str], list[Any]] = {}
    for _, state in STATES:
        run = in_fake(state, url)
        for (name, _args), result in zip(SEQUENCE, run["results"], strict=True):
            seen.setdefault((name, "return"), []).append(result)
        for name, got in run["answers"]:
            seen.setdefault((name, "callback"), []).append(got)
    for (name, _args), result in zip(REFUSALS, refusals_in_fake(url), strict=True):
        seen.setdefault((name, "return"), []).append(result)
    missing = [
        f"{method.name} ({outcome.via}): {outcome.when}"
        for method in catalog.METHODS.values()
        for outcome in method.outcomes
        if not any(
            jsonschema.Draft202012Validator(outcome.schema).is_valid(value)
            for value in seen.get((method.name, outcome.via), [])
        )
    ]
    assert missing == []


@pytest.mark.browser
@pytest.mark.jivo_mock(strict=False)
def test_fake_and_mock_refuse_alike(page: Page, jivo_mock: JivoMock, live_server: Any) -> None:
    loader = '<script async src="https://code.jivosite.com/widget/AbCdEf1234"></script>'
    url = live_server.add("/refusals", f"<!doctype html><title>r</title>{loader}")
    page.goto(url)
    jivo_mock.wait_for_load()
    in_page = page.evaluate(_REFUSALS_IN_PAGE, [[name, args] for name, args in REFUSALS])
    assert refusals_in_fake(url) == in_page
