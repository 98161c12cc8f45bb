"""The built wheel carries the templates: install it in a fresh venv and render from there.

An editable install finds the templates in the source tree; only a real (non-editable) install
proves that ``templates/`` ships inside the wheel (design.md §3, packaging note).
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

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
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no access to the source tree) with the freshly built wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(base / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (base / "dist").glob("jivo_widget-*.whl")
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
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env_dir


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
