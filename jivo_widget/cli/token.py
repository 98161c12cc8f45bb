"""``jivo-widget token sign`` / ``token verify``: Jivo JWT user tokens for support staff.

The secret comes from the environment only (``JIVO_JWT_SECRET``; several secrets separated by
whitespace, the first signs): a secret on the command line would land in the shell history and
in every process listing. A token may be read from stdin (``-``) for the same reason: it is the
visitor's key to their chat history.

Exit status: 0 signed / verified; 1 the token did not verify (the answer is still printed on
stdout); 2 bad usage (no or bad secret, bad visitor id), one line on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click

from jivo_widget.cli._errors import BadInput
from jivo_widget.errors import JivoConfigError
from jivo_widget.identity import (
    MAX_EXPIRES_IN,
    MAX_LEEWAY,
    IdentityStatus,
    UserTokens,
    parse_duration,
    parse_secrets,
    validate_visitor_id,
)

__all__ = ["SECRET_ENV", "token"]

SECRET_ENV = "JIVO_JWT_SECRET"


def _user_tokens(**options: Any) -> UserTokens:
    """The configured signer/verifier, from :data:`SECRET_ENV`; bad usage (exit 2) otherwise."""
    value = os.environ.get(SECRET_ENV, "")
    if not value.strip():
        raise BadInput(
            f"{SECRET_ENV} is not set: export the secret from Jivo's JWT settings "
            "(it is never taken as an argument, which would land in the shell history)"
        )
    try:
        return UserTokens(parse_secrets(value, field=SECRET_ENV), **options)
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None


def _duration(value: str | None, option: str, maximum: int) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value, field=option, maximum=maximum)
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None


def _moment(claims: Mapping[str, Any], name: str) -> str | None:
    """The claim as ``2026-01-01T00:00:00Z`` when it is a timestamp, else ``None``."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _claims_line(claims: Mapping[str, Any]) -> str:
    # ensure_ascii: control and non-ASCII characters printed as \u escapes, never raw in a
    # terminal (a claim could hold escape sequences).
    return "claims: " + json.dumps(dict(claims), ensure_ascii=True, sort_keys=True)


@click.group()
def token() -> None:
    """Sign or verify Jivo JWT user tokens (secret from JIVO_JWT_SECRET)."""


@token.command()
@click.option(
    "--id",
    "visitor_id",
    required=True,
    help="The visitor id to sign: Latin letters and/or digits (Jivo's rule).",
)
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="Add exp (and iat): seconds, or a number with a unit s/m/h/d, e.g. 1h.",
)
@click.option("--issued-at", is_flag=True, help="Add iat (always added with --expires-in).")
def sign(visitor_id: str, expires_in: str | None, issued_at: bool) -> None:
    """Print the token for one visitor id, signed with the first secret of JIVO_JWT_SECRET."""
    lifetime = _duration(expires_in, "--expires-in", MAX_EXPIRES_IN)
    try:
        validate_visitor_id(visitor_id, field="--id")
    except JivoConfigError as exc:
        raise BadInput(str(exc)) from None
    tokens = _user_tokens(expires_in=lifetime, issued_at=issued_at)
    click.echo(tokens.sign(visitor_id))


@token.command()
@click.argument("token_text", metavar="TOKEN")
@click.option(
    "--leeway",
    metavar="SECONDS",
    default="0",
    show_default=True,
    help=f"Clock skew allowed on exp/iat (at most {MAX_LEEWAY}).",
)
@click.pass_context
def verify(ctx: click.Context, token_text: str, leeway: str) -> None:
    """Check TOKEN (or '-' to read it from stdin) against every secret of JIVO_JWT_SECRET.

    Prints the status (verified, expired, invalid, missing) and, when the signature matched,
    the visitor id and claims. Exits 1 unless the token is verified.
    """
    allowed_skew = _duration(leeway, "--leeway", MAX_LEEWAY)
    tokens = _user_tokens(leeway=allowed_skew or 0)
    if token_text == "-":
        token_text = sys.stdin.read().strip()
    result = tokens.verify(token_text)
    if result.status is IdentityStatus.VERIFIED:
        assert result.claims is not None  # set whenever the signature matched
        expires = _moment(result.claims, "exp")
        until = f" (expires {expires})" if expires else ""
        click.echo(f"verified: visitor id {result.visitor_id}{until}")
        click.echo(_claims_line(result.claims))
        return
    if result.status is IdentityStatus.EXPIRED and result.claims is not None:
        click.echo(f"expired: signed by this site, expired {_moment(result.claims, 'exp')}")
        click.echo(_claims_line(result.claims))
    else:
        click.echo(f"{result.status}: {result.reason}")
    ctx.exit(1)
