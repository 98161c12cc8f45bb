"""The README's "Testing your site" examples, run as a user's project runs them.

Each snippet is taken from README.md itself (``<!-- example: framework/file -->`` before its code
block), so the README cannot drift from what is tested. The inner runs are subprocesses with the
real pytest-flask, pytest-django, uvicorn and Chromium; only the shop under test is written here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(r"<!-- example: (?P<name>\S+) -->\n```\w+\n(?P<code>.*?)```\n", re.S)

WIDGET = """from jivo_widget import Widget

widget = Widget(widget_id="AbCdEf1234")


def page():
    glue = widget.render(user_token="u-42")
    return f"<!doctype html><html><head><title>Shop</title></head><body>{glue}</body></html>"
"""

FLASK_SHOP = (
    WIDGET
    + """

def create_app():
    from flask import Flask

    app = Flask(__name__)
    app.add_url_rule("/", "home", page)
    return app
"""
)

ASGI_SHOP = (
    WIDGET
    + """
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def home(request):
    return HTMLResponse(page())


app = Starlette(routes=[Route("/", home)])
"""
)

DJANGO_SETTINGS = """
SECRET_KEY = "not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shop.urls"
STATIC_URL = "static/"
INSTALLED_APPS = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
USE_TZ = True
"""

DJANGO_URLS = """
from django.http import HttpResponse
from django.urls import path

from shop.widget import page

urlpatterns = [path("", lambda request: HttpResponse(page()))]
"""


def examples(framework: str) -> dict[str, str]:
    """``{file name: code}`` of the README's examples for ``framework``."""
    found = {}
    for match in EXAMPLE.finditer(README.read_text("utf-8")):
        owner, _, file_name = match["name"].partition("/")
        if owner == framework:
            found[file_name] = match["code"]
    return found


def write_project(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, code in files.items():
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, "utf-8")


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA")


def test_every_framework_has_its_examples() -> None:
    assert set(examples("flask")) == {"conftest.py", "test_chat.py", "pytest.ini"}
    assert set(examples("django")) == {"conftest.py", "test_chat.py", "pytest.ini"}
    assert set(examples("asgi")) == {"conftest.py", "test_chat.py"}


def test_flask_example_with_pytest_flask(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"shop.py": FLASK_SHOP, **examples("flask")})
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*plugins:*flask-*"])


def test_flask_example_needs_pytest_django_turned_off(pytester: pytest.Pytester) -> None:
    # What the README says: with pytest-django installed too, its live_server takes over.
    files = examples("flask")
    del files["pytest.ini"]
    write_project(pytester, {"shop.py": FLASK_SHOP, **files})
    result = run(pytester)
    assert result.parseoutcomes().get("passed", 0) == 0


def django_project(pytester: pytest.Pytester) -> dict[str, str]:
    return {
        "shop/__init__.py": "",
        "shop/settings.py": DJANGO_SETTINGS,
        "shop/urls.py": DJANGO_URLS,
        "shop/widget.py": WIDGET,
        **examples("django"),
    }


def test_django_example_with_pytest_django(pytester: pytest.Pytester) -> None:
    write_project(pytester, django_project(pytester))
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*plugins:*django-*"])


def test_django_example_needs_async_unsafe(pytester: pytest.Pytester) -> None:
    # What the README says: without DJANGO_ALLOW_ASYNC_UNSAFE the live server's ORM calls fail.
    files = django_project(pytester)
    files["conftest.py"] = ""
    write_project(pytester, files)
    pytester._monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    result = run(pytester)
    assert result.parseoutcomes().get("passed", 0) == 0
    result.stdout.fnmatch_lines(["*SynchronousOnlyOperation*"])


def test_asgi_example_with_uvicorn(pytester: pytest.Pytester) -> None:
    # With pytest-django and pytest-flask installed too: the fixture's name keeps clear of them.
    write_project(pytester, {"shop.py": ASGI_SHOP, **examples("asgi")})
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*plugins:*django-*", "*passed*"])
