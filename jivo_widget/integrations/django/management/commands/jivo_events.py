"""``manage.py jivo_events list|show|replay|purge|migrate``: ``jivo-widget events`` on this
project's store.

The same commands, options and output as ``jivo-widget events`` (they run its code), with two
defaults taken from the settings: ``--store`` is ``JIVO_WEBHOOK_STORE`` (else ``django``: this
project's default database) and ``replay``'s ``--app`` is ``JIVO_WEBHOOK_APP``. Either given on
the command line wins. ``manage.py jivo_events list --help`` shows a command's options.
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

import click
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jivo_widget.cli._group import exit_status
from jivo_widget.cli.events import events
from jivo_widget.errors import JivoError
from jivo_widget.integrations.django import webhook_settings

__all__ = ["Command"]

#: The subcommands that take ``--store``.
_STORE_COMMANDS = frozenset({"list", "show", "replay", "purge", "migrate"})


def with_defaults(arguments: list[str]) -> list[str]:
    """``arguments`` with ``--store`` (and ``replay``'s ``--app``) from the settings, placed
    after the subcommand, unless given."""
    if not arguments or arguments[0].startswith("-") or arguments[0] not in _STORE_COMMANDS:
        return arguments
    command, rest = arguments[0], arguments[1:]
    added: list[str] = []
    if not any(arg == "--store" or arg.startswith("--store=") for arg in rest):
        added += ["--store", webhook_settings.store_url() or "django"]
    if command == "replay" and not any(arg == "--app" or arg.startswith("--app=") for arg in rest):
        reference = webhook_settings.app_reference()
        if reference is not None:
            added += ["--app", reference]
    return [command, *added, *rest]


class Command(BaseCommand):  # type: ignore[misc]  # Django ships no types
    """``jivo-widget events`` with this project's store (see the module docstring)."""

    help = (
        "List, show, replay and purge stored Jivo webhook events (jivo-widget events, with "
        "--store and --app from JIVO_WEBHOOK_STORE and JIVO_WEBHOOK_APP)."
    )
    # A broken widget config must not stop a purge.
    requires_system_checks: ClassVar[list[str]] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """Everything after the command name goes to ``jivo-widget events``."""
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="e.g. list --json")

    def run_from_argv(self, argv: list[str]) -> None:
        """From ``manage.py``: the arguments go to ``jivo-widget events`` untouched (Django's
        own option parser would take ``--help`` or ``-v`` of a subcommand for its own).
        ``manage.py`` has already set up the settings (``--settings``, ``--pythonpath``)."""
        try:
            self.run(argv[2:])
        except CommandError as exc:
            self.stderr.write(f"Error: {exc}")
            raise SystemExit(exc.returncode) from None

    def handle(self, *args: Any, **options: Any) -> None:
        """From ``call_command("jivo_events", "list", ...)``."""
        self.run(list(options["arguments"]))

    def run(self, arguments: list[str]) -> None:
        """Run ``jivo-widget events ARGUMENTS``; its errors as :class:`CommandError`."""
        try:
            status = events.main(
                args=with_defaults(arguments),
                prog_name="manage.py jivo_events",
                standalone_mode=False,
            )
        except click.exceptions.Abort:
            raise CommandError("Aborted.", returncode=1) from None
        except click.ClickException as exc:
            raise CommandError(exc.format_message(), returncode=exc.exit_code) from None
        except JivoError as exc:
            raise CommandError(str(exc), returncode=exit_status(exc)) from None
        if isinstance(status, int) and status != 0:
            raise SystemExit(status)
