"""The per-request validator of :meth:`Widget.render`, built directly on pydantic-core.

It runs on every page view, so it validates plain dicts into plain dicts with native checks only
(no Python callbacks, no model instances to dump again): about half the cost of a pydantic model
tree. The public typed models (:class:`~jivo_widget.config.Contact`,
:class:`~jivo_widget.config.CustomField`) describe the same shapes; a unit test keeps the two in
step. Limits come from :mod:`jivo_widget.catalog`; readable messages from
:func:`jivo_widget.config.format_validation_error`.
"""

from __future__ import annotations

import re

from pydantic_core import SchemaValidator
from pydantic_core import core_schema as cs

from jivo_widget import catalog

__all__ = [
    "ATTRIBUTE_VALUE_ERROR",
    "ATTRIBUTE_VALUE_MESSAGE",
    "CONTACT_FIELDS",
    "CUSTOM_FIELD_FIELDS",
    "HTTP_URL_PATTERN",
    "NONCE_PATTERN",
    "REQUEST_FIELDS",
    "is_url",
    "request_validator",
]

# CSP nonces are base64(url) in practice; anything else could break out of the attribute.
NONCE_PATTERN = r"^[A-Za-z0-9+/_=-]{1,256}$"
# An absolute http(s) URL, whole: scheme, optional userinfo, a host (name or [IPv6]), optional
# port, then anything but whitespace and control characters (raw, they are never part of a URL;
# a prefix check let 'https://a b" onclick=x' through). A pattern rather than urllib.parse
# because it runs natively on every link of every request (urllib: +0.8 µs per link); the unit
# tests check that whatever it accepts urllib.parse reads as an http(s) URL with a host.
# Anchored for pydantic-core's regex, whose "$" is the end of the text (unlike Python's).
_URL_CHAR = r"[^\s\x00-\x1f\x7f]"
_URL_TAIL = (
    r"://(?:[^\s\x00-\x1f\x7f/?#@\[\]]*@)?"
    r"(?:[^\s\x00-\x1f\x7f/?#@\[\]:]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?"
    rf"(?:[/?#]{_URL_CHAR}*)?$"
)
HTTP_URL_PATTERN = r"^(?i:https?)" + _URL_TAIL
_HTTPS_URL = re.compile(r"^(?i:https)" + _URL_TAIL)
_HTTP_URL = re.compile(HTTP_URL_PATTERN)
#: Error type of a client attribute value that is neither a string nor a number.
ATTRIBUTE_VALUE_ERROR = "attribute_value"
ATTRIBUTE_VALUE_MESSAGE = "must be a string or a finite number"

CONTACT_FIELDS = ("name", "email", "phone", "description")
CUSTOM_FIELD_FIELDS = ("content", "title", "link", "key")
REQUEST_FIELDS = (
    "user_token",
    "contact",
    "custom_data",
    "client_attributes",
    "page_title",
    "page_url",
    "clear_history",
    "nonce",
)


def is_url(value: str, *, https_only: bool = False) -> bool:
    """Whether ``value`` is a whole absolute http(s) (or only https) URL with a host."""
    # fullmatch: Python's "$" would also match before a final newline.
    return bool((_HTTPS_URL if https_only else _HTTP_URL).fullmatch(value))


def _optional(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.nullable_schema(schema), required=False)


def attribute_value_schema() -> cs.CoreSchema:
    """Jivo attribute values are Text or Number (strict: ``True`` is not a number; NaN and
    Infinity are not JSON)."""
    return cs.union_schema(
        [
            cs.str_schema(strict=True),
            cs.int_schema(strict=True),
            cs.float_schema(strict=True, allow_inf_nan=False),
        ],
        custom_error_type=ATTRIBUTE_VALUE_ERROR,
        custom_error_message=ATTRIBUTE_VALUE_MESSAGE,
    )


def request_validator() -> SchemaValidator:
    """Validates ``render()``'s keyword arguments (a dict) into a dict of the same shape."""
    text = cs.str_schema(strict=True)
    url = cs.str_schema(strict=True, pattern=HTTP_URL_PATTERN)
    contact = cs.typed_dict_schema(
        {name: _optional(text) for name in CONTACT_FIELDS}, extra_behavior="forbid"
    )
    custom_field = cs.typed_dict_schema(
        {
            # Jivo requires content: an empty string is no content (the mock flags it too).
            "content": cs.typed_dict_field(cs.str_schema(strict=True, min_length=1)),
            "title": _optional(text),
            "link": _optional(url),
            "key": _optional(text),
        },
        extra_behavior="forbid",
    )
    fields = {
        "user_token": _optional(cs.str_schema(strict=True, min_length=1)),
        "contact": _optional(contact),
        "custom_data": _optional(
            cs.list_schema(custom_field, max_length=catalog.CUSTOM_DATA_MAX_FIELDS, strict=True)
        ),
        "client_attributes": _optional(cs.dict_schema(text, attribute_value_schema(), strict=True)),
        "page_title": _optional(text),
        "page_url": _optional(url),
        "clear_history": _optional(cs.bool_schema(strict=True)),
        "nonce": _optional(cs.str_schema(strict=True, pattern=NONCE_PATTERN)),
    }
    assert tuple(fields) == REQUEST_FIELDS
    return SchemaValidator(cs.typed_dict_schema(fields, extra_behavior="forbid"))
