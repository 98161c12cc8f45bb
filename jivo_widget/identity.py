"""Jivo's JWT user tokens: sign a visitor's id for ``setUserToken``, verify it in webhooks.

Jivo documents JWT authorization for the widget (its widget API docs, "Identity"): the site
shares a 256-bit secret with Jivo (channel settings → "JWT settings"), signs
``{"id": "<visitor id>"}`` with it and passes the token to ``jivo_api.setUserToken`` before the
dialog starts; Jivo then keeps the visitor's chat history across browsers and devices, and sends
the same string back as ``user_token`` in every webhook. Because only the site and Jivo know the
secret, a token that verifies was issued by the site: unlike ``setCustomData`` or contact info,
which any visitor can set from the browser console, it cannot be forged.

:class:`UserTokens` does both halves with PyJWT::

    tokens = UserTokens(os.environ["JIVO_JWT_SECRET"])
    token = tokens.sign("42")            # what render(visitor_id="42") hands to setUserToken
    result = tokens.verify(event.user_token)
    if result.status is IdentityStatus.VERIFIED:
        customer = crm.get(result.visitor_id)

Rules, and why:

- **HS256 only**, signing and verifying. Jivo's docs name no algorithm and point to jwt.io, whose
  default is HS256; we only ever sign HS256, so accepting anything else (``none``, RS/ES/PS,
  HS384/HS512) would only widen what a forger can try. The allow-list is fixed here, never read
  from the token (RFC 8725 §2.1).
- **The secret is used exactly as entered** in Jivo's JWT settings: its UTF-8 bytes are the HMAC
  key, as jwt.io uses them. Jivo's own example secret is 64 characters but not hex, so it is never
  hex- or base64-decoded. It must be at least 32 bytes (the 256 bits Jivo asks for). Secrets never
  contain whitespace, so whitespace separates several secrets (rotation: the first signs, all
  verify) and a stray newline from a secrets file cannot become part of the key.
- **The visitor id** follows Jivo's rule: Latin letters and/or digits (a UUID's dashes are not
  allowed: use ``uuid.hex``). Jivo documents no length; we cap it at :data:`MAX_VISITOR_ID_LENGTH`.
- **Verification never raises**: garbage, plain ids from sites that do not sign, tokens of any
  size (longer than :data:`MAX_TOKEN_LENGTH`: refused before parsing) all come back as a
  :class:`Verification` whose ``reason`` is safe to log (it never holds the token or a secret).
  Signatures are compared by PyJWT with :func:`hmac.compare_digest` (constant time).

The checks of each value (:func:`parse_secrets`, :func:`validate_visitor_id`,
:func:`parse_duration`, :func:`check_claims`…) live in ``_token_rules`` and are importable
from here; this module signs and verifies.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import jwt
from pydantic import SecretStr

from jivo_widget._token_rules import (
    ALGORITHM,
    MAX_VISITOR_ID_LENGTH,
    MIN_SECRET_BYTES,
    RESERVED_CLAIMS,
    VISITOR_ID,
    VISITOR_ID_RULE,
    JwtSecret,
    check_claims,
    hmac_key,
    parse_duration,
    parse_secrets,
    secrets_from_environment,
    validate_visitor_id,
)
from jivo_widget.errors import JivoConfigError

__all__ = [
    "ALGORITHM",
    "MAX_LEEWAY",
    "MAX_TOKEN_LENGTH",
    "MAX_VISITOR_ID_LENGTH",
    "MIN_SECRET_BYTES",
    "RESERVED_CLAIMS",
    "TOKEN_CACHE_SIZE",
    "VISITOR_ID_RULE",
    "IdentityStatus",
    "JwtSecret",
    "UserTokens",
    "Verification",
    "check_claims",
    "parse_duration",
    "parse_secrets",
    "secrets_from_environment",
    "validate_visitor_id",
]

#: Longer tokens are refused before any parsing; signing checks its own tokens fit (with room for
#: the longest id and every configured claim), so a token we signed is never refused for size.
MAX_TOKEN_LENGTH: Final = 4096
#: How many visitors' tokens are kept signed when tokens carry no time (the newest are kept).
TOKEN_CACHE_SIZE: Final = 4096
#: Leeway is for clock skew between servers, not a lifetime: raise ``expires_in`` for that.
MAX_LEEWAY: Final = 300
#: A lifetime longer than a year is no expiry at all: leave ``expires_in`` unset instead.
MAX_EXPIRES_IN: Final = 366 * 24 * 3600


class IdentityStatus(StrEnum):
    """What verifying a ``user_token`` found (compares equal to its string value)."""

    #: Signed with one of our secrets, not expired, ``id`` follows Jivo's rule.
    VERIFIED = "verified"
    #: No token at all (``None`` or empty): an anonymous visitor, or a page that set none.
    MISSING = "missing"
    #: Not a token we signed: garbage, a plain id, another algorithm, a wrong or tampered
    #: signature, a payload without a valid ``id``.
    INVALID = "invalid"
    #: Signed by us, but its ``exp`` has passed (beyond the leeway).
    EXPIRED = "expired"
    #: A token is there but nothing checked it: a webhook event from a ``WebhookApp`` without an
    #: ``identity_secret`` (or built by hand). :meth:`UserTokens.verify` never returns it.
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of :meth:`UserTokens.verify`.

    ``visitor_id`` is set only when ``status`` is ``verified``: it is the one value a handler may
    trust. ``claims`` is the authenticated payload when the signature matched (``verified`` and
    ``expired``: an expired token was still issued by the site, which helps support staff), else
    ``None``. ``reason`` says why the token was not verified (``""`` when it was); it never holds
    the token or a secret, so it can be logged.
    """

    status: IdentityStatus
    visitor_id: str | None = None
    claims: Mapping[str, Any] | None = field(default=None, repr=False)
    reason: str = ""

    @property
    def verified(self) -> bool:
        """Whether the token is one the site signed, still valid: ``visitor_id`` is set."""
        return self.status is IdentityStatus.VERIFIED


