"""``jivo-widget static-js DIR --config CONFIG``: the real console script, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jivo_widget import Widget

SCRIPT = Path(sys.executable).parent / "jivo-widget"
CONFIG = 'widget_id = "AbCdEf1234"\nstatic_url = "/static/jivo/"\nstrategy = "interaction"\n'


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "static-js", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_writes_the_content_named_file_and_prints_its_path(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text(CONFIG)
    result = run("public/jivo", "--config", "jivo.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    script = Widget.from_file(tmp_path / "jivo.toml").static_script
    assert script is not None
    assert result.stdout == f"public/jivo/{script.name}\n"
    assert (tmp_path / "public" / "jivo" / script.name).read_text("utf-8") == script.text


def test_a_config_without_static_url_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text('widget_id = "AbCdEf1234"\n')
    result = run("out", "--config", "jivo.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "static_url is not set" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_config_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text(CONFIG + "[facade]\nposition = 'top'\n")
    result = run("out", "--config", "jivo.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: facade.position:")
    assert "Traceback" not in result.stderr
