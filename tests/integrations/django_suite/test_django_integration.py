"""The Django app: system checks, the tag, identity, CSP nonces (django-csp, Django 6), logout,
per-view options, async views, the middlewares, per-page rules, and a browser."""

from __future__ import annotations

import gzip
import logging
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from conftest import calls
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import AsyncClient, Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jivo_widget import JivoConfigError

ID = "AbCdEf1234"
INSERT = "jivo_widget.integrations.django.middleware.JivoWidgetInsertMiddleware"
OPTIONS = "jivo_widget.integrations.django.middleware.JivoWidgetMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
GZIP = "django.middleware.gzip.GZipMiddleware"

pytestmark = pytest.mark.django_db


def check_output(capsys: pytest.CaptureFixture[str]) -> str:
    try:
        call_command("check")
    except SystemCheckError as exc:
        return str(exc)
    return capsys.readouterr().err


# ------------------------------------------------------------------ system checks


def test_a_valid_setup_passes_the_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert "jivo_widget" not in check_output(capsys)


def test_e001_missing_setting(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    del settings.JIVO_WIDGET
    assert "(jivo_widget.E001) JIVO_WIDGET is not set." in check_output(capsys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"widget_id": "no way"}, "JIVO_WIDGET: widget_id: must be 4-32 letters"),
        ({"widget_id": ID, "colour": "#fff"}, "JIVO_WIDGET: colour: unknown field"),
        ({"widget_id": ID, "exclude_paths": ["admin/*"]}, "JIVO_WIDGET: exclude_paths[0]: a glob"),
        ("AbCdEf1234", "JIVO_WIDGET: must be a dict of Widget fields"),
        ({"config": "missing.toml"}, "JIVO_WIDGET: "),
    ],
)
def test_e002_invalid_setting_names_the_field(
    settings: Any, capsys: pytest.CaptureFixture[str], value: Any, message: str
) -> None:
    settings.JIVO_WIDGET = value
    output = check_output(capsys)
    assert "(jivo_widget.E002) " + message in output
    if value == {"config": "missing.toml"}:
        assert "missing.toml: cannot read config" in output


def test_config_file_relative_to_base_dir(settings: Any, tmp_path: Any) -> None:
    (tmp_path / "jivo.toml").write_text(f'widget_id = "{ID}"\nexclude_paths = ["/plain"]\n')
    settings.BASE_DIR = tmp_path
    settings.JIVO_WIDGET = {"config": "jivo.toml", "color": "#123456"}
    client = Client()
    assert calls(client.get("/").content) == [["setWidgetColor", ["#123456"]]]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("identities.nope", "JIVO_WIDGET_IDENTITY: cannot import 'identities.nope'"),
        ("nowhere.identity", "JIVO_WIDGET_IDENTITY: cannot import 'nowhere.identity'"),
        (
            "identities.NOT_CALLABLE",
            "JIVO_WIDGET_IDENTITY: 'identities.NOT_CALLABLE' is not callable",
        ),
        (42, "JIVO_WIDGET_IDENTITY: must be the dotted path of a function, got int"),
    ],
)
def test_e003_bad_identity_setting(
    settings: Any, capsys: pytest.CaptureFixture[str], path: Any, message: str
) -> None:
    settings.JIVO_WIDGET_IDENTITY = path
    assert "(jivo_widget.E003) " + message in check_output(capsys)


