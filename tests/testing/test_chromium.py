"""Finding a Chromium: precedence, the report header, and ``python -m ...chromium``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jivo_widget.testing.chromium import (
    ChromiumNotUsable,
    chromium_version,
    find_chromium,
    system_chromium,
)

SYSTEM = system_chromium()
pytestmark = pytest.mark.skipif(SYSTEM is None, reason="needs a system Chromium (make chromium)")


def other_name_for_system() -> str:
    """The same browser under another usable path, to tell the sources apart."""
    assert SYSTEM is not None
    real = os.path.realpath(SYSTEM)
    if real != SYSTEM and chromium_version(real):
        return real
    return SYSTEM


def fake_playwright_download(root: Path) -> Path:
    """A browsers dir where Playwright's headless shell looks installed."""
    import json

    import playwright

    manifest = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    browsers = json.loads(manifest.read_text("utf-8"))["browsers"]
    revision = next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")
    directory = root / f"chromium_headless_shell-{revision}"
    directory.mkdir(parents=True)
    (directory / "INSTALLATION_COMPLETE").write_text("")
    return directory


def test_precedence_option_ini_env_playwright_system(tmp_path: Path) -> None:
    assert SYSTEM is not None
    alt = other_name_for_system()
    bad = str(tmp_path / "no-such-chromium")
    empty = {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none")}
    env = {**empty, "JIVO_CHROMIUM": bad}
    choice = find_chromium(option=alt, ini=bad, environ=env)
    assert (choice and choice.source, choice and choice.path) == ("option", alt)
    choice = find_chromium(ini=alt, environ=env)
    assert (choice and choice.source, choice and choice.path) == ("ini", alt)
    choice = find_chromium(environ={**empty, "JIVO_CHROMIUM": alt})
    assert (choice and choice.source, choice and choice.path) == ("env", alt)
    download = fake_playwright_download(tmp_path / "pw")
    choice = find_chromium(environ={"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")})
    assert choice is not None
    assert (choice.source, choice.path, choice.location) == ("playwright", None, str(download))
    choice = find_chromium(environ=empty)
    assert (choice and choice.source, choice and choice.path) == ("system", SYSTEM)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"option": "/no/such/chromium"}, "--jivo-chromium"),
        ({"ini": "/no/such/chromium"}, "the jivo_chromium ini key"),
        ({"environ": {"JIVO_CHROMIUM": "/no/such/chromium"}}, "$JIVO_CHROMIUM"),
        ({"option": "/etc/hostname"}, "--jivo-chromium"),  # exists, is no browser
    ],
)
def test_explicit_but_unusable_path_is_an_error_not_a_fallback(
    kwargs: dict[str, object], named: str
) -> None:
    with pytest.raises(ChromiumNotUsable, match=f"from {named.replace('$', '[$]')} is not usable"):
        find_chromium(**kwargs)  # type: ignore[arg-type]


def test_report_header_names_the_chromium_and_playwright(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    alt = other_name_for_system()
    pytester.makepyfile("def test_nothing(): pass")
    pytester.makeini(f"[pytest]\njivo_chromium = {alt}\n")
    monkeypatch.setenv("JIVO_CHROMIUM", "/no/such/chromium")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co")
    version = chromium_version(alt)
    result.stdout.fnmatch_lines(
        [f"jivo-widget: Chromium {alt} ({version}, from the jivo_chromium ini key); Playwright 1.*"]
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co", "--jivo-chromium=/x/y")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*Chromium from --jivo-chromium is not usable: '/x/y' does not*"])


def test_report_header_for_playwright_download(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    download = fake_playwright_download(tmp_path / "pw")
    pytester.makepyfile("def test_nothing(): pass")
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "pw"))
    monkeypatch.delenv("JIVO_CHROMIUM", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co")
    result.stdout.fnmatch_lines(
        [f"jivo-widget: Chromium {download} (Playwright's build, from Playwright's download)*"]
    )


def run_module(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jivo_widget.testing.chromium", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
        timeout=60,
    )


def test_module_print_and_ensure(tmp_path: Path) -> None:
    empty = {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path), "JIVO_CHROMIUM": ""}
    printed = run_module("--print", env=empty)
    assert (printed.returncode, printed.stdout) == (0, f"{SYSTEM}\n")
    ensured = run_module("--ensure", env=empty)
    assert ensured.returncode == 0
    assert ensured.stdout.startswith(f"Chromium: {SYSTEM} (")
    bad = run_module("--ensure", env={**empty, "JIVO_CHROMIUM": "/no/such/chromium"})
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "Chromium from $JIVO_CHROMIUM is not usable: '/no/such/chromium' does not exist or "
        "does not run (`<path> --version` failed)"
    )
    usage = run_module(env=empty)
    assert usage.returncode == 2
    assert "one of the arguments --ensure --print is required" in usage.stderr
