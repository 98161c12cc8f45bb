"""The rules of what goes into a Jivo user token: secrets, visitor ids, lifetimes, claims.

Each check raises :class:`~jivo_widget.errors.JivoConfigError` naming ``field`` (the caller's
name for the value: ``secret`` in :class:`~jivo_widget.identity.UserTokens`, ``identity_secret``
on a Widget, ``JIVO_JWT_SECRET`` in the CLI) and the rule it broke. The public names are
importable from :mod:`jivo_widget.identity`, whose docstring says why each rule is what it is.
"""

from __future__ import annotations

import hmac
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

import jwt
from pydantic import SecretStr

from jivo_widget import catalog
from jivo_widget.errors import JivoConfigError

__all__ = [
    "ALGORITHM",
    "MAX_VISITOR_ID_LENGTH",
    "MIN_SECRET_BYTES",
    "RESERVED_CLAIMS",
    "VISITOR_ID",
    "VISITOR_ID_RULE",
    "JwtSecret",
    "check_claims",
    "hmac_key",
    "parse_duration",
    "parse_secrets",
    "secrets_from_environment",
    "validate_visitor_id",
]

#: The one algorithm signed and accepted (see :mod:`jivo_widget.identity`: "HS256 only").
ALGORITHM: Final = "HS256"
#: Jivo's JWT settings want a 256-bit secret: 32 bytes of its UTF-8 text.
MIN_SECRET_BYTES: Final = catalog.JWT_SECRET_MIN_BYTES
#: Jivo documents no length for the id; ours keeps tokens (and the work to check them) small.
MAX_VISITOR_ID_LENGTH: Final = catalog.VISITOR_ID_MAX_LENGTH
#: Claims the signer sets itself (``id``, ``iat``, ``exp``) or that verification would refuse
#: without more configuration (``nbf``: tokens are valid from signing; ``aud``: PyJWT would then
#: demand an expected audience, and Jivo names none).
RESERVED_CLAIMS: Final = ("id", "iat", "exp", "nbf", "aud")
#: Registered claims PyJWT checks to be strings when verifying (RFC 7519 §4.1).
_STRING_CLAIMS = ("iss", "sub", "jti")

VISITOR_ID_RULE: Final = (
    f"must be 1-{MAX_VISITOR_ID_LENGTH} Latin letters and/or digits (Jivo's rule for the token's "
    "id; for a UUID use uuid.hex)"
)
VISITOR_ID = re.compile(catalog.VISITOR_ID_PATTERN)  # with fullmatch: no "\n" slips through
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"\s*(\d+)\s*([smhd]?)\s*")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class JwtSecret(SecretStr):
    """One secret from Jivo's JWT settings: a :class:`~pydantic.SecretStr` (hidden in ``repr``,
    ``str`` and dumps) that compares in constant time, so comparing two configs (``Widget ==
    Widget``) says nothing through its timing about how much of a secret matched."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretStr):
            return NotImplemented
        return hmac.compare_digest(hmac_key(self), hmac_key(other))

    __hash__ = SecretStr.__hash__


def validate_visitor_id(value: object, *, field: str = "visitor_id") -> str:
    """Return ``value`` if it is a visitor id Jivo accepts in a token, else raise
    :class:`JivoConfigError` naming ``field`` and the rule (the value is shown: ids are not
    secrets, and a user needs to see which one was refused)."""
    if not isinstance(value, str):
        raise JivoConfigError(
            f"{field}: must be a string (str(user.pk)), got {type(value).__name__}"
        )
    if not VISITOR_ID.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise JivoConfigError(f"{field}: {VISITOR_ID_RULE}, got {shown!r}")
    return value


def parse_secrets(value: object, *, field: str = "secret") -> tuple[JwtSecret, ...]:
    """Read one secret or several (rotation: the first signs, all verify).

    ``value`` is a ``str`` or :class:`~pydantic.SecretStr` (whitespace separates several:
    ``JIVO_JWT_SECRET="NEW OLD"``), or a list of them. Each secret is kept exactly as entered in
    Jivo's JWT settings and must be at least :data:`MIN_SECRET_BYTES` bytes of UTF-8. Errors name
    ``field`` and which secret broke the rule, never its text.
    """
    items: Iterable[object]
    if isinstance(value, str | SecretStr):
        items = (value,)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = value
    else:
        raise JivoConfigError(
            f"{field}: must be the secret from Jivo's JWT settings (a str), or a list of them, "
            f"got {type(value).__name__}"
        )
    secrets: list[JwtSecret] = []
    for item in items:
        if isinstance(item, SecretStr):
            item = item.get_secret_value()
        if not isinstance(item, str):
            raise JivoConfigError(f"{field}: every secret must be a str, got {type(item).__name__}")
        secrets.extend(JwtSecret(part) for part in item.split())
    if not secrets:
        raise JivoConfigError(f"{field}: no secret given (copy it from Jivo's JWT settings)")
    for number, secret in enumerate(secrets, 1):
        which = "the secret" if len(secrets) == 1 else f"secret #{number} of {len(secrets)}"
        key = hmac_key(secret)
        if len(key) < MIN_SECRET_BYTES:
            several = " (whitespace separates several secrets)" if len(secrets) > 1 else ""
            raise JivoConfigError(
                f"{field}: {which} is {len(key)} bytes long; Jivo's JWT secret must be at least "
                f"{MIN_SECRET_BYTES} bytes (256 bits), used as entered{several}"
            )
        try:
            # PyJWT refuses, as an HMAC key, anything shaped like a PEM/SSH public key,
            # certificate or JWK (an algorithm-confusion guard): find that out now.
            jwt.encode({}, key, algorithm=ALGORITHM)
        except jwt.InvalidKeyError:
            raise JivoConfigError(
                f"{field}: {which} looks like a public key, certificate or JWK, not the text "
                "from Jivo's JWT settings"
            ) from None
    return tuple(secrets)


def secrets_from_environment(name: object, *, field: str) -> tuple[JwtSecret, ...]:
    """The secrets in the environment variable ``name`` (see :func:`parse_secrets`), read now.

    ``field`` is the caller's option (``identity_secret_env``): errors name it, and the
    variable, when ``name`` is not a variable's name or the variable is unset or empty.
    """
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        raise JivoConfigError(
            f"{field}: must be the name of an environment variable (e.g. 'JIVO_JWT_SECRET'), "
            f"got {name!r}"
        )
    value = os.environ.get(name, "")
    if not value.strip():
        raise JivoConfigError(
            f"{field}: the environment variable {name} is not set (put the secret from Jivo's "
            "JWT settings there)"
        )
    return parse_secrets(value, field=f"{field} ({name})")


def hmac_key(secret: SecretStr) -> bytes:
    """The HMAC key: the secret's UTF-8 bytes, as entered (never hex- or base64-decoded)."""
    return secret.get_secret_value().encode("utf-8")


