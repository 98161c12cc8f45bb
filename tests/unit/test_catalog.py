"""The catalog pinned to the reference (shared/reference/jivo-api.md) and to issue 2.

Everything else reads the catalog, so a fact lost or added here by accident would silently
change the validator, the glue and the mock at once: these lists are written out on purpose.
"""

from __future__ import annotations

import re

from jivo_widget import catalog

# jivo-api.md §3, in its order.
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
# Issue 2, part 2: the jivo_api methods, seed-era and newer.
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
