"""The ``jivo-widget`` command line.

Exit codes (design.md §4): 0 ok, 1 runtime failure, 2 bad usage or input. Errors are one line on
stderr; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from jivo_widget import __version__
from jivo_widget.errors import JivoError

__all__ = ["BadInput", "main"]


class BadInput(click.ClickException):
    """Bad input from the user (a file, a config, a value): exit status 2."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, prog_name="jivo-widget")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Render JivoChat glue, receive Jivo webhooks, and run the demo site."""
    ctx.obj = {"debug": debug}


def _register_commands() -> None:
    # Each command lives in its own module; importing registers it on ``cli``.
    from jivo_widget.cli import compile, demo, render, static_js, token, webhooks  # noqa: F401


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    _register_commands()
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
        sys.exit(2 if isinstance(exc, ValueError) else 1)
    except Exception as exc:
        if debug:
            raise
        click.echo(f"Error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
