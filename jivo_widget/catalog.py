"""Jivo's widget API as data: the single source of truth for every other module.

The config validator, the renderer, the mocked widget (which receives :func:`as_json` in the
page), the callback checker and the README tables all read this module instead of repeating
Jivo's documentation, which lives at https://www.jivochat.com/docs/widget/ (fuller in Russian at
https://www.jivo.ru/docs/widget/); where the docs are silent, the entry says so (``documented``).

Adding a Jivo method is one :class:`Method` entry here plus its behaviour in
``testing/mock_widget.js``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "CALLBACKS",
    "CHANGE_STATE_VALUES",
    "CLIENT_ATTRIBUTES_MAX_CALLS_PER_HOUR",
    "COLOR_PATTERN",
    "CONTACT_FIELDS",
    "CONTACT_INFO_RESULT_FIELDS",
    "CUSTOM_DATA_FIELD_KEYS",
    "CUSTOM_DATA_MAX_FIELDS",
    "CUSTOM_DATA_NOT_ARRAY_REASON",
    "GLOBALS",
    "LEGACY_LOADER_HOSTS",
    "LOADER_HOSTS",
    "METHODS",
    "OFFLINE_MESSAGE_FIELDS",
    "OPEN_START_VALUES",
    "UNDOCUMENTED_METHODS",
    "UTM_FIELDS",
    "WIDGET_ID_PATTERN",
    "WIDGET_ID_TYPICAL_LENGTH",
    "Callback",
    "Method",
    "Outcome",
    "Param",
    "as_json",
    "as_markdown",
]

#: JS-side type names used in :class:`Param`. ``any`` means the docs do not constrain it.
JsType = Literal["string", "number", "integer", "boolean", "object", "array", "function", "any"]

#: Documented limits: ``setCustomData`` takes at most 10 fields, and ``setClientAttributes`` may
#: be called at most 10 times an hour per visitor.
CUSTOM_DATA_MAX_FIELDS = 10
CLIENT_ATTRIBUTES_MAX_CALLS_PER_HOUR = 10

#: What ``setCustomData`` answers for a non-array, word for word (the seed spec quotes Jivo).
CUSTOM_DATA_NOT_ARRAY_REASON = "Custom data must be array."

#: ``jivo_api.open({start})`` values.
OPEN_START_VALUES = ("chat", "call", "menu")
#: ``jivo_onChangeState`` values named by the docs; the full set is undocumented.
CHANGE_STATE_VALUES = ("chat", "call", "chat/call", "label", "chat/min")
#: Loader hosts, first is the default. Regional hosts are seen in third-party code only.
LOADER_HOSTS = ("code.jivosite.com", "code.jivo.ru", "code-eu1.jivosite.com")
#: Mid-era ``widget.js`` host seen in the wild: the mock answers it, the renderer never emits it.
LEGACY_LOADER_HOSTS = ("code-ya.jivosite.com",)

# Patterns are written without anchors so that Python (re.fullmatch) and JavaScript
# (new RegExp("^(?:" + p + ")$")) read them alike; Python's "$" would also match before a "\n".
#: The widget id format is undocumented: validate loosely, real ids are 10 characters.
WIDGET_ID_PATTERN = "[A-Za-z0-9_-]{4,32}"
WIDGET_ID_TYPICAL_LENGTH = 10
#: ``setWidgetColor`` colours.
COLOR_PATTERN = "#[0-9A-Fa-f]{6}"
#: The ``id`` claim of a widget JWT user token (``setUserToken``): Latin letters and/or digits,
#: per Jivo's JWT docs. Jivo documents no length; the cap is ours (tokens stay small).
VISITOR_ID_MAX_LENGTH = 256
VISITOR_ID_PATTERN = f"[A-Za-z0-9]{{1,{VISITOR_ID_MAX_LENGTH}}}"
#: Jivo's JWT settings ask for a 256-bit secret.
JWT_SECRET_MIN_BYTES = 32

#: ``setContactInfo`` keys; ``getContactInfo`` answers with ``client_name`` instead of ``name``.
CONTACT_FIELDS = ("name", "email", "phone", "description")
CONTACT_INFO_RESULT_FIELDS = ("client_name", "email", "phone", "description")
#: ``sendOfflineMessage`` keys.
OFFLINE_MESSAGE_FIELDS = ("name", "email", "phone", "description", "message")
#: Keys of one ``setCustomData`` field (``content`` is required).
CUSTOM_DATA_FIELD_KEYS = ("content", "title", "link", "key")
#: ``getUtm`` keys.
UTM_FIELDS = ("content", "campaign", "source", "medium", "term")


@dataclass(frozen=True)
class Param:
    """One argument of a Jivo method or callback."""

    name: str
    type: JsType
    optional: bool = False
    doc: str = ""


#: A JSON Schema (draft 2020-12) describing one JSON value.
Schema = Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """One documented result: what Jivo hands back, when, and how, as a JSON Schema.

    ``via``: ``"return"`` for a method's return value, ``"callback"`` for the arguments a
    method passes to its callback argument, ``"arguments"`` for the arguments Jivo passes to a
    ``jivo_on*`` callback (both as a JSON array). ``documented`` is False where the docs give
    the shape but not this case or its text: the mock's choice, not Jivo's.
    """

    when: str
    schema: Schema
    via: Literal["return", "callback", "arguments"] = "return"
    documented: bool = True


def _const(value: Any) -> Schema:
    return {"const": value}


_STRING: Schema = {"type": "string"}
_NULLABLE_STRING: Schema = {"type": ["string", "null"]}


def _object(required: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None) -> Schema:
    """A JSON object with exactly these keys (``optional`` ones may be absent)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _args(*items: Schema) -> Schema:
    """The arguments of a call, positionally, as a JSON array."""
    return {"type": "array", "prefixItems": list(items), "minItems": len(items), "items": False}


