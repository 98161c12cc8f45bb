"""The mock answers with every documented return and error shape, as the catalog pins it.

One scenario per catalog outcome (tests/test_catalog.py checks the schemas against
the reference): the value the mock produces must match that outcome's schema, and no other
outcome of the same method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from playwright.sync_api import Page

from jivo_widget import catalog
from jivo_widget.testing import JivoMock

pytestmark = pytest.mark.browser

LOADER = "https://code.jivosite.com/widget/AbCdEf1234"
PHONE = "'+14084987855'"


@dataclass(frozen=True)
class Scenario:
    """``script`` (an async function body) produces the value: what it returns for a
    ``return`` or ``callback`` outcome; for ``arguments``, the last firing of the callback."""

    script: str
    setup: Callable[[JivoMock], None] | None = None
    strict: bool = True


def offline(mock: JivoMock) -> None:
    mock.set_chat_mode("offline")


def no_callbacks(mock: JivoMock) -> None:
    mock.set_callbacks_enabled(False)


def no_number(mock: JivoMock) -> None:
    mock.set_visitor_number_error("no connection")


CALLBACK_ARGS = "return await new Promise((resolve) => jivo_api.{}((...args) => resolve(args)));"

SCENARIOS: dict[tuple[str, int], Scenario] = {
    ("open", 0): Scenario("return jivo_api.open();"),
    ("open", 1): Scenario("return jivo_api.open({start: 'call'});", no_callbacks),
    ("close", 0): Scenario("jivo_api.open(); return jivo_api.close();"),
    ("close", 1): Scenario("jivo_destroy(); return jivo_api.close();", strict=False),
    ("chatMode", 0): Scenario("return jivo_api.chatMode();"),
    ("chatMode", 1): Scenario("return jivo_api.chatMode();", offline),
    ("startCall", 0): Scenario(f"return jivo_api.startCall({PHONE});"),
    ("startCall", 1): Scenario(f"return jivo_api.startCall({PHONE});", no_callbacks),
    ("sendOfflineMessage", 0): Scenario(
        "return jivo_api.sendOfflineMessage({name: 'Ann', message: 'Call me'});", offline
    ),
    ("sendOfflineMessage", 1): Scenario(
        "return jivo_api.sendOfflineMessage({name: 'Ann', message: 'Call me'});"
    ),
    ("setCustomData", 0): Scenario("return jivo_api.setCustomData([{content: 'Pro'}]);"),
    ("setCustomData", 1): Scenario(
        "return jivo_api.setCustomData({content: 'Pro'});", strict=False
    ),
    ("setCustomData", 2): Scenario(
        "return jivo_api.setCustomData(Array.from({length: 11}, () => ({content: 'x'})));",
        strict=False,
    ),
    ("getContactInfo", 0): Scenario(
        "jivo_api.setContactInfo({name: 'Ann'}); return jivo_api.getContactInfo();"
    ),
    ("getVisitorNumber", 0): Scenario(CALLBACK_ARGS.format("getVisitorNumber")),
    ("getVisitorNumber", 1): Scenario(CALLBACK_ARGS.format("getVisitorNumber"), no_number),
    ("getUnreadMessagesCount", 0): Scenario("return jivo_api.getUnreadMessagesCount();"),
    ("getUtm", 0): Scenario("return jivo_api.getUtm();"),
    ("isCallbackEnabled", 0): Scenario(CALLBACK_ARGS.format("isCallbackEnabled")),
    ("isCallbackEnabled", 1): Scenario(CALLBACK_ARGS.format("isCallbackEnabled"), no_callbacks),
    ("jivo_onCallEnd", 0): Scenario(f"jivo_api.startCall({PHONE}); __jivoMock.callEnds();"),
    ("jivo_onCallEnd", 1): Scenario(f"jivo_api.startCall({PHONE});", no_callbacks),
}


def outcomes_of(name: str) -> tuple[catalog.Outcome, ...]:
    spec = catalog.CALLBACKS.get(name) or catalog.METHODS.get(name) or catalog.GLOBALS[name]
    return spec.outcomes


def catalog_outcomes() -> set[tuple[str, int]]:
    names = [*catalog.METHODS, *catalog.GLOBALS, *catalog.CALLBACKS]
    return {(name, i) for name in names for i in range(len(outcomes_of(name)))}


def test_every_documented_outcome_has_a_scenario() -> None:
    assert set(SCENARIOS) == catalog_outcomes()


@pytest.fixture
def loaded_page(page: Page, jivo_mock: JivoMock, tmp_path: Path) -> Page:
    target = tmp_path / "index.html"
    target.write_text(f'<script async src="{LOADER}"></script>', "utf-8")
    page.goto(target.as_uri())
    jivo_mock.wait_for_load()
    return page


@pytest.mark.parametrize(
    ("name", "index"),
    [
        pytest.param(name, index, marks=pytest.mark.jivo_mock(strict=scenario.strict))
        for (name, index), scenario in SCENARIOS.items()
    ],
)
def test_the_mock_produces_each_outcome(
    loaded_page: Page, jivo_mock: JivoMock, name: str, index: int
) -> None:
    scenario = SCENARIOS[name, index]
    outcome = outcomes_of(name)[index]
    if scenario.setup:
        scenario.setup(jivo_mock)
    value: Any = loaded_page.evaluate(f"async () => {{ {scenario.script} }}")
    if outcome.via == "arguments":
        value = jivo_mock.callbacks(name)[-1]
    elif outcome.via == "return":
        assert jivo_mock.results(name)[-1] == value  # what the test reads is what the page got
    errors = [e.message for e in Draft202012Validator(outcome.schema).iter_errors(value)]
    assert errors == [], f"{name} ({outcome.when}) gave {value!r}"
    others = [o for i, o in enumerate(outcomes_of(name)) if i != index]
    assert not any(Draft202012Validator(o.schema).is_valid(value) for o in others), value


def test_documented_literal_answers(loaded_page: Page, jivo_mock: JivoMock) -> None:
    answers = loaded_page.evaluate("""() => [
        jivo_api.setCustomData([{title: 'Plan', content: 'Pro'}]),
        jivo_api.setCustomData([]),
    ]""")
    assert answers == [{"result": "ok"}, {"result": "ok"}]
    assert jivo_mock.results("setCustomData") == answers


@pytest.mark.jivo_mock(strict=False)
@pytest.mark.parametrize("argument", ["{content: 'Pro'}", "'Pro'", "null", "undefined", ""])
def test_set_custom_data_refuses_a_non_array_as_jivo_documents(
    loaded_page: Page, jivo_mock: JivoMock, argument: str
) -> None:
    answer = loaded_page.evaluate(f"() => jivo_api.setCustomData({argument})")
    assert answer == {"result": "fail", "reason": "Custom data must be array."}
    assert jivo_mock.state()["custom_data"] is None


@pytest.mark.jivo_mock(strict=False)
@pytest.mark.parametrize(
    ("call", "answer"),
    [
        ("startCall(42)", {"result": "fail", "reason": "invalid phone number"}),
        ("startCall()", {"result": "fail", "reason": "invalid phone number"}),
        ("sendOfflineMessage('hi')", {"result": "fail", "error": "message object required"}),
        ("open('chat')", {"result": "fail"}),
    ],
)
def test_bad_arguments_get_the_documented_failure_shape(
    loaded_page: Page, jivo_mock: JivoMock, call: str, answer: dict[str, str]
) -> None:
    assert loaded_page.evaluate(f"() => jivo_api.{call}") == answer
    assert jivo_mock.violations  # and the misuse is still reported


def test_methods_without_outcomes_return_undefined(loaded_page: Page, jivo_mock: JivoMock) -> None:
    calls = {
        "showProactiveInvitation": "'Need help?'",
        "setWidgetColor": "'#112233'",
        "sendPageTitle": "'Cart'",
        "setContactInfo": "{name: 'Ann'}",
        "setClientAttributes": "{plan: 'pro'}",
        "setUserToken": "'u-42'",
        "setRules": "{rules: []}",
        "clearHistory": "",
    }
    assert set(calls) == {name for name, m in catalog.METHODS.items() if not m.outcomes}
    for name, args in calls.items():
        kind = loaded_page.evaluate(f"() => typeof jivo_api.{name}({args})")
        assert kind == "undefined", name
        assert jivo_mock.results(name) == [None]
