"""``jivo-widget token sign`` / ``token verify``: the real console script, in a subprocess."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jivo_widget.identity import UserTokens

SCRIPT = Path(sys.executable).parent / "jivo-widget"
NEW = "N3wSecretForJivoJwtSettings0123456789abcdef"
OLD = "0ldSecretForJivoJwtSettings0123456789abcdef"


def run(*args: str, secret: str | None = NEW, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JIVO_JWT_SECRET"}
    if secret is not None:
        env["JIVO_JWT_SECRET"] = secret
    return subprocess.run(
        [str(SCRIPT), "token", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def payload_of(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def test_sign_prints_the_token() -> None:
    result = run("sign", "--id", "42")
    assert result.returncode == 0, result.stderr
    assert result.stdout == UserTokens(NEW).sign("42") + "\n"
    assert result.stderr == ""


def test_sign_with_an_expiry() -> None:
    result = run("sign", "--id", "42", "--expires-in", "1h")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    payload = payload_of(token)
    assert payload["id"] == "42" and payload["exp"] == payload["iat"] + 3600  # type: ignore[operator]
    assert UserTokens(NEW).verify(token).visitor_id == "42"


def test_sign_with_issued_at() -> None:
    result = run("sign", "--id", "42", "--issued-at")
    assert result.returncode == 0, result.stderr
    assert set(payload_of(result.stdout.strip())) == {"id", "iat"}


def test_the_first_secret_of_several_signs() -> None:
    result = run("sign", "--id", "42", secret=f"{NEW} {OLD}")
    assert result.stdout.strip() == UserTokens(NEW).sign("42")


def test_verify_a_good_token() -> None:
    token = UserTokens(NEW, expires_in="1h").sign("42")
    result = run("verify", token)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert first.startswith("verified: visitor id 42 (expires 2")
    assert json.loads(second.removeprefix("claims: "))["id"] == "42"
    assert result.stderr == ""


def test_verify_reads_the_token_from_stdin() -> None:
    # Tokens are the visitor's key to their history: keep them out of the shell history too.
    result = run("verify", "-", stdin=UserTokens(NEW).sign("42") + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "verified: visitor id 42"


def test_verify_with_rotated_secrets() -> None:
    result = run("verify", UserTokens(OLD).sign("7"), secret=f"{NEW}\n{OLD}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("verified: visitor id 7")
    assert run("verify", UserTokens(OLD).sign("7")).returncode == 1  # NEW alone refuses it


@pytest.mark.parametrize(
    ("token", "line"),
    [
        ("42", "invalid: not a JWT"),
        ("a.b.c", "invalid: not a readable JWT"),
        (UserTokens(OLD).sign("42"), "invalid: the signature matches none of the secrets"),
        ("", "missing: no token"),
    ],
)
def test_verify_refusals_exit_1(token: str, line: str) -> None:
    result = run("verify", token)
    assert result.returncode == 1
    assert result.stdout.startswith(line)
    assert result.stderr == ""


def test_verify_an_expired_token_shows_who_it_was_for() -> None:
    stale = UserTokens(NEW, expires_in="1h").sign("42", now=datetime.now(UTC) - timedelta(days=1))
    result = run("verify", stale)
    assert result.returncode == 1
    first, second = result.stdout.splitlines()
    assert first.startswith("expired: signed by this site, expired 2")
    assert json.loads(second.removeprefix("claims: "))["id"] == "42"
    assert run("verify", stale, "--leeway", "300").returncode == 1  # leeway is not a lifetime


def test_claims_are_printed_escaped() -> None:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = json.dumps({"id": "42", "note": "\x1b[31mred\x1b[0m\u202e"}).encode()
    body = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
    signature = hmac.new(NEW.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    token = f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    result = run("verify", token)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\u001b[31mred" in result.stdout


@pytest.mark.parametrize(
    ("args", "secret", "message"),
    [
        (["sign", "--id", "42"], None, "Error: JIVO_JWT_SECRET is not set"),
        (["verify", "x"], "  ", "Error: JIVO_JWT_SECRET is not set"),
        (["sign", "--id", "42"], "tooShort", "Error: JIVO_JWT_SECRET: the secret is 8 bytes long"),
        (["sign", "--id", "4-2"], NEW, "Error: --id: must be 1-256 Latin letters"),
        (["sign", "--id", "42", "--expires-in", "1y"], NEW, "Error: --expires-in: must be"),
        (["verify", "x", "--leeway", "1h"], NEW, "Error: --leeway: must be between 0 and 300"),
        (["sign"], NEW, "Error: Missing option '--id'"),
        (["sign", "--id", "42", "--secret", NEW], NEW, "Error: No such option '--secret'"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str], secret: str | None, message: str) -> None:
    result = run(*args, secret=secret)
    assert result.returncode == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if secret and secret.strip():
        assert secret not in result.stderr


def test_the_secret_is_never_printed() -> None:
    outputs = [
        run("sign", "--id", "42"),
        run("verify", UserTokens(NEW).sign("42")),
        run("verify", "junk"),
        run("sign", "--id", "bad id"),
    ]
    for result in outputs:
        assert NEW not in result.stdout and NEW not in result.stderr
