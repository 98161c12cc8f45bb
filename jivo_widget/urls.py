"""The one URL rule for every link jivo-widget accepts.

Links reach a visitor's browser (``loader_url``, ``page_url``) or an agent's (custom data links,
a webhook response's ``crm_link`` and ``page.url``), so "accepted" must mean: the browser's URL
parser and Python's ``urllib.parse`` both read an ``http``/``https`` URL with the same host. A URL
is accepted when it is, whole:

- the scheme ``http`` or ``https`` in ASCII letters of any case (``http\\u017f``, whose U+017F
  LONG S matches ``s`` case-insensitively, is not), then ``://``;
- a host: a DNS name (ASCII letters, digits, ``-`` and ``_``; punycode ``xn--`` labels for
  international names), a dotted-quad IPv4 address, or a bracketed IPv6 address. The last label
  of a name starts with a letter, because browsers read a name ending in a number
  (``0x7f.1``, ``127.1``) as an IPv4 address; ``%``, Unicode look-alikes (fullwidth letters,
  ``。``) and empty labels are refused for the same reason: the browser rewrites them;
- no ``user@`` part (credentials in a link leak, and ``https://bank.example@evil.example/``
  is a classic disguise) and no empty host (``https:///evil.example`` is ``evil.example`` to a
  browser, which skips the extra slashes, but has no host for urllib);
- an optional port, 1 to 65535;
- then nothing, or a path, query or fragment, which may hold any character except whitespace,
  control characters (C0, DEL, C1), invisible formatting characters (bidi embeddings, overrides,
  isolates and marks, zero-width space, soft hyphen, BOM, tag characters and the other
  default-ignorable code points, except the joiners and variation selectors that emoji and some
  scripts need) and private-use code points.
  A backslash is refused before the path, where browsers read it as ``/`` and end the host.

A ``mailto:`` link (a facade's fallback link) is accepted by :func:`is_mailto`: ``mailto:``, one
address whose domain is a host name as above, then optionally ``?`` and header fields made of the
same visible characters as a URL's tail.

What is not checked: whether a punycode label decodes to a valid international name (a browser
refuses a malformed one: a dead link, never another host). The differential tests compare this
rule with urllib and with Chromium's ``new URL()`` on generated strings.

The rule is one pattern for the Rust regex engine inside pydantic-core, so that the per-request
validator checks links natively (no Python call per link) and the pydantic models, the webhook
responses and :func:`is_http_url` use exactly the same engine and pattern.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

__all__ = [
    "HTTPS_URL_PATTERN",
    "HTTP_URL_PATTERN",
    "MAILTO_PATTERN",
    "ROOT_PATH_PATTERN",
    "URL_ERROR",
    "URL_RULE",
    "HttpUrlRule",
    "is_http_url",
    "is_mailto",
    "is_root_path",
    "url_schema",
]

#: The error type and message of a link that breaks the rule (the value is never echoed).
URL_ERROR = "http_url"
URL_RULE = (
    "must be an absolute http(s) URL with a host name or IP address, no user@, and no "
    "whitespace, control or invisible formatting characters"
)

# ------------------------------------------------------------------ the pattern, in parts
# Written for Rust's regex crate (pydantic-core): "\p{..}" classes, "$" is the end of the text.
# No case-insensitive flag anywhere: Unicode case folding is how "http\u017f" would pass.

_SCHEME = "[Hh][Tt][Tt][Pp][Ss]?"
_HTTPS = "[Hh][Tt][Tt][Pp][Ss]"

# A DNS label: letters, digits, "_" and "-", not starting or ending with "-".
_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
# The last label starts with a letter: browsers parse a host that ends in a number as IPv4.
_LAST_LABEL = "[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_NAME = rf"(?:{_LABEL}\.)*{_LAST_LABEL}"

# Canonical dotted-quad IPv4 (no leading zeros, which browsers read as octal).
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


def _ipv6() -> str:
    """RFC 3986's IPv6address, which the WHATWG parser accepts too (no zone ids)."""
    h16 = "[0-9A-Fa-f]{1,4}"
    ls32 = rf"(?:{h16}:{h16}|{_IPV4})"

    def pieces(n: int) -> str:  # n times "h16:"
        return f"(?:{h16}:){{{n}}}" if n else ""

    def before(n: int) -> str:  # [ *n( h16 ":" ) h16 ] before "::"
        return f"(?:(?:{h16}:){{0,{n}}}{h16})?" if n else f"(?:{h16})?"

    forms = [
        f"{pieces(6)}{ls32}",
        f"::{pieces(5)}{ls32}",
        f"{before(0)}::{pieces(4)}{ls32}",
        f"{before(1)}::{pieces(3)}{ls32}",
        f"{before(2)}::{pieces(2)}{ls32}",
        f"{before(3)}::{h16}:{ls32}",
        f"{before(4)}::{ls32}",
        f"{before(5)}::{h16}",
        f"{before(6)}::",
    ]
    return "(?:" + "|".join(forms) + ")"


