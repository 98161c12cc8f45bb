"""A Widget's identity options: ``identity_secret`` and its companions, checked, kept out of
dumps, and turned into the signer of visitors' tokens (:class:`~jivo_widget.identity.UserTokens`).

The options are fields of :class:`~jivo_widget.config.Widget`, declared there in their place
among the others; their value rules are the annotated types below, and what concerns them
together (a secret read from ``identity_secret_env``, options that need a secret, a dump
without the secret, the signer) is :class:`IdentityOptions`, a base of ``Widget``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Final, Self

from pydantic import (
    BeforeValidator,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from jivo_widget import identity
from jivo_widget._field_types import StrictModel
from jivo_widget.errors import JivoConfigError

__all__ = ["REVEAL_SECRETS", "IdentityOptions", "IdentitySecrets", "TokenClaims", "TokenLifetime"]

#: The serialization context key that puts ``identity_secret`` into a dump:
#: ``widget.model_dump(context={REVEAL_SECRETS: True})``. Without it the secret is left out.
REVEAL_SECRETS: Final = "reveal_secrets"
# The options that mean something only with a secret to sign with.
_IDENTITY_OPTIONS = ("identity_expires_in", "identity_issued_at", "identity_claims")


def _secrets(value: Any) -> Any:
    # Errors name the field and which secret broke the rule, never its text.
    return None if value is None else identity.parse_secrets(value, field="identity_secret")


def _lifetime(value: Any) -> Any:
    if value is None:
        return None
    seconds = identity.parse_duration(
        value, field="identity_expires_in", maximum=identity.MAX_EXPIRES_IN
    )
    if seconds == 0:
        raise JivoConfigError("identity_expires_in: must be at least 1 second (None: none)")
    return seconds


def _claims(value: Any) -> Any:
    return None if value is None else identity.check_claims(value, field="identity_claims")


#: ``identity_secret``: one secret or several, hidden from ``repr``.
IdentitySecrets = Annotated[
    tuple[identity.JwtSecret, ...] | None, BeforeValidator(_secrets), Field(repr=False)
]
#: ``identity_expires_in``: whole seconds (from seconds, a timedelta or ``"1h"``), at least 1.
TokenLifetime = Annotated[int | None, BeforeValidator(_lifetime)]
#: ``identity_claims``: extra JSON claims, none of the reserved ones.
TokenClaims = Annotated[dict[str, Any] | None, BeforeValidator(_claims)]


class IdentityOptions(StrictModel):
    """The identity options' rules together, and the signer built from them (a base of
    :class:`~jivo_widget.config.Widget`, which declares the fields)."""

    if TYPE_CHECKING:
        identity_secret: tuple[identity.JwtSecret, ...] | None
        identity_secret_env: str | None
        identity_expires_in: int | None
        identity_issued_at: bool
        identity_claims: dict[str, Any] | None

    @model_validator(mode="before")
    @classmethod
    def _secret_from_environment(cls, data: Any) -> Any:
        """``identity_secret_env``: the secret is read from that variable, now."""
        if not isinstance(data, Mapping) or data.get("identity_secret_env") is None:
            return data
        if data.get("identity_secret") is not None:
            raise JivoConfigError(
                "identity_secret_env: give the secret or the name of its environment variable, "
                "not both"
            )
        secrets = identity.secrets_from_environment(
            data["identity_secret_env"], field="identity_secret_env"
        )
        return {**data, "identity_secret": secrets}

    @model_validator(mode="after")
    def _options_need_a_secret(self) -> Self:
        if self.identity_secret is None:
            given = [name for name in _IDENTITY_OPTIONS if getattr(self, name) not in (None, False)]
            if given:
                raise JivoConfigError(
                    f"{given[0]}: needs identity_secret (or identity_secret_env) to sign with"
                )
        return self

    @model_serializer(mode="wrap")
    def _without_secrets(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """A dump leaves the secret out unless the context asks for it (:data:`REVEAL_SECRETS`);
        a secret read from ``identity_secret_env`` is never dumped: the name is."""
        data: dict[str, Any] = handler(self)
        if "identity_secret" in data:
            reveal = isinstance(info.context, Mapping) and info.context.get(REVEAL_SECRETS)
            if reveal and self.identity_secret is not None and self.identity_secret_env is None:
                data["identity_secret"] = [s.get_secret_value() for s in self.identity_secret]
            else:
                del data["identity_secret"]
        return data

    @cached_property
    def user_tokens(self) -> identity.UserTokens | None:
        """The signer of visitors' tokens (built with the Widget), or ``None`` without an
        ``identity_secret``; its :meth:`~jivo_widget.identity.UserTokens.verify` checks them."""
        if self.identity_secret is None:
            return None
        try:
            return identity.UserTokens(
                self.identity_secret,
                expires_in=self.identity_expires_in,
                issued_at=self.identity_issued_at,
                claims=self.identity_claims,
            )
        except JivoConfigError as exc:  # each option is checked above but for the claims' size
            raise JivoConfigError(f"identity_{exc}") from None