def test_w001_middleware_above_authentication(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.MIDDLEWARE = [SESSION, INSERT, AUTH]
    assert "(jivo_widget.W001)" in check_output(capsys)


# ------------------------------------------------------------------ the tag and identity


def test_anonymous_then_signed_in(ann: Any) -> None:
    client = Client()
    assert calls(client.get("/").content) == []
    client.force_login(ann)
    assert calls(client.get("/").content) == [
        ["setUserToken", [str(ann.pk)]],
        ["setContactInfo", [{"name": "Ann O'Brien", "email": "ann@example.com"}]],
    ]


def test_tag_arguments_layer_over_the_identity(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    assert calls(client.get("/args").content) == [
        ["setUserToken", [str(ann.pk)]],
        ["setContactInfo", [{"name": "Ann O'Brien", "email": "ann@example.com"}]],
        ["setCustomData", [[{"title": "Cart", "content": "2 items"}]]],
        ["sendPageTitle", ["Checkout", True]],
    ]


def test_an_identity_function(settings: Any, ann: Any) -> None:
    settings.JIVO_WIDGET_IDENTITY = "identities.by_username"
    client = Client()
    assert calls(client.get("/").content) == []
    client.force_login(ann)
    assert calls(client.get("/").content) == [
        ["setUserToken", ["user-ann"]],
        ["setCustomData", [[{"title": "Plan", "content": "Pro"}]]],
    ]


def test_a_failing_identity_function_in_production_leaves_it_out(
    settings: Any, production: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JIVO_WIDGET_IDENTITY = "identities.broken"
    with caplog.at_level(logging.WARNING, "jivo_widget.integrations"):
        assert calls(Client().get("/").content) == []
    assert "JIVO_WIDGET_IDENTITY raised RuntimeError" in caplog.text


def test_a_failing_identity_function_raises_in_tests(settings: Any) -> None:
    settings.JIVO_WIDGET_IDENTITY = "identities.broken"
    with pytest.raises(RuntimeError, match="CRM down"):
        Client().get("/")


def test_strict_under_debug_lenient_in_production(
    settings: Any, production: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JIVO_WIDGET_IDENTITY = lambda request: {"user_token": "1", "page_url": "ftp://x"}
    assert calls(Client().get("/").content) == [["setUserToken", ["1"]]]
    assert "page_url" in caplog.text
    settings.DEBUG = True
    with pytest.raises(JivoConfigError, match="page_url"):
        Client().get("/")


def test_an_invalid_setting_at_render_time(
    settings: Any, production: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JIVO_WIDGET = {"widget_id": "bad id"}
    response = Client().get("/")
    assert response.status_code == 200 and b"data-jivo" not in response.content
    assert "JIVO_WIDGET is invalid" in caplog.text
    settings.DEBUG = True
    with pytest.raises(JivoConfigError, match="JIVO_WIDGET: widget_id"):
        Client().get("/")


# ------------------------------------------------------------------ CSP nonces


def _nonce_pair(response: Any) -> tuple[str, str]:
    script = re.search(rb'<script nonce="([^"]+)" data-jivo', response.content)
    header = re.search(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    assert script and header, (response.content[:200], response.headers)
    return script.group(1).decode(), header.group(1)


def test_django_csp_nonce(settings: Any) -> None:
    from csp.constants import NONCE, SELF

    settings.MIDDLEWARE = [SESSION, AUTH, "csp.middleware.CSPMiddleware", OPTIONS]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    script, header = _nonce_pair(Client().get("/"))
    assert script == header


def test_django_csp_nonce_with_the_insert_middleware(settings: Any) -> None:
    from csp.constants import NONCE, SELF

    settings.MIDDLEWARE = [SESSION, AUTH, "csp.middleware.CSPMiddleware", INSERT]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    script, header = _nonce_pair(Client().get("/plain"))
    assert script == header


def test_no_csp_no_nonce() -> None:
    assert b"<script data-jivo=" in Client().get("/").content


@pytest.mark.django6
@pytest.mark.parametrize("context_processor", [True, False])
def test_django6_builtin_csp_nonce(settings: Any, context_processor: bool) -> None:
    from django.utils.csp import CSP

    settings.MIDDLEWARE = [SESSION, AUTH, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    settings.SECURE_CSP = {"script-src": [CSP.SELF, CSP.NONCE]}
    if not context_processor:  # then the tag reads request._csp_nonce
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {"context_processors": []}}]
    script, header = _nonce_pair(Client().get("/"))
    assert script == header


@pytest.mark.django6
def test_django6_builtin_csp_with_the_insert_middleware(settings: Any) -> None:
    from django.utils.csp import CSP

    settings.MIDDLEWARE = [
        SESSION,
        AUTH,
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        INSERT,
    ]
    settings.SECURE_CSP = {"script-src": [CSP.SELF, CSP.NONCE]}
    script, header = _nonce_pair(Client().get("/plain"))
    assert script == header


# ------------------------------------------------------------------ logout


def test_clear_history_once_after_logout(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    client.get("/logout")
    assert calls(client.get("/").content) == [["clearHistory", []]]
    assert calls(client.get("/").content) == []


def test_clear_history_after_an_async_logout(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    client.get("/async-logout")
    assert calls(client.get("/").content) == [["clearHistory", []]]


def test_a_page_without_the_widget_keeps_the_flag(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    client.get("/logout")
    client.get("/checkout")  # the widget is off here: the flag waits
    assert calls(client.get("/").content) == [["clearHistory", []]]


# ------------------------------------------------------------------ per-view options


def test_view_options(ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    assert b"data-jivo" not in client.get("/checkout").content
    assert calls(client.get("/order").content)[-1] == [
        "setCustomData",
        [[{"title": "Order", "content": "#1042"}]],
    ]
    assert calls(client.get("/help").content)[-1] == [
        "setCustomData",
        [[{"title": "Help", "content": "FAQ"}]],
    ]


def test_the_decorator_works_without_the_middleware(settings: Any) -> None:
    settings.MIDDLEWARE = [SESSION, AUTH]
    assert b"data-jivo" not in Client().get("/checkout").content
    assert calls(Client().get("/help").content) == [
        ["setCustomData", [[{"title": "Help", "content": "FAQ"}]]]
    ]


def test_the_decorator_refuses_bad_keywords_at_once() -> None:
    from jivo_widget.integrations.django import jivo_widget_options

    with pytest.raises(TypeError, match=r"unknown render\(\) argument\(s\) custom_dat; accepted"):
        jivo_widget_options(custom_dat=[{"content": "x"}])
    assert callable(jivo_widget_options(page_title="ok", enabled=False))


# ------------------------------------------------------------------ async views


def test_async_view_rendering_in_the_event_loop(ann: Any) -> None:
    client = AsyncClient()
    client.force_login(ann)
    response = async_to_sync(client.get)("/async")
    assert calls(response.content)[0] == ["setUserToken", [str(ann.pk)]]
    assert b"data-jivo" not in async_to_sync(client.get)("/async-checkout").content


def test_async_template_response(ann: Any, settings: Any) -> None:
    settings.MIDDLEWARE = [SESSION, AUTH]  # Django renders it in a thread: no help needed
    client = AsyncClient()
    client.force_login(ann)
    response = async_to_sync(client.get)("/async-template-response")
    assert calls(response.content)[0] == ["setUserToken", [str(ann.pk)]]


def test_async_logout_flag_read_in_the_event_loop(ann: Any) -> None:
    client = AsyncClient()
    client.force_login(ann)
    async_to_sync(client.get)("/async-logout")
    assert calls(async_to_sync(client.get)("/async").content) == [["clearHistory", []]]


def test_async_view_without_the_middleware_in_production(
    ann: Any, settings: Any, production: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings.MIDDLEWARE = [SESSION, AUTH]
    client = AsyncClient()
    client.force_login(ann)
    response = async_to_sync(client.get)("/async")
    assert response.status_code == 200
    assert calls(response.content) == []  # the user could not be read in the event loop
    assert "request.user raised SynchronousOnlyOperation" in caplog.text


def test_async_insert_middleware(ann: Any, settings: Any) -> None:
    settings.MIDDLEWARE = [SESSION, AUTH, INSERT]
    client = AsyncClient()
    client.force_login(ann)
    response = async_to_sync(client.get)("/async-plain")
    assert calls(response.content)[0] == ["setUserToken", [str(ann.pk)]]


# ------------------------------------------------------------------ the insert middleware


@pytest.fixture
def inserting(settings: Any) -> Client:
    settings.MIDDLEWARE = [GZIP, SESSION, AUTH, INSERT]
    return Client()


def test_insert_into_a_page_without_the_tag(inserting: Client, ann: Any) -> None:
    inserting.force_login(ann)
    response = inserting.get("/plain")
    html = response.content.decode()
    assert html.index("<script") > html.index("no tag here") and html.index("</body>") > html.index(
        "</script>"
    )
    assert calls(html)[0] == ["setUserToken", [str(ann.pk)]]


def test_a_page_with_the_tag_is_not_doubled(inserting: Client) -> None:
    assert inserting.get("/").content.count(b"<script") == 1


def test_gzip_above_compresses_after_the_insertion(inserting: Client) -> None:
    response = inserting.get("/plain", headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert b"data-jivo" in gzip.decompress(response.content)


@pytest.mark.parametrize("path", ["/data", "/stream", "/missing", "/tagged", "/checkout"])
def test_other_responses_are_byte_identical(settings: Any, path: str) -> None:
    settings.MIDDLEWARE = [SESSION, AUTH, OPTIONS]
    before = Client().get(path)
    settings.MIDDLEWARE = [SESSION, AUTH, INSERT]
    after = Client().get(path)
    body = b"".join(before.streaming_content) if before.streaming else before.content
    assert (b"".join(after.streaming_content) if after.streaming else after.content) == body
    assert dict(after.headers) == dict(before.headers)
    assert after.status_code == before.status_code


def test_content_length_is_updated(settings: Any) -> None:
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware", SESSION, AUTH, INSERT]
    response = Client().get("/plain")
    assert int(response["Content-Length"]) == len(response.content)


# ------------------------------------------------------------------ per-page rules


def test_per_page_rules(settings: Any) -> None:
    settings.JIVO_WIDGET = {
        "widget_id": ID,
        "exclude_paths": ["/admin/*"],
        "internal_ips": ["10.0.0.0/8"],
    }
    client = Client()
    assert b"data-jivo" not in client.get("/admin/x").content
    assert b"data-jivo" in client.get("/").content
    assert b"data-jivo" not in client.get("/", REMOTE_ADDR="10.1.1.1").content


def test_enabled_environments(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.JIVO_WIDGET = {"widget_id": ID, "enabled_environments": ["production"]}
    monkeypatch.setenv("JIVO_WIDGET_ENV", "staging")
    assert b"data-jivo" not in Client().get("/").content
    monkeypatch.setenv("JIVO_WIDGET_ENV", "production")
    assert b"data-jivo" in Client().get("/").content


# ------------------------------------------------------------------ in a browser


@pytest.mark.browser
def test_in_a_browser(
    playwright_and_orm: None, page: Any, jivo_mock: Any, live_server: Any, settings: Any
) -> None:
    from csp.constants import NONCE, SELF
    from django.contrib.auth import get_user_model

    settings.MIDDLEWARE = [SESSION, AUTH, "csp.middleware.CSPMiddleware", OPTIONS]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"script-src": [SELF, NONCE, "'strict-dynamic'"]}
    }
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw", first_name="Bob")
    page.goto(live_server.url + "/login/bob")
    page.goto(live_server.url + "/order")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [[str(user.pk)]]
    assert jivo_mock.calls("setContactInfo") == [[{"name": "Bob", "email": "bob@example.com"}]]
    assert jivo_mock.calls("setCustomData") == [[[{"title": "Order", "content": "#1042"}]]]
    page.goto(live_server.url + "/logout")
    page.goto(live_server.url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("clearHistory") == [[]]


# ------------------------------------------------------------------ byte-identical, generated


CONTENT_TYPES = [
    "text/html",
    "text/html; charset=utf-8",
    "TEXT/HTML",
    "application/json",
    "text/plain",
    "application/xhtml+xml",
    "image/png",
    "text/html; charset=latin-1",
]
PARTS = [b"<html>", b"<body>", b"</body>", b"</BODY>", b"\xff\x00", b"<script data-jivo='[]'>", b""]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.sampled_from([200, 200, 201, 204, 302, 404, 500]),
    content_type=st.sampled_from(CONTENT_TYPES),
    extra=st.lists(
        st.sampled_from(
            [
                ("Content-Encoding", "gzip"),
                ("ETag", '"x"'),
                ("Content-Range", "bytes 0-1/2"),
                ("X-Custom", "1"),
            ]
        ),
        max_size=2,
    ),
    chunks=st.lists(
        st.lists(st.sampled_from(PARTS), max_size=5).map(b"".join), min_size=1, max_size=3
    ),
    streaming=st.booleans(),
)
def test_only_plain_html_pages_change(
    rf: Any,
    status: int,
    content_type: str,
    extra: list[tuple[str, str]],
    chunks: list[bytes],
    streaming: bool,
) -> None:
    from django.http import HttpResponse, StreamingHttpResponse

    from jivo_widget.integrations.django.middleware import JivoWidgetInsertMiddleware

    def make() -> Any:
        if streaming:
            response = StreamingHttpResponse(iter(chunks), status=status, content_type=content_type)
        else:
            response = HttpResponse(b"".join(chunks), status=status, content_type=content_type)
        for name, value in extra:
            response[name] = value
        return response

    request = rf.get("/")
    request.user = AnonymousUser()
    request.session = {}
    before = make()
    after = JivoWidgetInsertMiddleware(lambda r: make())(request)

    def body(response: Any) -> bytes:
        return b"".join(response.streaming_content) if response.streaming else response.content

    original = b"".join(chunks)
    eligible = (
        status == 200
        and not streaming
        and content_type.lower().split(";")[0] == "text/html"
        and not {name for name, _ in extra} & {"Content-Encoding", "ETag", "Content-Range"}
        and b"</body" in original.lower()
        and b" data-jivo='" not in original
    )
    assert dict(after.headers) == dict(before.headers)
    if not eligible:
        assert body(after) == body(before)
    else:
        at = original.lower().rfind(b"</body")
        new = body(after)
        assert new.startswith(original[:at]) and new.endswith(original[at:])
        assert new[at:].startswith(b"<script data-jivo='[]'>")
