"""Each framework's snippet from the README, copied into a fresh app as a newcomer would, and
the widget's calls arriving in Chromium (jivo_mock). The snippets are read from README.md, so the
README cannot drift from what works."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest
from fastapi import FastAPI, Request  # module level: FastAPI resolves the annotations here
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from playwright.sync_api import Page

from jivo_widget.testing import JivoMock

README = Path(__file__).resolve().parents[2] / "README.md"
WIDGET_ID = "AbCdEf1234"

pytestmark = pytest.mark.browser


def snippet(name: str) -> str:
    """The code block that follows ``<!-- snippet:NAME -->`` in the README."""
    match = re.search(
        rf"<!-- snippet:{re.escape(name)} -->\n```[a-z]*\n(.*?)```", README.read_text("utf-8"), re.S
    )
    assert match, f"README.md has no snippet {name!r}"
    return match.group(1)


def page_with(template_line: str) -> str:
    return f"<!doctype html><html><body><h1>Hello</h1>\n{template_line}</body></html>\n"


def test_every_snippet_is_short() -> None:
    # The promise: settings/config lines plus one template line.
    for name in ("django-template", "flask-template", "fastapi-template", "jinja-template"):
        assert len(snippet(name).strip().splitlines()) == 1, name
    for name in ("django-settings", "flask-app", "fastapi-app", "jinja-env"):
        code = [line for line in snippet(name).splitlines() if line.strip()]
        assert len(code) <= 4, name


# ------------------------------------------------------------------ Django: a startproject site


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def django_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``django-admin startproject mysite`` + the README's settings and template lines, a
    superuser, and ``manage.py runserver`` on a free port."""
    root = tmp_path_factory.mktemp("django")
    python = sys.executable
    subprocess.run([python, "-m", "django", "startproject", "mysite", str(root)], check=True)
    settings = root / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\n# --- from the README\n"
        + snippet("django-settings")
        + "\n# --- the site's own template directory\n"
        + 'TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates"]\n'
    )
    urls = root / "mysite" / "urls.py"
    urls.write_text(
        urls.read_text().replace(
            "urlpatterns = [",
            "from django.views.generic import TemplateView\n\nurlpatterns = [\n"
            '    path("", TemplateView.as_view(template_name="base.html")),',
        )
    )
    (root / "templates").mkdir()
    (root / "templates" / "base.html").write_text(page_with(snippet("django-template")))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings", "PYTHONPATH": str(root)}
    manage = [python, str(root / "manage.py")]
    check = subprocess.run([*manage, "check"], cwd=root, env=env, capture_output=True, text=True)
    assert check.returncode == 0 and "no issues" in check.stdout, check.stdout + check.stderr
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=root, env=env, check=True)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('ann', 'ann@example.com', 'readme-pass')",
        ],
        cwd=root,
        env=env,
        check=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(url + "/")
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "runserver did not start: "
                        + (server.stderr.read() if server.stderr else "")
                    )
                time.sleep(0.1)  # polling a server that is not up yet
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()


def test_django_snippet(page: Page, jivo_mock: JivoMock, django_site: str) -> None:
    page.goto(django_site + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.widget_id == WIDGET_ID
    jivo_mock.assert_not_called("setUserToken")
    page.goto(django_site + "/admin/login/?next=/")  # sign in through Django's admin
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("readme-pass")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(django_site + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["1"]]
    assert jivo_mock.calls("setContactInfo") == [[{"email": "ann@example.com"}]]


# ------------------------------------------------------------------ Flask


def test_flask_snippet(
    page: Page, jivo_mock: JivoMock, serve_wsgi: Callable[[Any], str], tmp_path: Path
) -> None:
    import flask
    from flask_login import LoginManager, UserMixin, login_user

    (tmp_path / "base.html").write_text(page_with(snippet("flask-template")))
    app = flask.Flask("readme_app", template_folder=str(tmp_path))
    app.secret_key = "readme"
    # The site's own sign-in (flask-login), then the README's lines.
    user = UserMixin()
    user.id = "u-7"  # type: ignore[attr-defined]
    LoginManager(app).user_loader(lambda user_id: user if user_id == "u-7" else None)
    exec(snippet("flask-app"), {"app": app})

    @app.get("/")
    def index() -> str:
        return flask.render_template("base.html")

    @app.get("/login")
    def login() -> str:
        login_user(user)
        return "in"

    url = serve_wsgi(app)
    page.goto(url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.widget_id == WIDGET_ID
    page.goto(url + "/login")
    page.goto(url + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.calls("setUserToken") == [["u-7"]]


# ------------------------------------------------------------------ FastAPI


def test_fastapi_snippet(
    page: Page, jivo_mock: JivoMock, serve_asgi: Callable[[Any], str], tmp_path: Path
) -> None:
    (tmp_path / "base.html").write_text(page_with(snippet("fastapi-template")))
    templates = Jinja2Templates(directory=tmp_path)
    exec(snippet("fastapi-app"), {"templates": templates})
    app = FastAPI()

    @app.get("/")
    async def index(request: Request) -> Response:
        return templates.TemplateResponse(request, "base.html")

    page.goto(serve_asgi(app) + "/")
    jivo_mock.wait_for_load()
    assert jivo_mock.widget_id == WIDGET_ID


# ------------------------------------------------------------------ Jinja (a static page)


def test_jinja_snippet(page: Page, jivo_mock: JivoMock, live_server: Any) -> None:
    env = jinja2.Environment(autoescape=True)
    exec(snippet("jinja-env"), {"env": env})
    html = env.from_string(page_with(snippet("jinja-template"))).render()
    page.goto(live_server.add("/", html))
    jivo_mock.wait_for_load()
    assert jivo_mock.widget_id == WIDGET_ID