_OK = _object({"result": _const("ok")})
_FAIL = _object({"result": _const("fail")})


@dataclass(frozen=True)
class Callback:
    """A ``jivo_on*`` global that Jivo calls if the page defines it."""

    name: str
    fires_when: str
    params: tuple[Param, ...] = ()
    era: Literal["seed", "new"] = "seed"
    outcomes: tuple[Outcome, ...] = ()


@dataclass(frozen=True)
class Method:
    """A ``jivo_api`` method, or a global function when ``scope`` is ``"window"``.

    ``mode`` is ``"sync"`` when the result is returned, ``"callback"`` when it is passed to a
    callback argument. ``returns`` and ``errors`` describe the documented shapes in words,
    ``outcomes`` as data (none: the method returns ``undefined``); ``limits`` lists documented
    limits the validator and the mock enforce.
    """

    name: str
    params: tuple[Param, ...] = ()
    returns: str = "undefined"
    errors: str = ""
    mode: Literal["sync", "callback"] = "sync"
    scope: Literal["jivo_api", "window"] = "jivo_api"
    era: Literal["seed", "new"] = "seed"
    limits: tuple[str, ...] = field(default=())
    outcomes: tuple[Outcome, ...] = ()


_CALLBACKS = (
    Callback("jivo_onLoadCallback", "widget initialisation finished; jivo_api is usable from here"),
    Callback("jivo_onOpen", "the chat window opened (by the visitor or an invitation)"),
    Callback("jivo_onClose", "the chat window was minimised"),
    Callback(
        "jivo_onChangeState",
        "the widget changed state",
        (Param("state", "string", doc="chat, call, chat/call, label, chat/min (set not closed)"),),
    ),
    Callback("jivo_onMessageSent", "the visitor sent their first message (empty history)"),
    Callback(
        "jivo_onClientStartChat",
        "the visitor started a chat without a proactive invitation",
        era="new",
    ),
    Callback("jivo_onIntroduction", "the contact form was submitted; read it with getContactInfo"),
    Callback("jivo_onAccept", "an agent accepted the chat or started a dialog"),
    Callback("jivo_onMessageReceived", "a new agent message arrived (unread counters)", era="new"),
    Callback("jivo_onCallStart", "a callback call started (form or startCall)"),
    Callback(
        "jivo_onCallEnd",
        "the call ended or failed to start",
        (Param("res", "object", optional=True, doc="{result: 'ok'|'fail', reason?}"),),
        outcomes=(
            Outcome("the call ended", _args(_OK), via="arguments"),
            Outcome(
                "the call failed to start",
                _args(_object({"result": _const("fail")}, {"reason": _STRING})),
                via="arguments",
            ),
        ),
    ),
    Callback("jivo_onResizeCallback", "the widget was resized (open, close, drag)"),
    Callback("jivo_onWidgetDestroy", "the widget was removed by jivo_destroy()", era="new"),
)

