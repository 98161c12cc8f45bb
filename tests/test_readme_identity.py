"""The README's "Verified identity" section, run as written: each snippet is read from README.md
(``<!-- snippet:NAME -->``, ``<!-- example: identity/FILE -->``), so it cannot drift from what
works. The tokens it makes are checked with PyJWT and a separate ``UserTokens``."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from jivo_widget import JivoConfigError, Widget
from jivo_widget.identity import TOKEN_CACHE_SIZE, UserTokens
from jivo_widget.integrations._core import widget_from_setting
from jivo_widget.testing.webhooks import WebhookTestClient
from jivo_widget.webhooks import WebhookApp

README = Path(__file__).resolve().parents[1] / "README.md"
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
EXAMPLE = re.compile(r"<!-- example: (?P<name>\S+) -->\n```\w+\n(?P<code>.*?)```\n", re.S)


def snippet(name: str) -> str:
    """The code block after ``<!-- snippet:NAME -->``."""
    match = re.search(
        rf"<!-- snippet:{re.escape(name)} -->\n```[a-z]*\n(.*?)```", README.read_text("utf-8"), re.S
    )
    assert match, f"README.md has no snippet {name!r}"
    return match.group(1)


def section() -> str:
    text = README.read_text("utf-8")
    return text[text.index("## Verified identity") : text.index("## Jivo's widget API")]


def token_in(html: str) -> str:
    match = re.search(r'\["setUserToken",\["([^"]+)"\]\]', html)
    assert match, html
    return match.group(1)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIVO_JWT_SECRET", SECRET)


def test_the_widget_snippet_signs_the_users_id(secret_env: None) -> None:
    namespace: dict[str, Any] = {"user": SimpleNamespace(pk=42, name="Ann")}
    exec(snippet("identity-widget"), namespace)
    html = str(namespace["html"])
    token = token_in(html)
    assert jwt.decode(token, SECRET.encode(), algorithms=["HS256"]) == {"id": "42"}
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert '["setContactInfo",[{"name":"Ann"}]]' in html
    assert SECRET not in html


def test_the_toml_snippet_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "jivo.toml"
    config.write_text(snippet("identity-toml"))
    monkeypatch.setenv("JIVO_JWT_SECRET", SECRET)
    widget = Widget.from_file(config)
    assert UserTokens(SECRET).verify(token_in(widget.render(visitor_id="7"))).visitor_id == "7"
    monkeypatch.delenv("JIVO_JWT_SECRET")
    with pytest.raises(JivoConfigError, match="identity_secret_env: the environment variable"):
        Widget.from_file(config)
    # what the README says of a TOML file that holds the secret itself
    config.write_text(f'widget_id = "AbCdEf1234"\nidentity_secret = "{SECRET}"\n')
    with pytest.raises(JivoConfigError, match="never write the secret in a config file"):
        Widget.from_file(config)


def test_the_settings_snippet_configures_the_integrations(secret_env: None) -> None:
    import os

    namespace: dict[str, Any] = {"os": os}
    exec(snippet("identity-settings"), namespace)
    widget = widget_from_setting(namespace["JIVO_WIDGET"], name="JIVO_WIDGET")
    assert UserTokens(SECRET).verify(token_in(widget.render(visitor_id=7))).visitor_id == "7"


def test_the_webhook_snippet_trusts_only_signed_tokens(
    secret_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the app's default store file lands here
    monkeypatch.setenv("JIVO_WEBHOOK_SECRET", "webhook-url-secret")
    plans = {"42": SimpleNamespace(plan="Pro")}
    namespace: dict[str, Any] = {"crm": plans}
    exec(snippet("identity-verify"), namespace)
    hooks = namespace["hooks"]
    assert isinstance(hooks, WebhookApp) and hooks.user_tokens is not None
    client = WebhookTestClient(hooks)
    signed = Widget(widget_id="AbCdEf1234", identity_secret=SECRET).render(visitor_id=42)
    sent = client.send("chat_accepted", user_token=token_in(signed))
    assert sent.json["custom_data"] == [{"title": "Plan", "content": "Pro"}]
    # a plain id, as a page that does not sign (or a visitor's console) would set it
    plain = client.send("chat_accepted", user_token="42")
    assert "custom_data" not in plain.json
    other = UserTokens("AnotherSiteEntirelyWithItsOwnSecret0123456789").sign("42")
    assert "custom_data" not in client.send("chat_accepted", user_token=other).json
    assert [event.status for event in client.events()] == ["processed"] * 3
    client.close()


def test_the_webhook_snippet_refuses_a_bad_secret_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JIVO_WEBHOOK_SECRET", "webhook-url-secret")
    monkeypatch.setenv("JIVO_JWT_SECRET", "too-short")
    with pytest.raises(JivoConfigError, match=r"^identity_secret: the secret is 9 bytes long"):
        exec(snippet("identity-verify"), {"crm": {}})


def test_the_readme_names_every_identity_status() -> None:
    from jivo_widget.identity import IdentityStatus

    text = section()
    for status in IdentityStatus:
        assert f"`{status.value}`" in text


def test_the_cache_size_the_readme_names() -> None:
    assert f"newest {TOKEN_CACHE_SIZE:,} visitors' tokens" in section()


SHOP = """import os

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from jivo_widget import Widget

widget = Widget(widget_id="AbCdEf1234", identity_secret=os.environ["JIVO_JWT_SECRET"])


async def home(request):
    glue = widget.render(visitor_id=42)
    return HTMLResponse(f"<!doctype html><html><head><title>Shop</title></head><body>{glue}</body>")


app = Starlette(routes=[Route("/", home)])
"""


def examples(owner: str) -> dict[str, str]:
    found = {}
    for match in EXAMPLE.finditer(README.read_text("utf-8")):
        example_owner, _, file_name = match["name"].partition("/")
        if example_owner == owner:
            found[file_name] = match["code"]
    return found


@pytest.mark.browser
@pytest.mark.slow
def test_the_testing_example_with_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"shop.py": SHOP, "conftest.py": examples("asgi")["conftest.py"]}
    files.update(examples("identity"))
    assert set(examples("identity")) == {"test_identity.py"}
    for name, code in files.items():
        (pytester.path / name).write_text(code, "utf-8")
    monkeypatch.setenv("JIVO_JWT_SECRET", SECRET)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:django", "-rA")
    result.assert_outcomes(passed=1)
    # and it fails on a page whose token another secret signed
    other = "AnotherSiteEntirelyWithItsOwnSecret0123456789"
    forged = SHOP.replace('os.environ["JIVO_JWT_SECRET"]', repr(other))
    assert forged != SHOP
    (pytester.path / "shop.py").write_text(forged, "utf-8")
    failed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:django", "-rA")
    failed.assert_outcomes(failed=1)
