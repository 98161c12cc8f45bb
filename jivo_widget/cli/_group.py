"""The ``jivo-widget`` command group, and how errors become exit statuses.

Each command lives in its own module and is loaded when it runs (or when ``--help`` lists it):
``jivo-widget render`` never imports the webhook receiver or uvicorn. The group names each
command's module here, so that no command module imports the group, and the group imports no
command module.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

import click

from jivo_widget import __version__
from jivo_widget.errors import (
    ChromiumNotUsable,
    DeliveryError,
    HandlerFailed,
    JivoConfigError,
    JivoError,
    StoreUnavailable,
    TranscryptFailed,
    TranscryptMissing,
)

__all__ = ["COMMANDS", "EXIT_STATUS", "cli", "exit_status", "main"]

#: Every command: its name and where it lives (``module:attribute``).
COMMANDS: Mapping[str, str] = {
    "check": "jivo_widget.cli.compile:check",
    "compile": "jivo_widget.cli.compile:compile_",
    "demo": "jivo_widget.cli.demo:demo",
    "events": "jivo_widget.cli.events:events",
    "render": "jivo_widget.cli.render:render",
    "serve": "jivo_widget.cli.serve:serve",
    "static-js": "jivo_widget.cli.static_js:static_js",
    "token": "jivo_widget.cli.token:token",
    "trigger": "jivo_widget.cli.trigger:trigger",
}

#: The exit status of each error class the toolkit raises (the most specific class of an
#: exception decides): 2 for bad input or usage, 1 for a failure at run time. Click's own
#: exceptions carry theirs (usage errors 2; :class:`~jivo_widget.cli._errors.BadInput` 2,
#: :class:`~jivo_widget.cli._errors.RuntimeFailure` 1).
EXIT_STATUS: Mapping[type[BaseException], int] = {
    JivoConfigError: 2,  # a config, a URL, an override the user gave breaks a rule
    StoreUnavailable: 1,  # the event store cannot be opened, read or written
    DeliveryError: 1,  # the receiver could not be reached
    ChromiumNotUsable: 1,
    HandlerFailed: 1,
    TranscryptMissing: 1,  # the callbacks extra is not installed
    TranscryptFailed: 1,  # Transcrypt itself failed on a checked module
    JivoError: 1,
}


def exit_status(exc: JivoError) -> int:
    """The exit status for ``exc``: that of the most specific class in :data:`EXIT_STATUS`."""
    for cls in type(exc).__mro__:
        if cls in EXIT_STATUS:
            return EXIT_STATUS[cls]
    return 1


class _LazyGroup(click.Group):
    """A click group that imports a command's module only when the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, sorted."""
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, imported now if it lives in :data:`COMMANDS`."""
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="jivo-widget")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Render JivoChat glue, receive Jivo webhooks, and run the demo site."""
    ctx.obj = {"debug": debug}


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: one line on stderr and the exit status for any error."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="jivo-widget", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except JivoError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exit_status(exc))
    except Exception as exc:
        if debug:
            raise
        click.echo(f"Error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
