"""Verified identity in Django: with ``identity_secret`` in ``JIVO_WIDGET``, ``request.user``'s
primary key is sent as a signed ``visitor_id`` (a UUID key as its hex digits; a key that breaks
Jivo's rule is dropped with a warning on production pages); resolvers and views may pass
``visitor_id``; ``manage.py check`` names a missing secret variable; and the token reaches the
page in a browser."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import calls
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, RequestFactory

from jivo_widget import JivoConfigError
from jivo_widget.identity import UserTokens
from jivo_widget.integrations.django import jivo_widget_options
from jivo_widget.integrations.django.page import render_for, request_user_identity

ID = "AbCdEf1234"
SECRET = "tye64d8818007570e9fd4e9736da383b0ee124e91e4d44ce852432456df0e986"
ENV = "JIVO_SUITE_JWT_SECRET"

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(settings: Any) -> None:
    settings.JIVO_WIDGET = {"widget_id": ID, "identity_secret": SECRET}


def signed_id(html: str | bytes) -> str | None:
    ((name, (token,)), *_) = calls(html)
    assert name == "setUserToken"
    return UserTokens(SECRET).verify(token).visitor_id


@dataclass
class KeyedUser:
    """A signed-in user of a custom user model: only what the integration reads."""

    pk: Any
    email: str = "kim@example.com"
    is_authenticated: bool = True

    def get_full_name(self) -> str:
        return "Kim"


def request_of(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_with_a_secret_request_user_is_signed(signing: None, ann: Any) -> None:
    client = Client()
    assert calls(client.get("/").content) == []
    client.force_login(ann)
    html = client.get("/").content
    assert signed_id(html) == str(ann.pk)
    assert calls(html)[1:] == [
        ["setContactInfo", [{"name": "Ann O'Brien", "email": "ann@example.com"}]]
    ]


def test_without_a_secret_the_unsigned_token_as_before(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    assert calls(client.get("/").content)[0] == ["setUserToken", [str(ann.pk)]]


def test_a_uuid_primary_key_is_signed_as_its_hex_digits(signing: None) -> None:
    key = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    assert request_user_identity(request_of(KeyedUser(key)), signed=True) == {
        "visitor_id": "123456789abcdef0123456789abcdef0",
        "contact": {"name": "Kim", "email": "kim@example.com"},
    }
    assert signed_id(render_for(request_of(KeyedUser(key)))) == key.hex


def test_a_primary_key_that_breaks_jivos_rule_is_dropped_on_production_pages(
    signing: None, production: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        html = render_for(request_of(KeyedUser("kim.lee")))
    assert calls(html) == [["setContactInfo", [{"name": "Kim", "email": "kim@example.com"}]]]
    assert "visitor_id: must be 1-256 Latin letters and/or digits" in caplog.text
    assert "kim.lee" not in caplog.text


def test_a_primary_key_that_breaks_jivos_rule_raises_in_tests(signing: None) -> None:
    with pytest.raises(JivoConfigError, match=r"^visitor_id: must be"):
        render_for(request_of(KeyedUser("kim.lee")))


def test_an_identity_function_may_return_visitor_id(signing: None, settings: Any) -> None:
    settings.JIVO_WIDGET_IDENTITY = lambda request: {"visitor_id": "Crm1042"}
    assert signed_id(Client().get("/").content) == "Crm1042"


def test_the_view_decorator_takes_visitor_id() -> None:
    decorate = jivo_widget_options(visitor_id="Crm1042")  # refused at once were it unknown
    assert callable(decorate)


def test_a_toml_config_names_the_secrets_variable(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, ann: Any
) -> None:
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\nidentity_secret_env = "{ENV}"\n')
    monkeypatch.setenv(ENV, SECRET)
    settings.BASE_DIR = tmp_path
    settings.JIVO_WIDGET = {"config": "jivo.toml"}
    client = Client()
    client.force_login(ann)
    assert signed_id(client.get("/").content) == str(ann.pk)


def test_e002_names_a_missing_secret_variable(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\nidentity_secret_env = "{ENV}"\n')
    monkeypatch.delenv(ENV, raising=False)
    settings.BASE_DIR = tmp_path
    settings.JIVO_WIDGET = {"config": "jivo.toml"}
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert (
        f"(jivo_widget.E002) JIVO_WIDGET: identity_secret_env: the environment variable {ENV} "
        "is not set"
    ) in str(error.value)


def test_e002_never_shows_the_secret(settings: Any, capsys: Any) -> None:
    settings.JIVO_WIDGET = {"widget_id": ID, "identity_secret": SECRET, "identity_claims": []}
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "(jivo_widget.E002) JIVO_WIDGET: identity_claims: must be a mapping" in str(error.value)
    assert SECRET not in str(error.value)


def test_e002_names_a_short_secret_and_the_rule(settings: Any) -> None:
    short = "ShortSecretFromSettings"
    settings.JIVO_WIDGET = {"widget_id": ID, "identity_secret": short}
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert (
        "(jivo_widget.E002) JIVO_WIDGET: identity_secret: the secret is 23 bytes long; Jivo's "
        "JWT secret must be at least 32 bytes"
    ) in str(error.value)
    assert short not in str(error.value)


@pytest.mark.browser
def test_the_signed_token_in_a_browser(
    playwright_and_orm: None, page: Any, jivo_mock: Any, live_server: Any, settings: Any
) -> None:
    from django.contrib.auth import get_user_model

    settings.JIVO_WIDGET = {"widget_id": ID, "identity_secret": SECRET}
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    page.goto(live_server.url + "/login/bob")
    page.goto(live_server.url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.token_claims() == {"id": str(user.pk)}
    assert UserTokens(SECRET).verify(jivo_mock.visitor_token()).visitor_id == str(user.pk)
