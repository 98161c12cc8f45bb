"""Verified identity in webhooks: ``WebhookApp(identity_secret=…)`` checks each event's
``user_token`` before its handlers run (``event.visitor_id``, ``event.identity``), on every
dispatch and replay; a token that fails never stops the delivery and is logged without itself.

Every attack goes through the real receiver (:class:`WebhookTestClient`, the WSGI adapter) and
the handler reports what it was given in the reply Jivo would get.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.identity import IdentityStatus, UserTokens
from jivo_widget.testing.webhooks import WebhookTestClient
from jivo_widget.webhooks import ChatAccepted, EventStatus, JivoEvent, WebhookApp, parse_event

if TYPE_CHECKING:
    from webhooks.conftest import Deliver, RunAsync

#: Jivo's own example secret (64 characters, not hex): used as entered.
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
OLD_SECRET = "the-secret-we-had-before-the-rotation-0123456789"
OTHER_SITE = "AnotherSiteEntirelyWithItsOwnSecret0123456789"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(
    header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"", *, key: bytes = b""
) -> str:
    """A token assembled by hand, as an attacker would: any header, any payload, and any
    signature (or an HMAC-SHA256 one under ``key``)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if key:
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def signed_by_render(visitor_id: int | str) -> str:
    """The token ``Widget.render(visitor_id=…)`` puts into ``setUserToken``."""
    html = Widget(widget_id="AbCdEf1234", identity_secret=SECRET).render(visitor_id=visitor_id)
    start = html.index('["setUserToken",["') + len('["setUserToken",["')
    return html[start : html.index('"', start)]


def card_app(**options: Any) -> WebhookApp:
    """An app whose chat_accepted card shows what the handler was told about the visitor."""
    hooks = WebhookApp(secret="url-secret", store="sqlite:///:memory:", **options)

    @hooks.on("chat_accepted")
    def card(event: ChatAccepted) -> dict[str, Any]:
        shown = f"{event.identity.value}:{event.visitor_id}"
        return {"custom_data": [{"title": "Identity", "content": shown}]}

    return hooks


@pytest.fixture
def client() -> Iterator[WebhookTestClient]:
    test_client = WebhookTestClient(card_app(identity_secret=SECRET))
    yield test_client
    test_client.close()


def told(client: WebhookTestClient, user_token: object) -> str:
    """What the handler saw for a chat_accepted carrying ``user_token`` (answered 200, stored
    ``processed``: a refused token never fails the delivery)."""
    sent = client.send("chat_accepted", user_token=user_token)
    assert sent.status == 200
    assert sent.event is not None and sent.event.status is EventStatus.PROCESSED
    content: str = sent.json["custom_data"][0]["content"]
    return content


# --------------------------------------------------------------------------- verified


def test_a_token_signed_by_render_is_verified_in_the_handler(client: WebhookTestClient) -> None:
    assert told(client, signed_by_render(42)) == "verified:42"


def test_no_token_is_missing_and_not_logged(
    client: WebhookTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "jivo_widget"):
        assert told(client, None) == "missing:None"
        assert told(client, "") == "missing:None"
    assert not caplog.records  # anonymous visitors are normal, not a warning


def test_rotation_the_old_secret_still_verifies() -> None:
    test_client = WebhookTestClient(card_app(identity_secret=[SECRET, OLD_SECRET]))
    try:
        assert told(test_client, UserTokens(OLD_SECRET).sign("7")) == "verified:7"
        assert told(test_client, signed_by_render("8")) == "verified:8"
    finally:
        test_client.close()


# --------------------------------------------------------------------------- attacks


def test_a_tampered_payload_is_invalid(client: WebhookTestClient) -> None:
    header, _, signature = signed_by_render(42).split(".")
    other_id = b64(json.dumps({"id": "1"}).encode())  # an admin's id, the signature kept
    assert told(client, f"{header}.{other_id}.{signature}") == "invalid:None"


def test_a_tampered_signature_is_invalid(client: WebhookTestClient) -> None:
    token = signed_by_render(42)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert told(client, flipped) == "invalid:None"


def test_alg_none_is_invalid(client: WebhookTestClient) -> None:
    unsigned = jwt.encode({"id": "42"}, None, algorithm="none")
    assert unsigned.endswith(".")  # really unsigned
    assert told(client, unsigned) == "invalid:None"
    assert told(client, forged({"alg": "None", "typ": "JWT"}, {"id": "42"})) == "invalid:None"
    # and a well-formed HS256 token under our secret still passes: the forger works right
    assert told(client, forged({"alg": "HS256"}, {"id": "42"}, key=SECRET.encode())) == (
        "verified:42"
    )


def test_hs512_with_the_right_secret_is_invalid(client: WebhookTestClient) -> None:
    # Signed with our own secret, but not by us: we only sign HS256.
    token = jwt.encode({"id": "42"}, SECRET.encode(), algorithm="HS512")
    assert told(client, token) == "invalid:None"