def _invalid(reason: str) -> Verification:
    return Verification(IdentityStatus.INVALID, reason=reason)


# --------------------------------------------------------------------------- sign and verify


class UserTokens:
    """Signs visitor ids into Jivo JWT user tokens and verifies tokens that come back.

    ``secret``: the secret from Jivo's JWT settings, or several (whitespace-separated in one str,
    or a list; the first signs, every one verifies — add the new secret first, switch Jivo over,
    then drop the old one). ``expires_in``: a lifetime (seconds, timedelta, ``"1h"``) for an
    ``exp`` claim; unset, tokens do not expire, like Jivo's minimal ``{"id": …}``. Mind that
    webhooks (``chat_finished``) may arrive long after the page was rendered, carrying the token
    the page set. ``issued_at``: add ``iat`` (always added with ``exp``). ``claims``: extra JSON
    claims in every token (see :func:`check_claims`). ``leeway``: seconds of clock skew allowed
    when checking ``exp``/``iat`` (at most :data:`MAX_LEEWAY`).

    The secrets are held as :class:`JwtSecret` (a ``SecretStr``) and appear in no ``repr``,
    message or log. Invalid options raise :class:`JivoConfigError` naming the option.
    """

    __slots__ = (
        "_claims",
        "_expires_in",
        "_issued_at",
        "_jwt",
        "_leeway",
        "_secrets",
        "_timeless_token",
    )

    def __init__(
        self,
        secret: str | SecretStr | Sequence[str | SecretStr],
        *,
        expires_in: int | float | timedelta | str | None = None,
        issued_at: bool = False,
        claims: Mapping[str, Any] | None = None,
        leeway: int | float | timedelta = 0,
    ) -> None:
        self._secrets = parse_secrets(secret)
        self._expires_in = (
            None
            if expires_in is None
            else parse_duration(expires_in, field="expires_in", maximum=MAX_EXPIRES_IN)
        )
        if self._expires_in == 0:
            raise JivoConfigError("expires_in: must be at least 1 second (None: no expiry)")
        if not isinstance(issued_at, bool):
            raise JivoConfigError(f"issued_at: must be true or false, got {issued_at!r}")
        self._issued_at = issued_at or self._expires_in is not None
        self._claims = MappingProxyType(check_claims({} if claims is None else claims))
        self._leeway = parse_duration(leeway, field="leeway", maximum=MAX_LEEWAY)
        # Every check is explicit: ``require`` makes a token without ``id`` fail in PyJWT too.
        self._jwt = jwt.PyJWT({"require": ["id"]})
        # Without iat/exp a visitor's token never changes: sign it once, not on every page view
        # (PyJWT takes ~20 µs a token, more than the rest of a render). Bounded: memory stays flat
        # however many visitors come by.
        self._timeless_token = functools.lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._sign_timeless)
        self._check_size()

    def _check_size(self) -> None:
        """Sign the largest token this config can make, once: claims too large for
        :data:`MAX_TOKEN_LENGTH` are found at construction, not on a page view."""
        largest = self._encode(self._payload("Z" * MAX_VISITOR_ID_LENGTH, datetime.now(UTC)))
        if len(largest) > MAX_TOKEN_LENGTH:
            raise JivoConfigError(
                f"claims: too large; tokens would be up to {len(largest)} characters, over the "
                f"{MAX_TOKEN_LENGTH} that verification accepts"
            )

    def __repr__(self) -> str:
        return (
            f"UserTokens(secrets=<{len(self._secrets)} hidden>, expires_in={self._expires_in}, "
            f"issued_at={self._issued_at}, claims={sorted(self._claims)}, leeway={self._leeway})"
        )

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # A pickle (a cache, a multiprocessing queue) would carry the secrets in clear.
        raise TypeError("UserTokens holds secrets and cannot be pickled; build one per process")

    # Nothing about it changes once built, so a copy (of a Widget holding it) may share it;
    # without these, copying would go through __reduce__ and fail.
    def __copy__(self) -> UserTokens:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> UserTokens:
        return self

    # ------------------------------------------------------------------ signing

    @property
    def expires_in(self) -> int | None:
        """The token lifetime in seconds, or ``None`` (no ``exp``)."""
        return self._expires_in

    def _payload(self, visitor_id: str, now: datetime) -> dict[str, Any]:
        payload: dict[str, Any] = {"id": visitor_id}
        if self._issued_at:
            issued = int(now.timestamp())
            payload["iat"] = issued
            if self._expires_in is not None:
                payload["exp"] = issued + self._expires_in
        payload.update(self._claims)
        return payload

    def _encode(self, payload: dict[str, Any]) -> str:
        return self._jwt.encode(payload, hmac_key(self._secrets[0]), algorithm=ALGORITHM)

    def sign(self, visitor_id: str, *, now: datetime | None = None) -> str:
        """The token for ``visitor_id`` (Jivo's rule: Latin letters and/or digits), signed with
        the first secret, for ``jivo_api.setUserToken``. ``now`` (timezone-aware) is the
        signing time for ``iat``/``exp``; the current time by default."""
        validate_visitor_id(visitor_id)
        if not self._issued_at:
            return self._timeless_token(visitor_id)
        payload = self._payload(visitor_id, now if now is not None else datetime.now(UTC))
        return self._encode(payload)

    def _sign_timeless(self, visitor_id: str) -> str:
        return self._encode(self._payload(visitor_id, datetime.now(UTC)))  # no time in it

    # ------------------------------------------------------------------ verification

    def verify(self, token: object) -> Verification:
        """What ``token`` (a webhook's ``user_token``, whatever it holds) proves; never raises.

        ``None`` or an empty string is ``missing``; a token signed with any of the secrets, in
        date, whose ``id`` follows Jivo's rule is ``verified``; one whose ``exp`` has passed is
        ``expired``; anything else is ``invalid``.
        """
        if token is None or token == "":
            return Verification(IdentityStatus.MISSING, reason="no token")
        if not isinstance(token, str):
            return _invalid(f"not a string but a {type(token).__name__}")
        if len(token) > MAX_TOKEN_LENGTH:
            return _invalid(f"longer than {MAX_TOKEN_LENGTH} characters")
        if token.count(".") != 2:
            return _invalid("not a JWT (a plain id, or a token from a site that does not sign)")
        for secret in self._secrets:
            try:
                claims = self._decode(token, secret)
            except jwt.InvalidSignatureError:
                continue  # maybe the next (older) secret signed it
            except jwt.ExpiredSignatureError:
                # PyJWT checks claims only after the signature matched: the site did sign it.
                try:
                    expired = self._decode(token, secret, verify_exp=False)
                except Exception as exc:
                    return _invalid(_reason(exc))
                return Verification(
                    IdentityStatus.EXPIRED,
                    claims=MappingProxyType(expired),
                    reason="expired (exp has passed)",
                )
            except Exception as exc:  # never raise on input: classify instead
                return _invalid(_reason(exc))
            visitor_id = claims["id"]
            if not isinstance(visitor_id, str) or not VISITOR_ID.fullmatch(visitor_id):
                return _invalid("its id breaks Jivo's rule (Latin letters and/or digits)")
            return Verification(
                IdentityStatus.VERIFIED, visitor_id=visitor_id, claims=MappingProxyType(claims)
            )
        return _invalid("the signature matches none of the secrets (tampered or another secret)")

    def _decode(self, token: str, secret: SecretStr, *, verify_exp: bool = True) -> dict[str, Any]:
        claims: dict[str, Any] = self._jwt.decode(
            token,
            hmac_key(secret),
            algorithms=[ALGORITHM],
            options={"verify_exp": verify_exp},
            leeway=self._leeway,
        )
        return claims


def _reason(exc: Exception) -> str:
    """A loggable reason for a refused token: what kind of problem, never the token's text."""
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return f"its algorithm is not {ALGORITHM} (none, public-key and other HMACs are refused)"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return "the payload has no 'id' claim"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "not valid yet (iat or nbf in the future)"
    if isinstance(exc, jwt.DecodeError):
        return "not a readable JWT (bad base64, JSON or structure)"
    if isinstance(exc, jwt.InvalidTokenError):
        return f"refused by the JWT checks ({type(exc).__name__})"
    return f"unreadable ({type(exc).__name__})"
