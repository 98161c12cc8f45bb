"""``jivo-widget compile`` and ``jivo-widget check``: the real console script, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jivo_widget.transpile import jsast

SCRIPT = Path(sys.executable).parent / "jivo-widget"
BAD = (
    "from jivo_widget.browser import jivo_api\n\n"
    "def jivo_onOpen():\n    jivo_api.setCustomData({'content': 'x'})\n"
)


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issue_example: Path) -> Path:
    monkeypatch.setenv("JIVO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "jivo_callbacks.py").write_text(issue_example.read_text())
    (tmp_path / "bad.py").write_text(BAD)
    return tmp_path


def test_compile_writes_one_classic_script(files: Path) -> None:
    result = run("compile", "jivo_callbacks.py", "-o", "jivo-callbacks.js", cwd=files)
    assert result.returncode == 0, result.stderr
    script = (files / "jivo-callbacks.js").read_text()
    assert not jsast.has_syntax_error(script)
    assert '"jivo_onIntroduction":' in script and "/*" not in script  # minified
    assert "jivo-callbacks.js:" in result.stderr and "jivo_onChangeState" in result.stderr


def test_compile_prints_to_stdout_and_readable_keeps_comments(files: Path) -> None:
    minified = run("compile", "jivo_callbacks.py", cwd=files)
    readable = run("compile", "jivo_callbacks.py", "--readable", cwd=files)
    assert minified.returncode == readable.returncode == 0
    assert "/*" not in minified.stdout and "// " not in minified.stdout
    assert "Jivo calls one global per callback" in readable.stdout
    assert len(minified.stdout) < len(readable.stdout)


def test_check_only_checks(files: Path) -> None:
    result = run("check", "jivo_callbacks.py", cwd=files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "jivo_callbacks.py: ok; handles jivo_onIntroduction (1), jivo_onChangeState (1), "
        "jivo_onLoadCallback (1)"
    )


@pytest.mark.parametrize("command", ["compile", "check"])
def test_a_refused_construct_exits_2_at_the_users_line(files: Path, command: str) -> None:
    result = run(command, "bad.py", cwd=files)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "Error: bad.py:4:28: jivo_api.setCustomData: fields must be array"
    ), result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_file_exits_2(files: Path) -> None:
    result = run("check", "missing.py", cwd=files)
    assert result.returncode == 2
    assert "missing.py: cannot read" in result.stderr


def test_without_transcrypt_compile_says_what_to_install(files: Path) -> None:
    hide = (
        "import importlib.util as u, sys\n"
        "real = u.find_spec\n"
        "u.find_spec = lambda n, *a, **k: (\n"
        "    None if n.split('.')[0] == 'transcrypt' else real(n, *a, **k))\n"
        "from jivo_widget.cli import main\n"
        "main(['compile', 'jivo_callbacks.py', '--no-cache'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide], cwd=files, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: compiling Python callbacks needs Transcrypt 3.9.5, which is not installed: "
        "pip install 'jivo-widget[callbacks]'"
    )


def test_a_transcrypt_crash_exits_1_with_its_output(files: Path) -> None:
    # A stand-in `transcrypt` package first on the path: it crashes like a broken install.
    fake = files / "fake" / "transcrypt"
    fake.mkdir(parents=True)
    (fake / "__main__.py").write_text(
        "import sys\nprint('Error while compiling (offending file last):')\n"
        "print('  File crashed on purpose, line 1')\nsys.exit(5)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(files / "fake")}
    result = run("compile", "jivo_callbacks.py", "--no-cache", cwd=files, env=env)
    assert result.returncode == 1, result.stderr
    assert "Transcrypt failed (exit status 5)" in result.stderr
    assert "crashed on purpose" in result.stderr
