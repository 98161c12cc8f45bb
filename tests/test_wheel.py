"""The package's files are found the same way in a wheel and in an editable install.

The wheel: install it in a fresh venv and render from there; only a real (non-editable) install
proves that the top-level ``templates/`` ships inside the wheel (as ``jivo_widget/templates``).
The editable install: ``pip install -e`` of a copy of the source tree, where the templates stay
in the top-level ``templates/``: it renders the same glue, reads every kind of file from the
copy, and sees an edited template without reinstalling.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

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


EDITABLE_PROBE = """
import json
import jivo_widget, jivo_widget.render as render
from jivo_widget import Widget, _resources
from jivo_widget.testing import mock_init_script
from jivo_widget.webhooks import samples
widget = Widget(widget_id="AbCdEf1234", strategy="onload", handlers={"jivo_onOpen": "x()"})
print(json.dumps({
    "package": jivo_widget.__file__,
    "templates": render.template_environment().loader.searchpath,
    "files": [str(_resources.path(name)) for name in (
        "assets/glue.min.js", "testing/mock_widget.js", "webhooks/samples", "demo/pages"
    )],
    "mock": "__jivoMock" in mock_init_script(),
    "samples": samples.names(),
    "html": str(widget.render(user_token="u-42", contact={"name": "Ann"}, nonce="n0nce")),
}))
"""


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


@pytest.fixture(scope="module")
def editable(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``pip install -e`` of a copy of the source tree: (the venv, the copy)."""
    source = tmp_path_factory.mktemp("editable") / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("jivo_widget", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return fresh_venv(source.parent, f"--editable={source}"), source


def probe_editable(env_dir: Path, cwd: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(env_dir / "bin" / "python"), "-I", "-c", EDITABLE_PROBE],
        cwd=cwd,  # not the copy: what is found, is found through the install
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    probe: dict[str, Any] = json.loads(result.stdout)
    return probe


def test_an_editable_install_reads_every_file_from_the_source_tree(
    editable: tuple[Path, Path], tmp_path: Path
) -> None:
    env_dir, source = editable
    probe = probe_editable(env_dir, tmp_path)
    assert probe["package"] == str(source / "jivo_widget" / "__init__.py")
    # The templates are the source tree's top-level ones, not a copy made at install time.
    assert probe["templates"] == [str(source / "templates")]
    assert probe["files"] == [
        str(source / "jivo_widget" / name)
        for name in (
            "assets/glue.min.js",
            "testing/mock_widget.js",
            "webhooks/samples",
            "demo/pages",
        )
    ]
    assert probe["mock"] is True
    assert "chat_accepted" in probe["samples"]
    local = Widget(widget_id="AbCdEf1234", strategy="onload", handlers={"jivo_onOpen": "x()"})
    assert probe["html"] == str(
        local.render(user_token="u-42", contact={"name": "Ann"}, nonce="n0nce")
    )


def test_an_editable_install_sees_an_edited_template_at_once(
    editable: tuple[Path, Path], tmp_path: Path
) -> None:
    env_dir, source = editable
    template = source / "templates" / "jivo_widget" / "glue.html.j2"
    original = template.read_text("utf-8")
    template.write_text(original.replace("<script{{", "<!-- edited --><script{{", 1), "utf-8")
    try:
        probe = probe_editable(env_dir, tmp_path)
    finally:
        template.write_text(original, "utf-8")
    assert probe["html"].startswith("<!-- edited --><script")


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
    wheel: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    page: Page,
    serving: Any,
) -> None:
    # What the README tells a pip user: pip install 'jivo-widget[server]'; jivo-widget demo.
    env_dir = fresh_venv(tmp_path_factory.mktemp("server"), f"{wheel}[server]")
    # Run in tmp_path, not the repository: no examples/ there.
    with serving([str(env_dir / "bin" / "jivo-widget"), "demo"], tmp_path) as url:
        # The page, the mocked loader and the glue, in Chromium (no jivo_mock: the demo
        # serves its own mock).
        page.goto(url)
        page.wait_for_function("() => window.__jivoMock && window.__jivoMock.loaded")
        calls = page.evaluate("() => __jivoMock.calls.map((c) => c.name)")
        assert "setUserToken" in calls
        assert page.evaluate("() => __jivoMock.violations") == []
        assert httpx.get(f"{url}/events").status_code == 200
        # Its Python callbacks need the callbacks extra: the page runs without them and says so.
        assert "pip install 'jivo-widget[callbacks]'" in page.inner_text(
            "#python-callbacks-missing"
        )
    assert (tmp_path / "jivo-demo-events.db").exists()  # the default store, in the cwd


def test_the_core_install_checks_callbacks_and_says_what_compiling_needs(
    installed: Path, tmp_path: Path
) -> None:
    # Transcrypt (and the mypy it pulls in) is the `callbacks` extra, not the core install.
    (tmp_path / "cb.py").write_text(
        "from jivo_widget.browser import jivo_api\n\ndef jivo_onOpen():\n    jivo_api.close()\n"
    )
    script = str(installed / "bin" / "jivo-widget")
    checked = subprocess.run(
        [script, "check", "cb.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    compiled = subprocess.run(
        [script, "compile", "cb.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert compiled.returncode == 1
    assert compiled.stderr.strip() == (
        "Error: compiling Python callbacks needs Transcrypt 3.9.5, which is not installed: "
        "pip install 'jivo-widget[callbacks]'"
    )
    helpers = list(installed.glob("lib/python*/site-packages/jivo_widget/transpile/helpers.js"))
    assert len(helpers) == 1
