"""What the package advertises exists: the extras, the README's list of them, `--help`.

Every extra installs something that works (the `celery` extra: tests/webhooks/test_celery.py
runs it against a real broker), and nothing promises what does not exist.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from click.testing import CliRunner

from jivo_widget.cli import cli
from jivo_widget.cli._group import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


def extras() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return set(project["optional-dependencies"])


def test_extras_are_only_for_what_works() -> None:
    assert extras() == {
        "testing",
        "testing-async",
        "server",
        "starlette",
        "fastapi",
        "flask",
        "django",
        "postgres",
        "callbacks",
        "bench",
        "metrics",
        "celery",
        "dev",
    }


def test_readme_lists_exactly_the_extras() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    match = re.search(r"^Extras: (.*)$", readme, re.M)
    assert match, "README.md lacks its 'Extras:' line"
    assert set(re.findall(r"`([a-z-]+)`", match.group(1))) == extras()
    assert "jivo-widget[transcrypt]" not in readme


def test_help_advertises_only_existing_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    summary = result.output.split("Options:")[0]
    assert "Render JivoChat glue, receive Jivo webhooks, and run the demo site." in summary
    listed = set(re.findall(r"^  ([\w-]+)  ", result.output.split("Commands:")[1], re.M))
    assert listed == set(COMMANDS)