_METHODS = (
    Method(
        "open",
        (Param("params", "object", optional=True, doc="{start: 'chat'|'call'|'menu'}"),),
        returns="{result: 'ok'|'fail'}",
        errors="result 'fail' when the window did not open",
        outcomes=(
            Outcome("the window opened (or was open)", _OK),
            Outcome("it did not open (unknown start, calls disabled, widget destroyed)", _FAIL),
        ),
    ),
    Method(
        "close",
        returns="{result: 'ok'|'fail'}",
        errors="result 'fail' on failure",
        outcomes=(
            Outcome("the window was minimised (or was not open)", _OK),
            Outcome("it could not be (widget destroyed)", _FAIL),
        ),
    ),
    Method(
        "showProactiveInvitation",
        (Param("text", "string"), Param("department_id", "integer", optional=True)),
    ),
    Method(
        "setWidgetColor",
        (Param("color", "string", doc="#rrggbb"), Param("color2", "string", optional=True)),
        era="new",
    ),
    Method(
        "chatMode",
        returns="'online'|'offline'",
        outcomes=(
            Outcome("agents are online", _const("online")),
            Outcome("agents are offline", _const("offline")),
        ),
    ),
    Method(
        "startCall",
        (Param("phone", "string", doc="'+14084987855'"),),
        returns="{result: 'ok'} | {result: 'fail', reason}",
        errors="failure carries `reason`",
        outcomes=(
            Outcome("the call is being placed", _OK),
            Outcome(
                "it cannot be (callbacks disabled, no balance, bad number)",
                _object({"result": _const("fail"), "reason": _STRING}),
            ),
        ),
    ),
    Method(
        "sendOfflineMessage",
        (Param("message", "object", doc="{name, email, phone, description, message}"),),
        returns="{result: 'ok'} | {result: 'fail', error}",
        errors="failure carries `error` (not `reason`)",
        outcomes=(
            Outcome("the message was sent", _OK),
            Outcome(
                "it was not (agents online, no message text, not an object)",
                _object({"result": _const("fail"), "error": _STRING}),
            ),
        ),
    ),
    Method(
        "sendPageTitle",
        (
            Param("title", "string"),
            Param("fromApi", "boolean", optional=True),
            Param("url", "string", optional=True),
        ),
        era="new",
    ),
    Method("setContactInfo", (Param("info", "object", doc="{name, email, phone, description}"),)),
    Method(
        "setClientAttributes",
        (Param("attributes", "object", doc="attribute id -> string or number"),),
        era="new",
        limits=(f"at most {CLIENT_ATTRIBUTES_MAX_CALLS_PER_HOUR} calls per hour per visitor",),
    ),
    Method(
        "setCustomData",
        (Param("fields", "array", doc="[{content, title?, link?, key?}]"),),
        returns="{result: 'ok'} | {result: 'fail', reason}",
        errors=f"reason '{CUSTOM_DATA_NOT_ARRAY_REASON}' for a non-array",
        limits=(f"at most {CUSTOM_DATA_MAX_FIELDS} fields", "content required", "link http(s)"),
        outcomes=(
            Outcome("the fields were accepted", _OK),
            Outcome(
                "the argument is not an array",
                _object({"result": _const("fail"), "reason": _const(CUSTOM_DATA_NOT_ARRAY_REASON)}),
            ),
            Outcome(
                f"more than {CUSTOM_DATA_MAX_FIELDS} fields, or a field without content or with "
                "a non-http(s) link (the mock rejects the call; Jivo's answer is undocumented)",
                _object(
                    {
                        "result": _const("fail"),
                        "reason": {**_STRING, "not": _const(CUSTOM_DATA_NOT_ARRAY_REASON)},
                    }
                ),
                documented=False,
            ),
        ),
    ),
    Method("setUserToken", (Param("token", "string"),)),
    Method("setRules", (Param("rules", "object", doc="proactive rules JSON"),)),
    Method(
        "getContactInfo",
        returns="{client_name, email, phone, description} (null if empty)",
        outcomes=(
            Outcome(
                "always",
                _object({key: _NULLABLE_STRING for key in CONTACT_INFO_RESULT_FIELDS}),
            ),
        ),
    ),
    Method(
        "getVisitorNumber",
        (Param("callback", "function", doc="cb(err: string|null, number: integer)"),),
        returns="cb(err, number)",
        mode="callback",
        outcomes=(
            Outcome(
                "the number is known (they count up from 1)",
                _args({"type": "null"}, {"type": "integer", "minimum": 1}),
                via="callback",
            ),
            Outcome(
                "Jivo cannot tell it (the number is then null)",
                _args(_STRING, {"type": "null"}),
                via="callback",
                documented=False,
            ),
        ),
    ),
    Method(
        "getUnreadMessagesCount",
        returns="number",
        era="new",
        outcomes=(Outcome("always", {"type": "integer", "minimum": 0}),),
    ),
    Method(
        "getUtm",
        returns="{content, campaign, source, medium, term}",
        era="new",
        outcomes=(
            Outcome(
                "always: the first visit's UTM tags (null when absent)",
                _object({key: _NULLABLE_STRING for key in UTM_FIELDS}),
            ),
        ),
    ),
    Method(
        "isCallbackEnabled",
        (Param("callback", "function"),),
        returns="cb({result: 'ok'}) | cb({result: 'fail', reason})",
        errors="non-ok result carries `reason`",
        mode="callback",
        outcomes=(
            Outcome("callbacks are enabled", _args(_OK), via="callback"),
            Outcome(
                "they are not",
                _args(_object({"result": {**_STRING, "not": _const("ok")}, "reason": _STRING})),
                via="callback",
            ),
        ),
    ),
    Method("clearHistory", era="new"),
    Method("jivo_init", scope="window", era="new"),
    Method("jivo_destroy", scope="window", era="new", returns="fires jivo_onWidgetDestroy"),
)

