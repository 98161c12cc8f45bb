"""The Django integration's suite (tests/integrations/django_suite), run with pytest-django under
the Django of this virtualenv (5.2 on Python 3.11) and under Django 6 (`make venv-django6`,
Python 3.12+): each in a subprocess, since Django's settings are once per process."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).resolve().parent / "django_suite"
DJANGO6_PYTHON = ROOT / ".venv-django6" / "bin" / "python"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def run_suite(python: Path | str, tmp_path: Path, *args: str) -> dict[str, str]:
    """Run the suite; returns each test's outcome by name (passed, failed, error, skipped)."""
    report = tmp_path / "report.xml"
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-c",
            str(SUITE / "pytest.ini"),
            str(SUITE),
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={report}",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.attrib["name"]] = kinds[0] if kinds else "passed"
    return outcomes


def test_suite_under_this_django(tmp_path: Path) -> None:
    import django

    assert django.VERSION[:2] >= (5, 2)
    outcomes = run_suite(sys.executable, tmp_path, "-m", "not django6")
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert len(outcomes) >= 45


def test_suite_under_django_6(tmp_path: Path) -> None:
    assert DJANGO6_PYTHON.exists(), "no Django 6 virtualenv: run `make venv-django6`"
    version = subprocess.run(
        [str(DJANGO6_PYTHON), "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(version.split(".")[0]) >= 6, version
    outcomes = run_suite(DJANGO6_PYTHON, tmp_path)
    assert set(outcomes.values()) == {"passed"}, outcomes
    # Django 6's built-in CSP was really exercised, not skipped
    assert sum(name.startswith("test_django6_") for name in outcomes) == 3
