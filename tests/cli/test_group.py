"""The command group: commands load lazily, and errors map to exit statuses by their class."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jivo_widget import errors
from jivo_widget.cli._group import COMMANDS, EXIT_STATUS, exit_status

if TYPE_CHECKING:
    from conftest import JivoCli


ERROR_CLASSES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.JivoError)
]


def test_every_error_class_has_its_exit_status_decided() -> None:
    # A new error class must be placed, by itself or by a base more specific than JivoError:
    # bad input (2) or a failure at run time (1).
    for cls in ERROR_CLASSES:
        deciding = next(base for base in cls.__mro__ if base in EXIT_STATUS)
        assert deciding is not errors.JivoError or cls is errors.JivoError, cls


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_config_errors_exit_2_and_the_others_1(cls: type[errors.JivoError]) -> None:
    expected = 2 if issubclass(cls, errors.JivoConfigError) else 1
    # The class alone decides (some constructors take structured arguments, not a message).
    assert exit_status(cls.__new__(cls)) == expected


def test_exit_status_is_by_class_not_by_stdlib_base() -> None:
    # A runtime error that is also a ValueError is still a runtime failure.
    class StrangeStoreError(errors.StoreUnavailable, ValueError):
        pass

    assert exit_status(StrangeStoreError("x")) == 1
    assert exit_status(errors.OverrideError("x")) == 2


def test_rendering_loads_no_webhook_module() -> None:
    # Each command is imported only when it runs: `render` never pays for the receiver.
    code = (
        "import sys; from jivo_widget.cli._group import cli; "
        "cli.get_command(None, 'render'); "
        "print(sorted(m for m in sys.modules if m.startswith('jivo_widget.webhooks')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_command_module_defines_its_command() -> None:
    import click

    from jivo_widget.cli._group import cli

    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert isinstance(command, click.Command) and command.name == name


def test_help_lists_the_webhook_commands(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "trigger", "events"):
        assert command in result.stdout
    events = jivo_cli.run("events", "--help", cwd=tmp_path)
    for command in ("list", "show", "replay", "purge"):
        assert command in events.stdout
