"""The command line's own two errors; click prints them as one line and exits with their status.

Errors of the toolkit (:mod:`jivo_widget.errors`) that reach the command line get their exit
status from their class instead (:data:`jivo_widget.cli._group.EXIT_STATUS`).
"""

from __future__ import annotations

import click

__all__ = ["BadInput", "RuntimeFailure"]


class BadInput(click.ClickException):
    """Bad input from the user (a file, a config, a value): exit status 2."""

    exit_code = 2


class RuntimeFailure(click.ClickException):
    """Something outside the user's input failed (unreachable server, non-2xx answer): exit 1."""

    exit_code = 1
