"""``jivo-widget render``: the real console script, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jivo_widget import Widget

SCRIPT = Path(sys.executable).parent / "jivo-widget"
CONFIG = 'widget_id = "AbCdEf1234"\ncolor = "#112233"\n[invitation]\ntext = "Hi"\ndelay = 5\n'
CONTEXT = {
    "user_token": "u-42",
    "contact": {"name": "O'Brien"},
    "custom_data": [{"title": "Plan", "content": "</script>", "link": "https://crm.test/42"}],
    "nonce": "n0nce",
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "render", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "jivo.toml").write_text(CONFIG)
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    return tmp_path


def test_prints_the_snippet(files: Path) -> None:
    result = run("jivo.toml", "--context", "context.json", cwd=files)
    assert result.returncode == 0, result.stderr
    expected = Widget.from_file(files / "jivo.toml").render(**CONTEXT)  # type: ignore[arg-type]
    assert result.stdout == f"{expected}\n"
    assert result.stderr == ""


def test_writes_the_snippet_to_a_file(files: Path) -> None:
    result = run("jivo.toml", "-o", "out.html", cwd=files)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (files / "out.html").read_text() == f"{Widget.from_file(files / 'jivo.toml').render()}\n"


@pytest.mark.parametrize(
    ("config", "context", "message"),
    [
        ('widget_id = "no way"\n', None, "Error: widget_id: must be 4-32 letters"),
        ("widget_id = \n", None, "Error: jivo.toml: invalid TOML"),
        (None, None, "Error: jivo.toml: cannot read config"),
        (
            CONFIG + '[handlers]\njivo_onFoo = "x()"\n',
            None,
            "Error: handlers: unknown callback 'jivo_onFoo'; valid names: jivo_onLoadCallback",
        ),
        (CONFIG, "{", "Error: context.json: invalid JSON"),
        (CONFIG, "[1]", "Error: context.json: the context must be a JSON object"),
        (CONFIG, '{"usertoken": "u"}', "Error: context.json: unknown context key 'usertoken'"),
        (
            CONFIG,
            json.dumps({"custom_data": [{"content": str(i)} for i in range(11)]}),
            "Error: custom_data[10]: at most 10 fields allowed (setCustomData limit)",
        ),
    ],
    ids=[
        "bad-id",
        "bad-toml",
        "no-config",
        "unknown-callback",
        "bad-json",
        "context-not-object",
        "unknown-context-key",
        "too-many-fields",
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, config: str | None, context: str | None, message: str
) -> None:
    if config is not None:
        (tmp_path / "jivo.toml").write_text(config)
    args = ["jivo.toml"]
    if context is not None:
        (tmp_path / "context.json").write_text(context)
        args += ["--context", "context.json"]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_unusual_widget_id_length_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text('widget_id = "Et2u4i"\n')
    result = run("jivo.toml", cwd=tmp_path)
    assert result.returncode == 0
    assert (
        result.stderr
        == "Warning: widget_id 'Et2u4i' is 6 characters long; every real Jivo id seen is 10\n"
    )
    assert "/widget/Et2u4i" in result.stdout


def test_nan_in_the_context_exits_2_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "jivo.toml").write_text('widget_id = "AbCdEf1234"\n')
    (tmp_path / "context.json").write_text('{"client_attributes": {"a": NaN}}')
    result = run("jivo.toml", "--context", "context.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: client_attributes.a: must be a string or a finite number, got float"
    )