def test_rs256_tokens_are_invalid(client: WebhookTestClient) -> None:
    # A public-key token (here with a made-up signature: the header alone must refuse it), and
    # the algorithm-confusion variant, HS256 keyed with a public key's text.
    rs256 = forged({"alg": "RS256", "typ": "JWT"}, {"id": "42"}, b"\x01" * 256)
    assert told(client, rs256) == "invalid:None"
    pem = (
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
    )
    confused = forged({"alg": "HS256", "typ": "JWT"}, {"id": "42"}, key=pem.encode())
    assert told(client, confused) == "invalid:None"


def test_an_expired_token_is_expired_with_no_visitor_id(client: WebhookTestClient) -> None:
    signer = UserTokens(SECRET, expires_in="1h")
    token = signer.sign("42", now=datetime.now(UTC) - timedelta(hours=2))
    assert told(client, token) == "expired:None"
    assert told(client, signer.sign("42")) == "verified:42"  # the same signer, in date


def test_a_token_of_another_secret_is_invalid(client: WebhookTestClient) -> None:
    assert told(client, UserTokens(OTHER_SITE).sign("42")) == "invalid:None"


@pytest.mark.parametrize("plain", [42, "42", "ann@example.com", "a.b", "x" * 10_000])
def test_plain_ids_and_garbage_are_invalid(client: WebhookTestClient, plain: object) -> None:
    # An old site (or the visitor's console) calls setUserToken(42): Jivo sends 42 back.
    assert told(client, plain) == "invalid:None"


def test_a_refused_token_is_logged_at_warning_without_the_token(
    client: WebhookTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = UserTokens(OTHER_SITE).sign("VeryRecognisableId123")
    with caplog.at_level(logging.DEBUG, "jivo_widget"):
        told(client, token)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "chat_accepted" in message and "user_token invalid" in message
    assert "signature matches none of the secrets" in message  # the reason
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for part in token.split("."):
        assert part not in logged
    assert "VeryRecognisableId123" not in logged and SECRET not in logged


# --------------------------------------------------------------------------- without a secret


def test_without_a_secret_nothing_is_trusted() -> None:
    test_client = WebhookTestClient(card_app())
    try:
        assert test_client.hooks.user_tokens is None
        # Even a perfectly signed token: nothing checked it, so it proves nothing here.
        assert told(test_client, signed_by_render(42)) == "unverified:None"
        assert told(test_client, 42) == "unverified:None"
        assert told(test_client, None) == "missing:None"
    finally:
        test_client.close()


def test_an_event_built_by_hand_is_unverified_until_checked() -> None:
    token = signed_by_render(42)
    event = parse_event({"event_name": "chat_accepted", "user_token": token})
    assert (event.identity, event.visitor_id) == (IdentityStatus.UNVERIFIED, None)
    assert event.identity == "unverified"
    result = event.verify_identity(UserTokens(SECRET))
    assert (event.identity, event.visitor_id, result.reason) == ("verified", "42", "")
    assert "visitor_id" not in event.model_dump() and "identity" not in event.model_dump()


# --------------------------------------------------------------------------- replay


def test_replay_checks_the_token_again_with_the_secrets_in_force(
    run_async: RunAsync, deliver: Deliver, tmp_path: Path
) -> None:
    seen: list[tuple[str, str | None]] = []
    hooks = WebhookApp(
        secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", identity_secret=[SECRET, OLD_SECRET]
    )

    @hooks.on("chat_finished")
    def export(event: JivoEvent) -> None:
        seen.append((event.identity.value, event.visitor_id))
        if len(seen) == 1:
            raise ConnectionError("CRM down")

    payload = {"event_name": "chat_finished", "chat_id": 1}
    payload["user_token"] = UserTokens(OLD_SECRET).sign("7")
    run_async(deliver(hooks, payload, drain=True))
    assert seen == [("verified", "7")]
    # The old secret is dropped (revoked): replaying the stored event applies that.
    rotated = hooks.configured(identity_secret=SECRET)
    (result,) = run_async(rotated.receiver.replay_failed())
    assert result.ok
    assert seen[1] == ("invalid", None)
    # And without any secret, nothing is verified, even what was verified when received.
    (stored,) = hooks.store.list()
    run_async(hooks.configured(identity_secret=None).receiver.replay(stored.id))
    assert seen[2] == ("unverified", None)


def test_async_handlers_and_the_asgi_path_see_the_identity(
    run_async: RunAsync, deliver: Deliver, tmp_path: Path
) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'e.db'}", identity_secret=SECRET)

    @hooks.on("chat_accepted")
    async def card(event: ChatAccepted) -> dict[str, Any]:
        return {"custom_data": [{"title": "Id", "content": str(event.visitor_id)}]}

    payload = {"event_name": "chat_accepted", "chat_id": 5, "user_token": signed_by_render(9)}
    reply = run_async(deliver(hooks, payload, drain=True))
    assert json.loads(reply.content)["custom_data"] == [{"title": "Id", "content": "9"}]


