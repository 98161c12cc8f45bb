"""The catalog pinned to Jivo's widget docs: names, limits, and the documented result shapes.

Everything else reads the catalog, so a fact lost or added here by accident would silently
change the validator, the glue and the mock at once: these lists are written out on purpose.
The result shapes (outcomes) are JSON Schemas checked here value by value; the mock is checked
against them in tests/testing/test_mock_widget_outcomes.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jivo_widget import catalog

# Jivo's callbacks, in the order of its docs.
CALLBACKS = (
    "jivo_onLoadCallback",
    "jivo_onOpen",
    "jivo_onClose",
    "jivo_onChangeState",
    "jivo_onMessageSent",
    "jivo_onClientStartChat",
    "jivo_onIntroduction",
    "jivo_onAccept",
    "jivo_onMessageReceived",
    "jivo_onCallStart",
    "jivo_onCallEnd",
    "jivo_onResizeCallback",
    "jivo_onWidgetDestroy",
)
# The jivo_api methods, seed-era and newer.
METHODS = {
    "open",
    "close",
    "chatMode",
    "getContactInfo",
    "getVisitorNumber",
    "setContactInfo",
    "setCustomData",
    "setClientAttributes",
    "setRules",
    "setUserToken",
    "setWidgetColor",
    "showProactiveInvitation",
    "startCall",
    "isCallbackEnabled",
    "sendOfflineMessage",
    "sendPageTitle",
    "getUnreadMessagesCount",
    "getUtm",
    "clearHistory",
}


def test_exactly_the_thirteen_documented_callbacks() -> None:
    assert tuple(catalog.CALLBACKS) == CALLBACKS
    assert all(name == cb.name for name, cb in catalog.CALLBACKS.items())


def test_callback_parameters() -> None:
    params = {name: [p.name for p in cb.params] for name, cb in catalog.CALLBACKS.items()}
    assert params.pop("jivo_onChangeState") == ["state"]
    assert params.pop("jivo_onCallEnd") == ["res"]
    assert all(p == [] for p in params.values())


def test_exactly_the_nineteen_methods_and_two_globals() -> None:
    assert len(METHODS) == 19
    assert set(catalog.METHODS) == METHODS
    assert set(catalog.GLOBALS) == {"jivo_init", "jivo_destroy"}
    assert not set(catalog.UNDOCUMENTED_METHODS) & METHODS


def test_documented_limits() -> None:
    assert catalog.CUSTOM_DATA_MAX_FIELDS == 10
    assert catalog.CLIENT_ATTRIBUTES_MAX_CALLS_PER_HOUR == 10


def test_the_three_loader_hosts_default_first() -> None:
    assert catalog.LOADER_HOSTS == ("code.jivosite.com", "code.jivo.ru", "code-eu1.jivosite.com")


def test_patterns_match_whole_values() -> None:
    assert re.fullmatch(catalog.WIDGET_ID_PATTERN, "n5tgRPpmSi")
    assert re.fullmatch(catalog.WIDGET_ID_PATTERN, "Et2u4i")
    assert not re.fullmatch(catalog.WIDGET_ID_PATTERN, "abc")
    assert catalog.WIDGET_ID_TYPICAL_LENGTH == 10
    assert re.fullmatch(catalog.COLOR_PATTERN, "#12ab34")
    assert not re.fullmatch(catalog.COLOR_PATTERN, "#12ab34\n")


# ------------------------------------------------------------------ documented outcomes


def every_outcome() -> list[tuple[str, catalog.Outcome]]:
    methods = {**catalog.METHODS, **catalog.GLOBALS}
    found = [(name, o) for name, m in methods.items() for o in m.outcomes]
    found += [(name, o) for name, cb in catalog.CALLBACKS.items() for o in cb.outcomes]
    return found


def accepts(name: str, index: int, value: Any, *, owner: str = "method") -> bool:
    spec = catalog.CALLBACKS[name] if owner == "callback" else catalog.METHODS[name]
    return Draft202012Validator(spec.outcomes[index].schema).is_valid(value)


@pytest.mark.parametrize(("name", "outcome"), every_outcome())
def test_every_schema_is_valid_json_schema(name: str, outcome: catalog.Outcome) -> None:
    Draft202012Validator.check_schema(outcome.schema)
    assert outcome.when


def test_methods_documented_to_return_nothing_have_no_outcomes() -> None:
    # Jivo's docs give no return value ("—") for these.
    nothing = {
        "showProactiveInvitation",
        "setWidgetColor",
        "sendPageTitle",
        "setContactInfo",
        "setClientAttributes",
        "setUserToken",
        "setRules",
        "clearHistory",
    }
    assert {name for name, m in catalog.METHODS.items() if not m.outcomes} == nothing
    assert all(not m.outcomes for m in catalog.GLOBALS.values())


def test_set_custom_data_answers_ok_or_fails_with_jivos_reason() -> None:
    assert catalog.CUSTOM_DATA_NOT_ARRAY_REASON == "Custom data must be array."
    assert accepts("setCustomData", 0, {"result": "ok"})
    not_array = {"result": "fail", "reason": "Custom data must be array."}
    assert accepts("setCustomData", 1, not_array)
    assert not accepts("setCustomData", 1, {"result": "fail", "reason": "Custom data is bad."})
    assert not accepts("setCustomData", 0, not_array)
    # Over the limit: the shape is Jivo's, the case and its text are the mock's choice.
    assert catalog.METHODS["setCustomData"].outcomes[2].documented is False
    assert accepts("setCustomData", 2, {"result": "fail", "reason": "anything"})


def test_send_offline_message_fails_with_error_not_reason() -> None:
    assert accepts("sendOfflineMessage", 0, {"result": "ok"})
    assert accepts("sendOfflineMessage", 1, {"result": "fail", "error": "offline only"})
    assert not accepts("sendOfflineMessage", 1, {"result": "fail", "reason": "offline only"})


def test_start_call_and_is_callback_enabled_fail_with_reason() -> None:
    assert accepts("startCall", 0, {"result": "ok"})
    assert accepts("startCall", 1, {"result": "fail", "reason": "no balance"})
    assert not accepts("startCall", 1, {"result": "fail", "error": "no balance"})
    assert accepts("isCallbackEnabled", 0, [{"result": "ok"}])
    assert accepts("isCallbackEnabled", 1, [{"result": "fail", "reason": "disabled"}])
    assert not accepts("isCallbackEnabled", 1, [{"result": "ok", "reason": "disabled"}])
    assert not accepts("isCallbackEnabled", 1, [{"result": "fail"}])  # reason is required


def test_call_end_passes_result_and_an_optional_reason() -> None:
    assert accepts("jivo_onCallEnd", 0, [{"result": "ok"}], owner="callback")
    assert accepts("jivo_onCallEnd", 1, [{"result": "fail", "reason": "busy"}], owner="callback")
    assert accepts("jivo_onCallEnd", 1, [{"result": "fail"}], owner="callback")
    assert not accepts("jivo_onCallEnd", 1, ["fail"], owner="callback")  # not a bare string


def test_open_close_and_chat_mode() -> None:
    for name in ("open", "close"):
        assert accepts(name, 0, {"result": "ok"})
        assert accepts(name, 1, {"result": "fail"})
        assert not accepts(name, 0, {"result": "fail"})
    assert accepts("chatMode", 0, "online")
    assert accepts("chatMode", 1, "offline")
    assert not accepts("chatMode", 0, "away")


def test_contact_info_answers_client_name_with_nulls() -> None:
    empty = {"client_name": None, "email": None, "phone": None, "description": None}
    assert accepts("getContactInfo", 0, empty)
    assert accepts("getContactInfo", 0, {**empty, "client_name": "Ann"})
    assert not accepts("getContactInfo", 0, {**empty, "name": "Ann"})
    assert not accepts("getContactInfo", 0, {"client_name": "Ann"})  # every key is present


def test_visitor_number_calls_back_err_then_number() -> None:
    assert accepts("getVisitorNumber", 0, [None, 1])
    assert not accepts("getVisitorNumber", 0, [1])  # cb(number) wrappers are wrong
    assert not accepts("getVisitorNumber", 0, [None, 0])  # numbers count up from 1
    assert accepts("getVisitorNumber", 1, ["no connection", None])
    assert catalog.METHODS["getVisitorNumber"].outcomes[0].via == "callback"


def test_unread_count_and_utm() -> None:
    assert accepts("getUnreadMessagesCount", 0, 0)
    assert not accepts("getUnreadMessagesCount", 0, -1)
    utm = dict.fromkeys(("content", "campaign", "source", "medium", "term"))
    assert accepts("getUtm", 0, {**utm, "source": "news"})
    assert not accepts("getUtm", 0, {**utm, "gclid": "x"})


def test_the_page_receives_outcomes_and_reasons() -> None:
    data = catalog.as_json()
    assert data["reasons"] == {"custom_data_not_array": "Custom data must be array."}
    outcomes = data["methods"]["setCustomData"]["outcomes"]
    assert [o["documented"] for o in outcomes] == [True, True, False]
    assert data["callbacks"]["jivo_onCallEnd"]["outcomes"][1]["via"] == "arguments"
