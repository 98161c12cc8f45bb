"""The built wheel carries the templates: install it in a fresh venv and render from there.

An editable install finds the templates in the source tree; only a real (non-editable) install
proves that ``templates/`` ships inside the wheel (design.md §3, packaging note).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from jivo_widget import Widget

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys
import jivo_widget, jivo_widget.render as render
from jivo_widget import Widget
widget = Widget(widget_id="AbCdEf1234", strategy="onload", handlers={"jivo_onOpen": "x()"})
print(json.dumps({
    "package": jivo_widget.__file__,
    "templates": render.template_environment().loader.searchpath,
    "html": str(widget.render(user_token="u-42", contact={"name": "Ann"}, nonce="n0nce")),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The freshly built wheel."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("jivo_widget-*.whl")
    return built


def fresh_venv(base: Path, requirement: str) -> Path:
    """A fresh venv (no access to the source tree) with ``requirement`` installed."""
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)  # the outer pip installs into it: faster
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--disable-pip-version-check",
            requirement,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env_dir


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel alone, as `pip install jivo-widget` gets it."""
    return fresh_venv(tmp_path_factory.mktemp("core"), str(wheel))


def test_renders_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-I", "-c", PROBE],
        cwd=tmp_path,  # not the source tree: nothing can be found there
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    probe = json.loads(result.stdout)
    site = str(installed)
    assert probe["package"].startswith(site)
    assert len(probe["templates"]) == 1 and probe["templates"][0].startswith(site)
    assert probe["templates"][0].endswith("jivo_widget/templates")
    local = Widget(widget_id="AbCdEf1234", strategy="onload", handlers={"jivo_onOpen": "x()"})
    assert probe["html"] == str(
        local.render(user_token="u-42", contact={"name": "Ann"}, nonce="n0nce")
    )


def test_console_script_renders_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text('widget_id = "AbCdEf1234"\n')
    result = subprocess.run(
        [str(installed / "bin" / "jivo-widget"), "render", "jivo.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{Widget(widget_id='AbCdEf1234').render()}\n"


@pytest.mark.browser
def test_demo_runs_from_the_installed_wheel(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, page: Page
) -> None:
    # What the README tells a pip user: pip install 'jivo-widget[server]'; jivo-widget demo.
    env_dir = fresh_venv(tmp_path_factory.mktemp("server"), f"{wheel}[server]")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(env_dir / "bin" / "jivo-widget"), "demo", "--port", str(port)],
        cwd=tmp_path,  # not the repository: no examples/ here
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the demo did not start from the wheel:\n{output}")
            time.sleep(0.05)  # polling a condition: the server is not up yet
        # The page, the mocked loader and the glue, in Chromium (no jivo_mock: the demo
        # serves its own mock).
        page.goto(url)
        page.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
        calls = page.evaluate("() => __jivoMock.calls.map((c) => c.name)")
        assert "setUserToken" in calls
        assert page.evaluate("() => __jivoMock.violations") == []
        assert httpx.get(f"{url}/events").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()
    assert (tmp_path / "jivo-demo-events.db").exists()  # the default store, in the cwd