#: Every ``jivo_on*`` callback by name, in documentation order.
CALLBACKS: MappingProxyType[str, Callback] = MappingProxyType({c.name: c for c in _CALLBACKS})
#: Every ``jivo_api`` method by name.
METHODS: MappingProxyType[str, Method] = MappingProxyType(
    {m.name: m for m in _METHODS if m.scope == "jivo_api"}
)
#: ``window.jivo_init`` / ``window.jivo_destroy``.
GLOBALS: MappingProxyType[str, Method] = MappingProxyType(
    {m.name: m for m in _METHODS if m.scope == "window"}
)
#: Called by real sites but not documented; the mock records them as contract violations.
UNDOCUMENTED_METHODS = ("sendMessage", "setUserInfo", "_sendIntroduce")


def as_json() -> dict[str, Any]:
    """The catalog as plain JSON-able data, as the mocked widget receives it in the page."""
    return {
        "callbacks": {name: asdict(cb) for name, cb in CALLBACKS.items()},
        "methods": {name: asdict(m) for name, m in METHODS.items()},
        "globals": {name: asdict(m) for name, m in GLOBALS.items()},
        "undocumented": list(UNDOCUMENTED_METHODS),
        "reasons": {"custom_data_not_array": CUSTOM_DATA_NOT_ARRAY_REASON},
        "limits": {
            "custom_data_max_fields": CUSTOM_DATA_MAX_FIELDS,
            "client_attributes_max_calls_per_hour": CLIENT_ATTRIBUTES_MAX_CALLS_PER_HOUR,
        },
        "open_start_values": list(OPEN_START_VALUES),
        "change_state_values": list(CHANGE_STATE_VALUES),
        "loader_hosts": list(LOADER_HOSTS),
        "legacy_loader_hosts": list(LEGACY_LOADER_HOSTS),
        "patterns": {"widget_id": WIDGET_ID_PATTERN, "color": COLOR_PATTERN},
        "fields": {
            "contact": list(CONTACT_FIELDS),
            "contact_info_result": list(CONTACT_INFO_RESULT_FIELDS),
            "offline_message": list(OFFLINE_MESSAGE_FIELDS),
            "custom_data": list(CUSTOM_DATA_FIELD_KEYS),
            "utm": list(UTM_FIELDS),
        },
    }


def _signature(params: tuple[Param, ...]) -> str:
    return ", ".join(p.name + ("?" if p.optional else "") for p in params) or "—"


def as_markdown() -> str:
    """The README's API tables (a test keeps the README equal to this)."""
    lines = ["| Callback | Arguments | Fires when |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {_signature(c.params)} | {c.fires_when} |" for c in _CALLBACKS]
    lines += ["", "| Method | Arguments | Returns / errors | Limits |", "|---|---|---|---|"]
    for m in _METHODS:
        owner = "window" if m.scope == "window" else "jivo_api"
        result = "; ".join(part for part in (m.returns, m.errors) if part and part != "undefined")
        result = (result or "—").replace("|", "&#124;")  # a bare | would split the table cell
        lines.append(
            f"| `{owner}.{m.name}` | {_signature(m.params)} | {result} | "
            f"{'; '.join(m.limits) or '—'} |"
        )
    return "\n".join(lines) + "\n"