_HOST = rf"(?:{_NAME}|{_IPV4}|\[{_ipv6()}\])"
# 1 to 65535, without leading zeros.
_PORT = (
    "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))"
)

# What may follow the host: anything visible. Refused: control characters (Cc), format
# characters (Cf: bidi embeddings, overrides, isolates and marks, zero-width space, word joiner,
# soft hyphen, BOM, tag characters), separators (Z: every space, U+2028/U+2029), the other
# default-ignorable code points (Hangul fillers, Mongolian vowel separator...) and private-use
# (Co) code points. Kept, because text needs them to render and they cannot reorder or hide it:
# ZWNJ and ZWJ (Persian and Indic words, emoji sequences such as a family) and the variation
# selectors (the emoji form of "❤️").
# (Not unassigned code points: "[^\p{Co}\p{Cn}]" lets U+E000 through in the regex crate, and
# the browser percent-encodes them like any other non-ASCII character.)
_INVISIBLE = r"\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}\p{Co}"
_JOINERS_AND_SELECTORS = r"\x{200C}\x{200D}\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}"
_TAIL_CHAR = rf"[[^{_INVISIBLE}]{_JOINERS_AND_SELECTORS}]"
_TAIL = rf"(?:[/?#]{_TAIL_CHAR}*)?"

#: An absolute http(s) URL (see the module docstring).
HTTP_URL_PATTERN = rf"^{_SCHEME}://{_HOST}{_PORT}?{_TAIL}$"
#: The same, https only (the loader: Jivo's snippet is https).
HTTPS_URL_PATTERN = rf"^{_HTTPS}://{_HOST}{_PORT}?{_TAIL}$"
#: A root-relative path on the site's own origin: "/" not followed by "/" or "\" (browsers read
#: both as the start of another host), and no backslash at all (the browser's "/").
ROOT_PATH_PATTERN = rf"^/(?:[^/\\{_INVISIBLE}][^\\{_INVISIBLE}]*)?$"
# An address's local part: RFC 5322's atom characters and dots ("%" and "?" would be read as
# escapes and the start of the headers).
_LOCAL_PART = r"[A-Za-z0-9.!#$&'*+/=^_`{|}~-]+"
#: A ``mailto:`` link to one address on a host name, with optional ``?subject=…`` headers.
MAILTO_PATTERN = rf"^[Mm][Aa][Ii][Ll][Tt][Oo]:{_LOCAL_PART}@{_NAME}(?:\?{_TAIL_CHAR}*)?$"


def url_schema(*, https_only: bool = False) -> cs.CoreSchema:
    """A pydantic-core schema: a ``str`` that is a URL by the rule (error :data:`URL_ERROR`).

    Any failure of a string, including a non-string input, is reported as the rule, so that
    every place that takes a link says the same thing.
    """
    pattern = HTTPS_URL_PATTERN if https_only else HTTP_URL_PATTERN
    return cs.custom_error_schema(
        cs.str_schema(strict=True, pattern=pattern),
        custom_error_type=URL_ERROR,
        custom_error_message=URL_RULE,
    )


class HttpUrlRule:
    """``Annotated[str, HttpUrlRule()]``: a pydantic field checked by the URL rule."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> cs.CoreSchema:
        """The rule's schema in place of ``str``'s."""
        return url_schema()


_URL = SchemaValidator(url_schema())
_HTTPS_URL = SchemaValidator(url_schema(https_only=True))
_ROOT_PATH = SchemaValidator(cs.str_schema(strict=True, pattern=ROOT_PATH_PATTERN))
_MAILTO = SchemaValidator(cs.str_schema(strict=True, pattern=MAILTO_PATTERN))


def is_http_url(value: str, *, https_only: bool = False) -> bool:
    """Whether ``value`` is a link by the rule (only ``https`` with ``https_only``)."""
    try:
        (_HTTPS_URL if https_only else _URL).validate_python(value)
    except ValidationError:
        return False
    return True


def is_root_path(value: str) -> bool:
    """Whether ``value`` is a path on the site's own origin (``/static/x.js``), by the rule."""
    try:
        _ROOT_PATH.validate_python(value)
    except ValidationError:
        return False
    return True


def is_mailto(value: str) -> bool:
    """Whether ``value`` is a ``mailto:`` link to one address on a host name, by the rule."""
    try:
        _MAILTO.validate_python(value)
    except ValidationError:
        return False
    return True