def parse_duration(value: object, *, field: str, maximum: int) -> int:
    """Whole seconds from an int, a :class:`~datetime.timedelta` or ``"90s"``/``"15m"``/``"1h"``/
    ``"7d"``, between 0 and ``maximum``."""
    seconds: float
    if isinstance(value, bool):
        raise JivoConfigError(f"{field}: must be seconds, a timedelta or e.g. '1h', got bool")
    if isinstance(value, int | float):
        seconds = value
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise JivoConfigError(
            f"{field}: must be seconds, a timedelta or a number with a unit s/m/h/d (e.g. '1h'), "
            f"got {value!r}"
        )
    if not math.isfinite(seconds) or not 0 <= seconds <= maximum:
        raise JivoConfigError(f"{field}: must be between 0 and {maximum} seconds, got {value!r}")
    return int(seconds)


def _json_problem(value: object, path: str) -> str | None:
    """Why ``value`` is not plain JSON (naming where), or None: it goes into the token as is."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value}, not a JSON value"
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if problem := _json_problem(item, f"{path}[{index}]"):
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has the key {key!r}; JSON keys are strings"
            if problem := _json_problem(item, f"{path}.{key}"):
                return problem
        return None
    return f"{path} is a {type(value).__name__}, not a JSON value"


def check_claims(value: object, *, field: str = "claims") -> dict[str, Any]:
    """Extra claims for every token: a JSON object whose names are not :data:`RESERVED_CLAIMS`
    (``id`` is the visitor's, the times are the signer's), with ``iss``/``sub``/``jti`` strings."""
    if not isinstance(value, Mapping):
        raise JivoConfigError(f"{field}: must be a mapping of claim names to JSON values")
    claims = dict(value)
    for name, item in claims.items():
        if name in RESERVED_CLAIMS:
            raise JivoConfigError(
                f"{field}.{name}: reserved (id is the visitor id given to sign(); iat and exp "
                "come from issued_at and expires_in; nbf and aud are not supported)"
            )
        if name in _STRING_CLAIMS and not isinstance(item, str):
            raise JivoConfigError(f"{field}.{name}: must be a string (RFC 7519 §4.1)")
    if problem := _json_problem(claims, field):
        raise JivoConfigError(problem)
    return claims
