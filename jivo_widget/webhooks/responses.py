"""The response Jivo reads for ``chat_accepted`` and ``chat_updated``.

Jivo shows ``custom_data``, ``contact_info``, the CRM buttons (``crm_link``, ``enable_assign``)
and ``page`` to the agent only when ``result == "ok"``. Every other event is answered with a bare
``{"result": "ok"}``.

A handler may return a :class:`ChatResponse` or a plain dict; either is validated here before it
is sent, so that a mistake is a handler error naming the field (recorded by the receiver, which
then answers ``{"result": "ok"}``) instead of Jivo silently showing nothing:

- unknown keys are an error (a typo such as ``crmlink`` would otherwise be dropped without a word),
  and so are more than ``catalog.CUSTOM_DATA_MAX_FIELDS`` custom data fields;
- numbers are accepted where Jivo wants text and sent as their decimal string
  (``{"content": order_count}``); booleans and other types are errors;
- ``contact_info.name`` is required and non-blank, as in Jivo's docs (``name``, ``phone?``,
  ``email?``);
- every link (``custom_data[].link``, ``crm_link``, ``page.url``) must follow the toolkit's one
  URL rule (:mod:`jivo_widget.urls`: an absolute http(s) URL with a real host, no ``user@``, no
  whitespace, control or invisible formatting characters); it is sent exactly as given (not
  normalised), and a refused link is never echoed in the error.

Why not the page's models (:class:`jivo_widget.Contact`, :class:`jivo_widget.CustomField`)? They
carry the same fields (the catalog's ``CONTACT_FIELDS`` and ``CUSTOM_DATA_FIELD_KEYS``; a test
holds both sets of models to them) under the same URL rule, but they are read by other rules for
another reader. The page's are strict (a number where text belongs is a mistake in the site's
code), accept lazy translation strings, and in lenient rendering drop a bad field instead of
failing; a handler's response is read the way Jivo reads it: numbers are sent as text
(``{"content": order_count}``), ``contact_info.name`` is required (Jivo may ignore the object
without it), and any error fails the whole response, which then falls back to
``{"result": "ok"}`` with the error stored for the event.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from jivo_widget.catalog import CUSTOM_DATA_MAX_FIELDS
from jivo_widget.urls import HttpUrlRule

__all__ = [
    "OK",
    "ChatResponse",
    "ContactInfo",
    "CustomDataField",
    "HttpLink",
    "ResponsePage",
    "to_response",
]

#: The safe answer: what every event gets when nothing more is to be said.
OK: dict[str, Any] = {"result": "ok"}


#: A link by the toolkit's URL rule, sent as given (pydantic's ``HttpUrl`` would rewrite it).
#: Jivo turns these into buttons and links in the agent app: anything but an absolute web URL
#: with a real host (``javascript:``, a relative path, a disguised host) is a broken or unsafe
#: button.
HttpLink = Annotated[str, HttpUrlRule()]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


class _ResponseModel(BaseModel):
    # Numbers are read as text: ``{"content": order_count}`` must not cost the agent the CRM card.
    # Inputs hidden from errors: a refused link or contact may hold personal data.
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, hide_input_in_errors=True
    )


class CustomDataField(_ResponseModel):
    """One ``custom_data`` item, as for ``jivo_api.setCustomData``: ``content`` is required."""

    content: str
    title: str | None = None
    link: HttpLink | None = None
    key: str | None = None


class ContactInfo(_ResponseModel):
    """``contact_info``: shown as if the visitor had typed it, saved in the chat log.

    ``name`` is required, as in Jivo's docs: without it Jivo may ignore the whole object, and a
    handler error naming the field is easier to act on than a contact that silently never shows.
    """

    name: Annotated[str, AfterValidator(_not_blank)]
    phone: str | None = None
    email: str | None = None
    description: str | None = None


class ResponsePage(_ResponseModel):
    """``page``: a link shown to the agent."""

    url: HttpLink
    title: str | None = None


#: ``custom_data``: at most ``catalog.CUSTOM_DATA_MAX_FIELDS`` items, like ``setCustomData``.
CustomDataList = Annotated[list[CustomDataField], Field(max_length=CUSTOM_DATA_MAX_FIELDS)]


class ChatResponse(_ResponseModel):
    """The answer to ``chat_accepted`` / ``chat_updated``.

    >>> ChatResponse(crm_link="https://crm.example/c/42", enable_assign=True).as_json()
    {'result': 'ok', 'enable_assign': True, 'crm_link': 'https://crm.example/c/42'}
    """

    result: str = "ok"
    custom_data: CustomDataList | None = None
    contact_info: ContactInfo | None = None
    enable_assign: bool | None = None
    crm_link: HttpLink | None = None
    page: ResponsePage | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object sent to Jivo (``None`` fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


def to_response(value: ChatResponse | dict[str, Any]) -> dict[str, Any]:
    """Validate a handler's return value; the JSON object to send.

    Raises :class:`ValueError` with a message naming each bad field and its rule.
    """
    if isinstance(value, ChatResponse):
        return value.as_json()
    if not isinstance(value, dict):
        raise ValueError(f"a response must be a dict or a ChatResponse, not {type(value).__name__}")
    try:
        return ChatResponse.model_validate(value).as_json()
    except ValidationError as exc:
        raise ValueError(f"invalid response: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """``field.path: message`` for every error, without echoing the input (it may hold PII)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        location = ".".join(str(part) for part in error["loc"]) or "(body)"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)
