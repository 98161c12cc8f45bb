"""The JavaScript shipped into pages is the pinned minifier's output of the readable sources.

``jivo_widget/assets/**/*.min.js`` are committed build outputs of ``js/src/**/*.js``
(``make js``). Here the build runs again from scratch — ``npm ci`` from the lockfile in a
fresh directory, then ``js/build.mjs`` — and every shipped byte must match: an asset edited by
hand, or a source changed without rebuilding, fails.
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
    sources = sorted(str(p.relative_to(JS / "src")) for p in (JS / "src").rglob("*.js"))
    assert sources == [
        "callbacks.js",
        "glue.js",
        "strategies/eager.js",
        "strategies/onload.js",
    ]
    boot = Widget(widget_id="AbCdEf1234", strategy="onload").renderer.bootstrap
    assert boot.startswith(f"({asset('glue.min.js')})(window,document,")
    assert boot.endswith(f",{asset('strategies/onload.min.js')})")


def test_the_pinned_minifier_is_exact() -> None:
    # `npm ci` installs exactly the lockfile; the manifest pins an exact version too, so a
    # regenerated lockfile cannot move to another terser by accident.
    manifest = (JS / "package.json").read_text()
    assert '"terser": "5.51.2"' in manifest
    assert (
        '"node_modules/terser": {\n      "version": "5.51.2"'
        in (JS / "package-lock.json").read_text()
    )
