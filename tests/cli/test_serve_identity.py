"""Issue 10's "done when": a token signed by ``Widget.render()`` verifies in a webhook handler
through a real ``jivo-widget serve``; the identity secret comes from the environment only."""

from __future__ import annotations

import itertools
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page

from jivo_widget import Widget
from jivo_widget.identity import UserTokens
from jivo_widget.testing import JivoMock

if TYPE_CHECKING:
    from conftest import JivoCli, Served

SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
OTHER = "AnotherSiteEntirelyWithItsOwnSecret0123456789"
#: A new chat id for every post: an identical body would be answered as a resend.
CHAT_IDS = itertools.count(1)

# The user's app reads its identity secret the Widget's way (identity_secret_env); serve's
# JIVO_JWT_SECRET, when set, replaces it on the copy serve runs.
IDENTITY_APP = textwrap.dedent(
    """
    from jivo_widget.webhooks import ChatAccepted, WebhookApp

    hooks = WebhookApp(
        secret="ignored-by-serve", store="sqlite:///ignored.db", identity_secret_env="APP_JWT"
    )

    @hooks.on("chat_accepted")
    def card(event: ChatAccepted) -> dict[str, object]:
        shown = f"{event.identity.value}:{event.visitor_id}"
        return {"custom_data": [{"title": "Identity", "content": shown}]}
    """
)


@pytest.fixture
def identity_dir(tmp_path: Path) -> Path:
    (tmp_path / "idapp.py").write_text(IDENTITY_APP, encoding="utf-8")
    return tmp_path


def rendered_token(visitor_id: int) -> str:
    """What the page's glue passes to ``setUserToken``."""
    html = Widget(widget_id="AbCdEf1234", identity_secret=SECRET).render(visitor_id=visitor_id)
    match = re.search(r'\["setUserToken",\["([^"]+)"\]\]', html)
    assert match, html
    return match.group(1)


def shown(served: Served, user_token: object) -> str:
    payload = {"event_name": "chat_accepted", "chat_id": next(CHAT_IDS), "user_token": user_token}
    answer = httpx.post(served.url(), json=payload, timeout=10)
    assert answer.status_code == 200, answer.text
    content: str = answer.json()["custom_data"][0]["content"]
    return content


def serve_app(jivo_cli: JivoCli, cwd: Path, **env: str) -> Served:
    return jivo_cli.serve(cwd, "--secret", jivo_cli.secret, "--app", "idapp:hooks", **env)


def test_a_token_rendered_for_a_visitor_verifies_in_a_served_handler(
    identity_dir: Path, jivo_cli: JivoCli
) -> None:
    served = serve_app(jivo_cli, identity_dir, APP_JWT=SECRET, JIVO_JWT_SECRET="")
    token = rendered_token(42)
    assert shown(served, token) == "verified:42"
    assert shown(served, 42) == "invalid:None"  # a plain id, as an old page sets it
    assert shown(served, UserTokens(OTHER).sign("42")) == "invalid:None"
    assert shown(served, None) == "missing:None"
    err = served.stop()
    assert "user_token: verified with the identity secret from the app" in err
    # Each refused token is a WARNING with its reason; no token, no secret in the log.
    assert err.count("WARNING") >= 2, err
    assert "user_token invalid: not a JWT" in err
    assert "user_token invalid: the signature matches none of the secrets" in err
    for secret_text in (SECRET, OTHER, *token.split(".")):
        assert secret_text not in err
    assert [e["status"] for e in served.list_json()] == ["processed"] * 4


def test_jivo_jwt_secret_in_the_environment_replaces_the_apps(
    identity_dir: Path, jivo_cli: JivoCli
) -> None:
    served = serve_app(jivo_cli, identity_dir, APP_JWT=OTHER, JIVO_JWT_SECRET=f"{OTHER} {SECRET}")
    assert shown(served, rendered_token(7)) == "verified:7"  # the second (older) secret
    assert "secret from JIVO_JWT_SECRET" in served.stop()
    served = serve_app(jivo_cli, identity_dir, APP_JWT=OTHER, JIVO_JWT_SECRET="")
    assert shown(served, rendered_token(7)) == "invalid:None"  # the app's own: another secret


def test_capture_only_mode_ignores_identity_but_checks_the_secret(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    served = jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret, JIVO_JWT_SECRET=SECRET)
    served.post_sample("chat_accepted", user_token=rendered_token(1))
    assert "user_token" not in served.stop()  # no handlers: nothing to say about identity


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("short-and-secret", "JIVO_JWT_SECRET: the secret is 16 bytes long; Jivo's JWT secret"),
        (f"{SECRET} old-short-secret", "JIVO_JWT_SECRET: secret #2 of 2 is 16 bytes long"),
    ],
)
def test_a_bad_jivo_jwt_secret_stops_serve_naming_it_never_showing_it(
    identity_dir: Path, jivo_cli: JivoCli, value: str, rule: str
) -> None:
    result = jivo_cli.run(
        "serve", "--port", "0", "--app", "idapp:hooks", cwd=identity_dir,
        APP_JWT=SECRET, JIVO_JWT_SECRET=value,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert rule in result.stderr
    assert "short-and-secret" not in result.stderr and "old-short-secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_identity_secret_is_never_a_command_line_option(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "JIVO_JWT_SECRET" in result.stdout and "environment only" in result.stdout
    assert "--identity" not in result.stdout and "--jwt" not in result.stdout
    refused = jivo_cli.run("serve", "--identity-secret", SECRET, cwd=tmp_path)
    assert refused.returncode == 2 and "No such option" in refused.stderr


@pytest.mark.browser
def test_the_token_the_page_set_in_chromium_verifies_in_a_served_handler(
    page: Page, jivo_mock: JivoMock, live_server: Any, identity_dir: Path, jivo_cli: JivoCli
) -> None:
    # Page → webhook: what the (mocked) widget received from setUserToken in a real browser is
    # what Jivo sends back as user_token; posted to a real serve, the handler trusts the id.
    glue = Widget(widget_id="AbCdEf1234", identity_secret=SECRET).render(visitor_id="Ann42")
    page.goto(live_server.add("/", f"<!doctype html><title>Shop</title><body>{glue}</body>"))
    jivo_mock.wait_for_load()
    served = serve_app(jivo_cli, identity_dir, APP_JWT=SECRET, JIVO_JWT_SECRET="")
    assert shown(served, jivo_mock.visitor_token()) == "verified:Ann42"
