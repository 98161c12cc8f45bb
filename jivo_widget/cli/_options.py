"""The options the webhook commands (``serve``, ``trigger``, ``events``) share, and what they load.

An option's value is read here, once: ``--store`` (a store URL; the ``events`` commands open
only a store that exists), ``--app`` (the user's :class:`~jivo_widget.webhooks.WebhookApp`,
imported from the current directory and never changed: a command that needs other settings
takes a copy with :meth:`~jivo_widget.webhooks.WebhookApp.configured`), ages such as ``30d``.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.webhooks.app import WebhookApp
from jivo_widget.webhooks.store import DEFAULT_STORE_URL, EventStatus, EventStore, open_store

__all__ = [
    "APP_ENV",
    "SECRET_ENV",
    "STATUSES",
    "STORE_ENV",
    "app_option",
    "given",
    "load_webhook_app",
    "open_existing_store",
    "parse_age",
    "require_existing_store",
    "store_option",
]

STORE_ENV = "JIVO_WEBHOOK_STORE"
SECRET_ENV = "JIVO_WEBHOOK_SECRET"
APP_ENV = "JIVO_WEBHOOK_APP"
#: The values ``--status`` takes.
STATUSES = tuple(status.value for status in EventStatus)
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """``--store URL`` (env ``JIVO_WEBHOOK_STORE``), as ``store_url``."""
    return click.option(
        "--store",
        "store_url",
        envvar=STORE_ENV,
        default=DEFAULT_STORE_URL,
        show_default=True,
        help="Event store URL: sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB, or django "
        f"(a Django project's database, given DJANGO_SETTINGS_MODULE); env {STORE_ENV}.",
    )(func)


def app_option(func: F) -> F:
    """``--app MODULE:ATTR`` (env ``JIVO_WEBHOOK_APP``), as ``app_ref``."""
    return click.option(
        "--app",
        "app_ref",
        envvar=APP_ENV,
        metavar="MODULE:ATTR",
        help=f"Your WebhookApp, importable from the current directory; env {APP_ENV}.",
    )(func)


def given(ctx: click.Context, name: str) -> bool:
    """Whether the user set this option (command line or environment), not its default."""
    source = ctx.get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def load_webhook_app(ref: str) -> WebhookApp:
    """Import ``module:attr`` (``attr`` may be dotted) from the current directory.

    Raises :class:`BadInput` when the reference is malformed, the module or attribute is missing,
    or the object is not a :class:`~jivo_widget.webhooks.WebhookApp`; :class:`RuntimeFailure`
    when importing the user's module fails.
    """
    module_name, sep, attr_path = ref.partition(":")
    if not sep or not module_name or not attr_path:
        raise BadInput(f"--app {ref!r} must look like module:attr (e.g. myapp.hooks:hooks)")
    # Like uvicorn: the user's modules live in the directory the command runs from.
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise BadInput(f"--app {ref!r}: no module named {exc.name!r}") from exc
        raise RuntimeFailure(f"--app {ref!r}: importing {module_name} failed: {exc}") from exc
    except Exception as exc:
        # The user's module itself is broken: a runtime failure in their code, not bad usage.
        raise RuntimeFailure(
            f"--app {ref!r}: importing {module_name} raised {type(exc).__name__}: {exc}"
        ) from exc
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise BadInput(f"--app {ref!r}: {module_name} has no attribute {attr_path!r}") from exc
    if not isinstance(target, WebhookApp):
        raise BadInput(f"--app {ref!r} is a {type(target).__name__}, not a WebhookApp")
    return target


def parse_age(text: str, option: str = "--older-than") -> timedelta:
    """Read ``30d`` / ``12h`` / ``90m`` / ``45s`` as a :class:`~datetime.timedelta`."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match:
        raise BadInput(f"{option} {text!r} must be a number and a unit s/m/h/d, e.g. 30d")
    return timedelta(**{_AGE_UNITS[match.group(2)]: int(match.group(1))})


def require_existing_store(url: str) -> None:
    """Refuse a store URL whose SQLite file does not exist (an ``events`` command must never
    create an empty store because of a typo)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise BadInput(
                f"no event store at {path} (pass --store URL or set {STORE_ENV}; "
                "`jivo-widget serve` creates it)"
            )


def open_existing_store(url: str, *, read_only: bool = False) -> EventStore:
    """Open an existing store for the ``events`` commands (never create an empty one by typo).

    ``read_only``: for the commands that only read (list, show): they then work on a store
    they cannot write, and never wait for or take the write lock of a live receiver. A bad URL
    raises :class:`~jivo_widget.errors.JivoConfigError` (exit 2), a store that cannot be
    opened :class:`~jivo_widget.errors.StoreUnavailable` (exit 1).
    """
    require_existing_store(url)
    return open_store(url, read_only=read_only)
