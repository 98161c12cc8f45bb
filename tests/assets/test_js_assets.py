"""The JavaScript and CSS shipped into pages are the pinned minifiers' output of the sources.

``jivo_widget/assets/**/*.min.js`` and ``*.min.css`` are committed build outputs of
``js/src/**/*.js`` and ``*.css`` (``make js``). Here the build runs again from scratch — ``npm
ci`` from the lockfile in a fresh directory, then ``js/build.mjs`` — and every shipped byte must
match: an asset edited by hand, or a source changed without rebuilding, fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from jivo_widget import Widget, _resources
from jivo_widget.render import asset

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "js"


def _run(command: list[str], cwd: Path) -> None:
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} not found: Node.js 18+ with npm is needed to build the JS")
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build of the assets, with only the lockfile's packages."""
    work = tmp_path_factory.mktemp("js")
    for name in ("package.json", "package-lock.json", "build.mjs"):
        shutil.copy(JS / name, work / name)
    shutil.copytree(JS / "src", work / "src")
    _run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], work)
    _run(["node", "build.mjs", str(work / "out")], work)
    return work / "out"


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_shipped_assets_are_the_pinned_minifier_output_of_the_sources(rebuilt: Path) -> None:
    built, shipped = _files(rebuilt), _files(_resources.path("assets"))
    assert sorted(built) == sorted(shipped), "run `make js` and commit jivo_widget/assets/"
    for name, content in built.items():
        assert shipped[name] == content, f"{name} differs from its source: run `make js`"


def test_every_source_has_its_asset_and_the_glue_is_made_of_them() -> None:
    sources = sorted(str(p.relative_to(JS / "src")) for p in (JS / "src").rglob("*.*"))
    assert sources == [
        "callbacks.js",
        "facade.css",
        "facade.js",
        "glue.js",
        "strategies/click.js",
        "strategies/consent.js",
        "strategies/eager.js",
        "strategies/idle.js",
        "strategies/interaction.js",
        "strategies/manual.js",
        "strategies/onload.js",
        "strategies/visible.js",
    ]
    boot = Widget(widget_id="AbCdEf1234", strategy="onload").renderer.bootstrap
    assert boot.startswith(f"({asset('glue.min.js')})(window,document,")
    assert boot.endswith(f",{asset('strategies/onload.min.js')})")


@pytest.mark.parametrize(
    ("package", "version"),
    [("terser", "5.51.2"), ("lightningcss", "1.33.0"), ("axe-core", "4.14.1")],
)
def test_the_pinned_js_tools_are_exact(package: str, version: str) -> None:
    # `npm ci` installs exactly the lockfile; the manifest pins an exact version too, so a
    # regenerated lockfile cannot move to another minifier (or axe-core) by accident.
    manifest = (JS / "package.json").read_text()
    assert f'"{package}": "{version}"' in manifest
    assert (
        f'"node_modules/{package}": {{\n      "version": "{version}"'
        in (JS / "package-lock.json").read_text()
    )
