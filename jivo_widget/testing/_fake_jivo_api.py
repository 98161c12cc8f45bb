"""The fake ``jivo_api``: every catalog method, recorded, answering like the ``jivo_mock`` widget.

It keeps no state of its own: the widget's state, the record of calls and the callbacks it
fires belong to the page it is part of (:class:`WidgetHost`, the fake browser).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from jivo_widget import catalog
from jivo_widget.testing._js_values import JsObject, normalize

CONTACT_KEYS = catalog.CONTACT_FIELDS
RESULT_KEYS = catalog.CONTACT_INFO_RESULT_FIELDS


class WidgetHost(Protocol):
    """What the fake ``jivo_api`` reads and drives in its page."""

    state: dict[str, Any]
    utm: dict[str, str]
    violations: list[str]

    def _record(self, name: str, args: tuple[Any, ...], result: Any) -> Any: ...

    def _set_open(self, open_: bool, view: str | None) -> None: ...

    def _fire_now(self, callback: str, *args: Any) -> None: ...

    def setTimeout(self, callback: Callable[[], object], delay_ms: float = 0) -> int: ...


class FakeJivoApi:
    """``jivo_api``: every catalog method, recorded, answering like the ``jivo_mock`` widget."""

    def __init__(self, fake: WidgetHost) -> None:
        self._fake = fake

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        fake = self._fake

        def unknown(*args: Any) -> None:
            fake._record(name, args, None)
            fake.violations.append(f"jivo_api.{name}(): not a Jivo method")

        return unknown

    def _call(self, name: str, args: tuple[Any, ...], result: Any) -> Any:
        return self._fake._record(name, args, result)

    def open(self, params: Any = None) -> Any:
        state = self._fake.state
        start = "chat"
        if isinstance(params, dict) and params.get("start") is not None:
            start = params["start"]
            if start not in catalog.OPEN_START_VALUES:
                return self._call("open", (params,), JsObject(result="fail"))
        if state["status"] == "destroyed" or (start == "call" and not state["callbacks_enabled"]):
            return self._call("open", _args(params), JsObject(result="fail"))
        result = self._call("open", _args(params), JsObject(result="ok"))
        self._fake._set_open(True, start)
        return result

    def close(self) -> Any:
        if self._fake.state["status"] == "destroyed":
            return self._call("close", (), JsObject(result="fail"))
        result = self._call("close", (), JsObject(result="ok"))
        self._fake._set_open(False, None)
        return result

    def showProactiveInvitation(self, text: str, department_id: int | None = None) -> None:
        self._call("showProactiveInvitation", _args(text, department_id), None)
        if isinstance(text, str):
            self._fake.state["invitation"] = {"text": text, "department_id": department_id}
            self._fake._set_open(True, "chat")

    def setWidgetColor(self, color: str, color2: str | None = None) -> None:
        self._call("setWidgetColor", _args(color, color2), None)
        self._fake.state["widget_color"] = color

    def chatMode(self) -> str:
        return str(self._call("chatMode", (), self._fake.state["chat_mode"]))

    def startCall(self, phone: str) -> Any:
        state = self._fake.state
        failure = None
        if not state["callbacks_enabled"]:
            failure = "callbacks are disabled for this widget"
        elif not isinstance(phone, str) or not re.search(r"\d", phone):
            failure = "invalid phone number"
        if failure:
            result = self._call("startCall", (phone,), JsObject(result="fail", reason=failure))
            self._fake._fire_now("jivo_onCallEnd", JsObject(result="fail", reason=failure))
            return result
        result = self._call("startCall", (phone,), JsObject(result="ok"))
        state["call"] = {"phone": phone}
        self._fake._fire_now("jivo_onCallStart")
        return result

    def sendOfflineMessage(self, message: Any) -> Any:
        if not isinstance(message, dict):
            res = JsObject(result="fail", error="message object required")
        elif self._fake.state["chat_mode"] == "online":
            res = JsObject(
                result="fail",
                error="agents are online; offline messages are accepted only offline",
            )
        elif not isinstance(message.get("message"), str) or not message.get("message"):
            res = JsObject(result="fail", error="message is required")
        else:
            res = JsObject(result="ok")
        return self._call("sendOfflineMessage", (message,), res)

    def sendPageTitle(
        self, title: str, fromApi: bool | None = None, url: str | None = None
    ) -> None:
        self._call("sendPageTitle", _args(title, fromApi, url), None)

    def setContactInfo(self, info: Any) -> None:
        self._call("setContactInfo", (info,), None)
        if isinstance(info, dict):
            for key in CONTACT_KEYS:
                if isinstance(info.get(key), str):
                    self._fake.state["contact"][key] = info[key]

    def setClientAttributes(self, attributes: Any) -> None:
        self._call("setClientAttributes", (attributes,), None)

    def setCustomData(self, fields: Any) -> Any:
        # The mock's answers: Jivo documents {result: 'ok'} and the non-array reason; the other
        # reasons are the mock's (the catalog marks them undocumented).
        if not isinstance(fields, list):
            answer = JsObject(result="fail", reason=catalog.CUSTOM_DATA_NOT_ARRAY_REASON)
        elif len(fields) > catalog.CUSTOM_DATA_MAX_FIELDS:
            answer = JsObject(
                result="fail",
                reason=f"Custom data must have at most {catalog.CUSTOM_DATA_MAX_FIELDS} fields.",
            )
        elif not all(_valid_custom_field(field) for field in fields):
            answer = JsObject(result="fail", reason="Custom data fields are invalid.")
        else:
            answer = JsObject(result="ok")
            self._fake.state["custom_data"] = normalize(fields)
        return self._call("setCustomData", (fields,), answer)

    def setUserToken(self, token: str) -> None:
        self._call("setUserToken", (token,), None)
        if isinstance(token, str):
            self._fake.state["user_token"] = token

    def setRules(self, rules: Any) -> None:
        self._call("setRules", (rules,), None)

    def getContactInfo(self) -> JsObject:
        contact = self._fake.state["contact"]
        info = JsObject(
            {
                result: contact[key] or None
                for result, key in zip(RESULT_KEYS, CONTACT_KEYS, strict=True)
            }
        )
        self._call("getContactInfo", (), info)
        return info

    def getVisitorNumber(self, callback: Callable[[Any, Any], object]) -> None:
        self._call("getVisitorNumber", (callback,), None)
        state = self._fake.state
        error = state["visitor_number_error"]
        number = state["visitor_number"] if error is None else None
        if callable(callback):
            self._fake.setTimeout(lambda: callback(error, number), 0)

    def getUnreadMessagesCount(self) -> int:
        return int(self._call("getUnreadMessagesCount", (), self._fake.state["unread"]))

    def getUtm(self) -> JsObject:
        utm = JsObject({k: self._fake.utm.get(k) or None for k in catalog.UTM_FIELDS})
        self._call("getUtm", (), utm)
        return utm

    def isCallbackEnabled(self, callback: Callable[[Any], object]) -> None:
        self._call("isCallbackEnabled", (callback,), None)
        if self._fake.state["callbacks_enabled"]:
            res = JsObject(result="ok")
        else:
            res = JsObject(result="fail", reason="callbacks are disabled for this widget")
        if callable(callback):
            self._fake.setTimeout(lambda: callback(res), 0)

    def clearHistory(self) -> None:
        self._call("clearHistory", (), None)
        state = self._fake.state
        state["contact"] = dict.fromkeys(CONTACT_KEYS)
        state["custom_data"] = None
        state["user_token"] = None
        state["invitation"] = None
        state["unread"] = 0
        state["chat_started"] = False


def _valid_custom_field(field: Any) -> bool:
    """What the JS mock accepts as one ``setCustomData`` field: an object with non-empty
    ``content`` and, if a ``link`` is given, one the browser parses as an http(s) URL."""
    if not isinstance(field, dict):
        return False
    content, link = field.get("content"), field.get("link")
    return (
        isinstance(content, str)
        and content != ""
        and (not isinstance(link, str) or urlsplit(link).scheme.lower() in ("http", "https"))
    )


def _args(*values: Any) -> tuple[Any, ...]:
    """Arguments as JS sees them: trailing ``None`` (omitted optional ones) dropped."""
    items = list(values)
    while items and items[-1] is None:
        items.pop()
    return tuple(items)