# --------------------------------------------------------------------------- configuration


def test_the_widgets_secret_passes_on() -> None:
    widget = Widget(widget_id="AbCdEf1234", identity_secret=f"{SECRET} {OLD_SECRET}")
    hooks = WebhookApp(
        secret="s", store="sqlite:///:memory:", identity_secret=widget.identity_secret
    )
    assert hooks.user_tokens is not None
    assert hooks.user_tokens.verify(UserTokens(OLD_SECRET).sign("3")).visitor_id == "3"
    assert SECRET not in repr(hooks.user_tokens)


@pytest.mark.parametrize(
    ("secret", "rule"),
    [
        (
            "short-secret-31-bytes-long-abcd",
            "is 31 bytes long; Jivo's JWT secret must be at least 32",
        ),
        ([SECRET, "too-short-old-secret"], "secret #2 of 2 is 20 bytes long"),
        ("ssh-rsa" + "A" * 40, "looks like a public key, certificate or JWK"),
        (42, "must be the secret from Jivo's JWT settings"),
        ([], "no secret given"),
    ],
)
def test_a_bad_identity_secret_is_refused_naming_it_never_showing_it(
    secret: Any, rule: str
) -> None:
    with pytest.raises(JivoConfigError) as raised:
        WebhookApp(secret="s", store="sqlite:///:memory:", identity_secret=secret)
    message = str(raised.value)
    assert message.startswith("identity_secret: ") and rule in message
    for text in secret if isinstance(secret, list) else [secret]:
        if isinstance(text, str):
            assert text not in message
    with pytest.raises(JivoConfigError, match=r"^identity_secret: "):
        card_app().configured(identity_secret=secret)


def test_identity_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_JWT_SECRET", f"{SECRET}\n{OLD_SECRET}\n")
    hooks = WebhookApp(secret="s", store="sqlite:///:memory:", identity_secret_env="MY_JWT_SECRET")
    assert hooks.user_tokens is not None
    assert hooks.user_tokens.verify(UserTokens(OLD_SECRET).sign("3")).visitor_id == "3"
    monkeypatch.setenv("MY_JWT_SECRET", "too-short")
    with pytest.raises(JivoConfigError) as raised:
        WebhookApp(secret="s", store="sqlite:///:memory:", identity_secret_env="MY_JWT_SECRET")
    assert str(raised.value).startswith(
        "identity_secret_env (MY_JWT_SECRET): the secret is 9 bytes"
    )
    assert "too-short" not in str(raised.value)
    monkeypatch.delenv("MY_JWT_SECRET")
    with pytest.raises(JivoConfigError, match="identity_secret_env: the environment variable MY_"):
        WebhookApp(secret="s", store="sqlite:///:memory:", identity_secret_env="MY_JWT_SECRET")
    with pytest.raises(JivoConfigError, match="identity_secret_env: must be the name of an env"):
        WebhookApp(secret="s", store="sqlite:///:memory:", identity_secret_env="not a name")
    with pytest.raises(JivoConfigError, match="not both"):
        WebhookApp(
            secret="s", store="sqlite:///:memory:", identity_secret=SECRET, identity_secret_env="X"
        )


def test_configured_keeps_or_replaces_the_identity_secret() -> None:
    hooks = card_app(identity_secret=SECRET)
    assert hooks.configured(secret="other").user_tokens is hooks.user_tokens
    assert hooks.configured(identity_secret=None).user_tokens is None
    replaced = hooks.configured(identity_secret=OTHER_SITE).user_tokens
    assert replaced is not None and replaced.verify(signed_by_render(1)).status == "invalid"
    assert hooks.user_tokens is not None  # the original is unchanged


# --------------------------------------------------------------------------- typing

HANDLERS = textwrap.dedent(
    """
    from jivo_widget.webhooks import ChatAccepted, WebhookApp

    hooks = WebhookApp(secret="s", identity_secret="{secret}")

    def crm_card(customer_id: str) -> dict[str, str]:
        return {{"crm_link": "https://crm.example/c/" + customer_id}}

    @hooks.on("chat_accepted")
    def card(event: ChatAccepted) -> dict[str, str]:
        if event.visitor_id is None or event.identity != "verified":
            return {{}}
        return crm_card(event.visitor_id)
    """
)


@pytest.mark.slow
def test_handlers_type_check_and_an_unchecked_visitor_id_does_not(tmp_path: Path) -> None:
    def mypy(source: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "handlers.py").write_text(source)
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "handlers.py"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip

    source = HANDLERS.format(secret=SECRET)
    result = mypy(source)
    assert result.returncode == 0, result.stdout
    unchecked = source.replace("event.visitor_id is None or ", "")
    result = mypy(unchecked)
    assert result.returncode == 1
    assert 'Argument 1 to "crm_card" has incompatible type "str | None"' in result.stdout
