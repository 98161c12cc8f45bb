"""Flask: JivoWidget(app), {{ jivo_widget() }}, flask-login identity and logout, flask-talisman's
nonce, per-request options; Flask's test client, then a real server and Chromium."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import flask
import pytest
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_talisman import Talisman
from playwright.sync_api import Page as BrowserPage

from jivo_widget import JivoConfigError
from jivo_widget.integrations.flask import JivoWidget, page_options
from jivo_widget.testing import JivoMock

ID = "AbCdEf1234"
BASE = "<!doctype html><html><body><p>shop</p>{{ jivo_widget() }}</body></html>"


def calls(html: str) -> list[Any]:
    match = re.search(r"data-jivo='([^']*)'", html)
    assert match, html
    return list(json.loads(match.group(1)))


class User(UserMixin):
    def __init__(self, user_id: str, name: str, email: str) -> None:
        self.id = user_id
        self.name = name
        self.email = email


USERS = {"7": User("7", "Ann O'Brien", "ann@example.com")}


def make_app(*, login: bool = True, **config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = "test-secret-key"
    app.config["JIVO_WIDGET"] = {"widget_id": ID, **config}
    if login:
        manager = LoginManager(app)
        manager.user_loader(USERS.get)

    @app.get("/")
    def index() -> str:
        return flask.render_template_string(BASE)

    @app.get("/login/<user_id>")
    def login_view(user_id: str) -> str:
        login_user(USERS[user_id])
        return "in"

    @app.get("/logout")
    def logout_view() -> str:
        logout_user()
        return "out"

    @app.get("/order")
    def order() -> str:
        page_options().update(custom_data=[{"title": "Order", "content": "#1042"}])
        return flask.render_template_string(BASE)

    @app.get("/checkout")
    def checkout() -> str:
        page_options().enabled = False
        return flask.render_template_string(BASE)

    return app


@pytest.fixture
def app() -> flask.Flask:
    return make_app()


def test_anonymous_then_signed_in_then_logged_out(app: flask.Flask) -> None:
    JivoWidget(app)
    client = app.test_client()
    assert calls(client.get("/").text) == []
    client.get("/login/7")
    assert calls(client.get("/").text) == [
        ["setUserToken", ["7"]],
        ["setContactInfo", [{"name": "Ann O'Brien", "email": "ann@example.com"}]],
    ]
    client.get("/logout")
    assert calls(client.get("/").text) == [["clearHistory", []]]
    assert calls(client.get("/").text) == []  # once


def test_init_app_and_an_identity_loader(app: flask.Flask) -> None:
    jivo = JivoWidget()

    @jivo.identity_loader
    def identity() -> dict[str, Any]:
        return {"user_token": "custom", "custom_data": [{"title": "Plan", "content": "Pro"}]}

    jivo.init_app(app)
    client = app.test_client()
    assert calls(client.get("/order").text) == [
        ["setUserToken", ["custom"]],
        [
            "setCustomData",
            [[{"title": "Plan", "content": "Pro"}, {"title": "Order", "content": "#1042"}]],
        ],
    ]
    assert JivoWidget.widget(app).widget_id == ID


def test_without_flask_login_there_is_no_identity() -> None:
    app = make_app(login=False)
    JivoWidget(app)
    assert calls(app.test_client().get("/").text) == []


def test_a_view_switches_the_widget_off(app: flask.Flask) -> None:
    JivoWidget(app)
    assert "data-jivo" not in app.test_client().get("/checkout").text


def test_per_page_rules_see_the_path_and_address() -> None:
    app = make_app(exclude_paths=["/order*"], internal_ips=["10.0.0.0/8"])
    JivoWidget(app)
    client = app.test_client()
    assert "data-jivo" not in client.get("/order").text
    assert "data-jivo" in client.get("/").text
    assert "data-jivo" not in client.get("/", environ_base={"REMOTE_ADDR": "10.2.3.4"}).text


def test_flask_talisman_nonce_is_used_and_sent(app: flask.Flask) -> None:
    Talisman(
        app,
        force_https=False,
        content_security_policy={"script-src": "'self'"},
        content_security_policy_nonce_in=["script-src"],
    )
    JivoWidget(app)
    response = app.test_client().get("/")
    nonce = re.search(r'<script nonce="([^"]+)"', response.text)
    assert nonce, response.text
    assert f"'nonce-{nonce.group(1)}'" in response.headers["Content-Security-Policy"]


def test_talisman_without_nonces_renders_no_nonce(app: flask.Flask) -> None:
    Talisman(app, force_https=False, content_security_policy={"script-src": "'self'"})
    JivoWidget(app)
    assert "<script data-jivo=" in app.test_client().get("/").text  # not nonce=""


def test_a_nonce_loader(app: flask.Flask) -> None:
    jivo = JivoWidget(app)
    jivo.nonce_loader(lambda: "fromLoader1")
    assert '<script nonce="fromLoader1"' in app.test_client().get("/").text


def test_a_bad_config_fails_at_start_up_naming_the_setting() -> None:
    with pytest.raises(JivoConfigError, match=r'app.config\["JIVO_WIDGET"\]: widget_id'):
        JivoWidget(make_app(widget_id="bad id"))
    app = make_app()
    del app.config["JIVO_WIDGET"]
    with pytest.raises(JivoConfigError, match=r'app.config\["JIVO_WIDGET"\]: must be a dict'):
        JivoWidget(app)


def test_config_file_relative_to_the_app(tmp_path: Any) -> None:
    app = make_app()
    app.root_path = str(tmp_path)
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\ncolor = "#123456"\n')
    app.config["JIVO_WIDGET"] = {"config": "jivo.toml"}
    JivoWidget(app)
    assert JivoWidget.widget(app).color == "#123456"


def test_templates_outside_a_request_render_without_request_data(app: flask.Flask) -> None:
    JivoWidget(app)
    with app.app_context():
        assert calls(flask.render_template_string("{{ jivo_widget() }}")) == []


def _bad_identity() -> dict[str, Any]:
    return {"user_token": "1", "contact": {"email": 5}}


def test_strict_when_testing_or_debug_lenient_in_production(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JIVO_WIDGET_STRICT", raising=False)
    app = make_app()
    jivo = JivoWidget(app)
    jivo.identity_loader(_bad_identity)
    with caplog.at_level(logging.WARNING):
        assert calls(app.test_client().get("/").text) == [["setUserToken", ["1"]]]
    assert "contact.email" in caplog.text
    app.testing = True  # Flask's test client then propagates the error
    with pytest.raises(JivoConfigError, match=r"contact\.email"):
        app.test_client().get("/")
    app.testing, app.debug = False, True
    with pytest.raises(JivoConfigError, match=r"contact\.email"), app.test_request_context("/"):
        flask.render_template_string(BASE)


# ------------------------------------------------------------------ in a browser


@pytest.fixture
def served(serve_wsgi: Callable[[flask.Flask], str]) -> str:
    app = make_app()
    Talisman(
        app,
        force_https=False,
        content_security_policy={"script-src": ["'strict-dynamic'"]},
        content_security_policy_nonce_in=["script-src"],
    )
    JivoWidget(app)
    return serve_wsgi(app)


@pytest.mark.browser
def test_in_a_browser_under_a_nonce_csp(
    page: BrowserPage, jivo_mock: JivoMock, served: str
) -> None:
    page.goto(served + "/login/7")
    page.goto(served + "/order")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["7"]]
    assert jivo_mock.calls("setContactInfo") == [
        [{"name": "Ann O'Brien", "email": "ann@example.com"}]
    ]
    assert jivo_mock.calls("setCustomData") == [[[{"title": "Order", "content": "#1042"}]]]
    page.goto(served + "/logout")
    page.goto(served + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("clearHistory") == [[]]
    assert jivo_mock.calls("setUserToken") == []
