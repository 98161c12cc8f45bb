"""The README's test-kit examples beyond pytest-playwright: an async suite
(pytest-playwright-asyncio, in its own virtualenv: it refuses to load beside pytest-playwright),
plain `unittest`, and Django's `StaticLiveServerTestCase`. Each snippet is taken from README.md
(``<!-- example: runner/file -->``); only the shop under test is written here. Each also runs
once against a page that breaks Jivo's contract, to show that the check fails it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ASYNC_PYTHON = ROOT / ".venv-async" / "bin" / "python"
EXAMPLE = re.compile(r"<!-- example: (?P<name>\S+) -->\n```\w+\n(?P<code>.*?)```\n", re.S)

#: The shop: "/" renders the glue for user u-42; "/broken" also calls a method Jivo does not
#: have, a contract violation.
WIDGET = """from jivo_widget import Widget

widget = Widget(widget_id="AbCdEf1234")
BROKEN = '<script>jivoWidget.call("noSuchMethod")</script>'


def page(broken=False):
    glue = widget.render(user_token="u-42")
    extra = BROKEN if broken else ""
    return f"<!doctype html><html><head><title>Shop</title></head><body>{glue}{extra}</body></html>"
"""

ASGI_SHOP = (
    WIDGET
    + """
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def home(request):
    return HTMLResponse(page(broken="broken" in request.query_params))


app = Starlette(routes=[Route("/", home)])
"""
)


def examples(runner: str) -> dict[str, str]:
    """``{file name: code}`` of the README's examples for ``runner``."""
    found = {}
    for match in EXAMPLE.finditer(README.read_text("utf-8")):
        owner, _, file_name = match["name"].partition("/")
        if owner == runner:
            found[file_name] = match["code"]
    return found


def write(root: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, "utf-8")


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def broken_copy(code: str, old: str, new: str) -> str:
    assert old in code
    return code.replace(old, new)


def test_every_runner_has_its_examples() -> None:
    assert set(examples("async")) == {"pytest.ini", "test_chat.py"}
    assert set(examples("unittest")) == {"test_chat.py"}
    assert set(examples("djangotest")) == {"shop/tests.py"}


# ------------------------------------------------------------------ async


def test_async_suite_with_pytest_playwright_asyncio(tmp_path: Path) -> None:
    assert ASYNC_PYTHON.exists(), "no async virtualenv: run `make venv-async`"
    test_chat = examples("async")["test_chat.py"]
    write(
        tmp_path,
        {
            "shop.py": ASGI_SHOP,
            "conftest.py": examples("asgi")["conftest.py"],  # the README's shop_url fixture
            **examples("async"),
            "test_broken.py": broken_copy(
                test_chat, "await page.goto(shop_url)", 'await page.goto(shop_url + "?broken=1")'
            ).replace("test_chat_gets_identity", "test_broken_page"),
        },
    )
    result = run([str(ASYNC_PYTHON), "-m", "pytest", "-p", "no:cacheprovider", "-rA"], tmp_path)
    output = result.stdout + result.stderr
    assert "plugins:" in output and "playwright-asyncio" in output, output
    assert "PASSED test_chat.py::test_chat_gets_identity" in output, output
    # The broken page's test body passes; the fixture's check fails it at teardown.
    assert "PASSED test_broken.py::test_broken_page" in output, output
    assert "ERROR test_broken.py::test_broken_page" in output, output
    assert "jivo_mock: 1 Jivo contract violation(s)" in output, output
    assert "noSuchMethod" in output, output
    assert result.returncode == 1, output


# ------------------------------------------------------------------ unittest


@pytest.fixture
def asgi_shop(tmp_path: Path) -> str:
    """The ASGI shop under uvicorn in a subprocess; returns its URL."""
    import socket
    import time

    import httpx

    (tmp_path / "shop.py").write_text(ASGI_SHOP)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "shop:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url)
            break
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)  # polling a server that is not up yet
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_unittest_example(tmp_path: Path, asgi_shop: str) -> None:
    code = examples("unittest")["test_chat.py"]
    tests = tmp_path / "tests"
    write(
        tests,
        {
            "test_chat.py": code,
            "test_broken.py": broken_copy(
                code, "page.goto(SHOP_URL)", 'page.goto(SHOP_URL + "?broken=1")'
            ),
        },
    )
    good = run([sys.executable, "-m", "unittest", "-v", "test_chat"], tests, SHOP_URL=asgi_shop)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "test_chat_gets_identity (test_chat.ChatTest" in good.stderr
    assert "OK" in good.stderr
    bad = run([sys.executable, "-m", "unittest", "-v", "test_broken"], tests, SHOP_URL=asgi_shop)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "AssertionError: jivo_mock: 1 Jivo contract violation(s)" in bad.stderr, bad.stderr
    assert "noSuchMethod" in bad.stderr


# ------------------------------------------------------------------ Django StaticLiveServerTestCase

DJANGO_SETTINGS = """
SECRET_KEY = "not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "shop.urls"
STATIC_URL = "static/"
INSTALLED_APPS = ["django.contrib.staticfiles", "shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
USE_TZ = True
"""

DJANGO_URLS = """
from django.http import HttpResponse
from django.urls import path

from shop.widget import page

urlpatterns = [path("", lambda request: HttpResponse(page("broken" in request.GET)))]
"""

MANAGE = """import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""


def test_django_static_live_server_example(tmp_path: Path) -> None:
    tests = examples("djangotest")["shop/tests.py"]
    write(
        tmp_path,
        {
            "manage.py": MANAGE,
            "shop/__init__.py": "",
            "shop/settings.py": DJANGO_SETTINGS,
            "shop/urls.py": DJANGO_URLS,
            "shop/widget.py": WIDGET,
            "shop/tests.py": tests,
            "shop/test_broken.py": broken_copy(
                tests,
                "page.goto(self.live_server_url)",
                'page.goto(self.live_server_url + "?broken=1")',
            ),
        },
    )
    result = run([sys.executable, "manage.py", "test", "-v", "2"], tmp_path)
    output = result.stdout + result.stderr
    assert "test_chat_gets_identity (shop.tests.ChatTest" in output and "... ok" in output, output
    assert "FAIL: test_chat_gets_identity (shop.test_broken.ChatTest" in output, output
    assert "AssertionError: jivo_mock: 1 Jivo contract violation(s)" in output, output
    assert "Ran 2 tests" in output and "FAILED (failures=1)" in output, output
