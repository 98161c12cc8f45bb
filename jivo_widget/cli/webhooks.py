"""``jivo-widget serve``, ``trigger`` and ``events``: run, exercise and inspect the receiver.

The receiver core (:mod:`jivo_widget.webhooks`) and uvicorn are imported inside the commands, so
``jivo-widget render`` never pays for them and ``trigger`` works without the ``server`` extra.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import re
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from jivo_widget.cli import BadInput, cli

if TYPE_CHECKING:
    from jivo_widget.webhooks import WebhookApp
    from jivo_widget.webhooks.receiver import Receiver
    from jivo_widget.webhooks.store import EventStore, StoredEvent

__all__ = ["events", "load_webhook_app", "parse_age", "serve", "terminal_safe", "trigger"]

DEFAULT_STORE = "sqlite:///jivo-events.db"
STORE_ENV = "JIVO_WEBHOOK_STORE"
SECRET_ENV = "JIVO_WEBHOOK_SECRET"
APP_ENV = "JIVO_WEBHOOK_APP"
STATUSES = ("received", "processed", "failed", "invalid", "malformed")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

F = TypeVar("F", bound=Callable[..., Any])


#: What a terminal acts on instead of showing, so payload text must never reach it raw: the C0
#: controls but tab and newline (ESC starts CSI/OSC sequences: clear screen, window title, OSC 52
#: clipboard writes), DEL, the C1 controls (U+009B is a one-character CSI on many terminals),
#: the line and paragraph separators, and the bidi controls that reorder what follows them.
_TERMINAL_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _python_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_safe(text: str, *, json: bool = False) -> str:
    """``text`` with every character a terminal would act on shown as an escape.

    Everything the CLI prints that came from a payload (event names, bodies, handler errors,
    which quote visitor-typed text) goes through here. Plain text gets Python-style escapes
    (``\\x1b``, ``\\u202e``); ``json=True`` is for a JSON document, where the same characters
    become JSON escapes (``\\u001b``), so the output stays valid JSON meaning the same text.
    Tabs and newlines are kept.
    """
    return _TERMINAL_CONTROLS.sub(_json_escape if json else _python_escape, text)


def _echo_json(value: Any, *, indent: int | None = None) -> None:
    click.echo(terminal_safe(json.dumps(value, ensure_ascii=False, indent=indent), json=True))


class _TerminalLogFormatter(logging.Formatter):
    """Log lines in uvicorn's look (``ERROR:    message``), escaped for the terminal: a
    handler's traceback quotes whatever the visitor typed."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)  # the message, and the traceback if there is one
        return terminal_safe(f"{record.levelname}:{' ' * (8 - len(record.levelname))} {text}")


def _log_to_terminal() -> None:
    """Show the receiver's log (warnings and errors, handler tracebacks) on stderr, escaped.

    Left alone when the user's app configured logging itself (a handler on the root or on
    ``jivo_widget``): their handlers then get the records.
    """
    package = logging.getLogger("jivo_widget")
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(_TerminalLogFormatter())
    package.addHandler(handler)


class RuntimeFailure(click.ClickException):
    """Something outside the user's input failed (unreachable server, non-2xx answer): exit 1."""

    exit_code = 1


def _store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_url",
        envvar=STORE_ENV,
        default=DEFAULT_STORE,
        show_default=True,
        help=f"Event store URL: sqlite:///FILE (SQLite only for now); env {STORE_ENV}.",
    )(func)


def _app_option(func: F) -> F:
    return click.option(
        "--app",
        "app_ref",
        envvar=APP_ENV,
        metavar="MODULE:ATTR",
        help=f"Your WebhookApp, importable from the current directory; env {APP_ENV}.",
    )(func)


def load_webhook_app(ref: str) -> WebhookApp:
    """Import ``module:attr`` (``attr`` may be dotted) from the current directory.

    Raises :class:`BadInput` when the reference is malformed, the module or attribute is missing,
    or the object is not a :class:`~jivo_widget.webhooks.WebhookApp`.
    """
    from jivo_widget.webhooks import WebhookApp

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


def parse_age(text: str) -> timedelta:
    """Read ``30d`` / ``12h`` / ``90m`` / ``45s`` as a :class:`~datetime.timedelta`."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match:
        raise BadInput(f"--older-than {text!r} must be a number and a unit s/m/h/d, e.g. 30d")
    return timedelta(**{_AGE_UNITS[match.group(2)]: int(match.group(1))})


def _require_existing_store(url: str) -> None:
    """Refuse a store URL whose SQLite file does not exist (an ``events`` command must never
    create an empty store because of a typo)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise BadInput(
                f"no event store at {path} (pass --store URL or set {STORE_ENV}; "
                "`jivo-widget serve` creates it)"
            )


def _open_store(url: str, *, read_only: bool = False) -> EventStore:
    """Open an existing store for the ``events`` commands (never create an empty one by typo).

    ``read_only``: for the commands that only read (list, show): they then work on a store
    they cannot write, and never wait for or take the write lock of a live receiver.
    """
    from jivo_widget.webhooks.store import open_store

    _require_existing_store(url)
    try:
        return open_store(url, read_only=read_only)
    except ValueError as exc:  # JivoConfigError: the message already names the URL
        raise BadInput(str(exc)) from exc


# --------------------------------------------------------------------------------------- serve


@cli.command()
@_store_option
@click.option("--secret", envvar=SECRET_ENV, help=f"The URL secret; env {SECRET_ENV}.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@_app_option
@click.option(
    "--dedupe-window",
    "dedupe_window",
    metavar="AGE",
    help="An identical body received within AGE is a resend (first response, handlers not "
    "re-run); later it is a new event. e.g. 10m, 1h; 0 = only concurrent copies; 'forever'. "
    "[default: 10m, or the app's own]",
)
@click.option(
    "--read-timeout",
    "read_timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection whose request headers, or then body, take longer than this to "
    "arrive (slow or stalled clients).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    store_url: str,
    secret: str | None,
    host: str,
    port: int,
    app_ref: str | None,
    dedupe_window: str | None,
    read_timeout: float,
) -> None:
    """Run the webhook receiver under uvicorn: POST /jivo/webhook/{secret}, GET /healthz.

    Without --app it runs in capture-only mode: every event is stored and answered
    {"result": "ok"}. With --app your WebhookApp's handlers run; --store and --secret (given on
    the command line or in the environment) then replace the app's own.
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise RuntimeFailure(
            "serve needs the server extra: pip install 'jivo-widget[server]'"
        ) from exc
    from jivo_widget.webhooks.asgi import create_app
    from jivo_widget.webhooks.serving import read_timeout_protocol

    explicit_store = _given(ctx, "store_url")
    window = _dedupe_window(dedupe_window)
    receiver = _serving_receiver(store_url if explicit_store else None, secret, app_ref, window)
    # Open the store now (an app opens it on first use): one that cannot be opened is an error
    # at startup, not a 503 at the first delivery.
    store = receiver.store
    _log_to_terminal()
    if receiver.insecure:
        click.secho(
            f"WARNING: no webhook secret (--secret or {SECRET_ENV}): anyone who can reach this "
            "port can post events. Never expose it like this.",
            fg="red",
            bold=True,
            err=True,
        )
    mode = f"handlers from {app_ref}" if app_ref else "capture-only mode"
    shown = "<anything>" if receiver.insecure else "<secret>"
    # We bind the socket ourselves: a busy port fails with one clear line (before uvicorn
    # logs its own way), and with --port 0 the banner shows the port the system chose.
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    click.echo(
        f"Receiving Jivo webhooks at http://{host}:{bound_port}/jivo/webhook/{shown} ({mode}), "
        f"store {store.url}",
        err=True,
    )
    # No access log: the path carries the secret, and INFO logs must not hold secrets.
    config = uvicorn.Config(
        create_app(receiver),
        host=host,
        port=bound_port,
        workers=1,
        access_log=False,
        http=read_timeout_protocol(read_timeout),
    )
    server = uvicorn.Server(config)
    # Every delivery allocates many short-lived objects (JSON, pydantic models), and the cyclic
    # GC's full passes over the long-lived startup objects showed up as p99 spikes: move those
    # out of its reach and let the young generation grow before a pass.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn already shut down cleanly
    finally:
        sock.close()
    if not server.started:
        # Our contract says exit 1 for a runtime failure (uvicorn.run would exit 3).
        raise RuntimeFailure("the server did not start: see uvicorn's message above")


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` for uvicorn to listen on; a clear error if not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BadInput(f"--host {host!r}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    # Same option as uvicorn: a port in TIME_WAIT is not "in use".
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise RuntimeFailure(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the user set this option (command line or environment), not its default."""
    source = ctx.get_parameter_source(name)
    return source in (
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
    )


_KEEP_WINDOW = "keep"


def _dedupe_window(text: str | None) -> timedelta | str | None:
    """``--dedupe-window``: an age, ``0``, ``forever`` (None), or absent (``"keep"``)."""
    if text is None:
        return _KEEP_WINDOW
    if text.strip().lower() == "forever":
        return None
    if text.strip() == "0":
        return timedelta(0)
    try:
        return parse_age(text)
    except BadInput:
        raise BadInput(
            f"--dedupe-window {text!r} must be a number and a unit s/m/h/d (e.g. 10m), 0 or forever"
        ) from None


def _serving_receiver(
    store_url: str | None,
    secret: str | None,
    app_ref: str | None,
    window: timedelta | str | None = _KEEP_WINDOW,
) -> Receiver:
    """The receiver ``serve`` runs: capture-only, or the user's app with our overrides
    (``window``: the ``--dedupe-window`` given, or ``"keep"`` for the app's own)."""
    receiver = _serving_receiver_unwindowed(store_url, secret, app_ref)
    if not isinstance(window, str):
        # This process serves only this receiver, and it reads the window per delivery.
        receiver.dedupe_window = window
    return receiver


def _serving_receiver_unwindowed(
    store_url: str | None, secret: str | None, app_ref: str | None
) -> Receiver:
    import warnings

    from jivo_widget.webhooks import WebhookApp

    with warnings.catch_warnings():
        # serve prints its own, louder warning about a missing secret.
        warnings.simplefilter("ignore", UserWarning)
        if app_ref is None:
            return WebhookApp(secret=secret, store=store_url or DEFAULT_STORE).receiver
        hooks = load_webhook_app(app_ref)
    if secret is None and store_url is None:
        return hooks.receiver
    # The app's handlers and limits; the secret and/or store named here replace its own.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        store = hooks.store if store_url is None else open_store_or_fail(store_url)
        if secret is None:
            return hooks.configured(store=store).receiver
        return hooks.configured(secret=secret, store=store).receiver


def open_store_or_fail(url: str | None) -> EventStore:
    """Open (or create) the store ``serve`` writes to."""
    from jivo_widget.webhooks.store import open_store

    assert url is not None
    return open_store(url)


# ------------------------------------------------------------------------------------- trigger


@cli.command()
@click.argument("event")
@click.option(
    "--url", required=True, help="The receiver, e.g. http://127.0.0.1:8000/jivo/webhook/S"
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a field: visitor.email=a@b.c, agents.0.id=7 (JSON values parsed). The path "
    "must exist in the sample or the event's model; a typo is an error naming the nearest one.",
)
@click.option(
    "--add",
    "add",
    is_flag=True,
    help="Let --set add fields the payload and the event's model do not have.",
)
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Post this JSON object instead of the packaged sample.",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait.")
def trigger(
    event: str,
    url: str,
    overrides: Sequence[str],
    add: bool,
    file: Path | None,
    timeout: float,
) -> None:
    """Post a realistic EVENT (chat_accepted, chat_finished, …) to a receiver; print the answer."""
    from jivo_widget.webhooks.receiver import DUPLICATE_HEADER
    from jivo_widget.webhooks.simulator import (
        DeliveryError,
        OverrideError,
        build_payload,
        deliver,
    )

    try:
        payload = build_payload(event, overrides, file=file, add=add)
    except OverrideError as exc:  # may quote keys of a --file payload
        raise BadInput(terminal_safe(str(exc))) from exc
    try:
        delivery = deliver(url, payload, timeout=timeout)
    except DeliveryError as exc:
        raise RuntimeFailure(terminal_safe(str(exc))) from exc
    click.echo(f"HTTP {delivery.status}")
    if delivery.duplicate_of is not None:
        click.echo(
            f"{DUPLICATE_HEADER}: {delivery.duplicate_of} — the receiver already stored this exact "
            "body within its dedupe window, so it answered with that event's response and did "
            "not run the handlers again; change a field (--set) to send a new event",
            err=True,
        )
    click.echo(_pretty(delivery.body))
    if not delivery.ok:
        raise RuntimeFailure(f"the receiver answered {delivery.status}")


# -------------------------------------------------------------------------------------- events


@cli.group()
def events() -> None:
    """List, show, replay and purge stored webhook events."""


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _summary(event: StoredEvent) -> dict[str, Any]:
    summary = event.summary()
    summary["received_at"] = _iso(event.received_at)
    return summary


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else terminal_safe(str(value).replace("\n", " "))
    return text if len(text) <= width else text[: width - 1] + "…"


@events.command("list")
@_store_option
@click.option("--status", type=click.Choice(STATUSES), help="Only events with this status.")
@click.option("--event", "event_name", metavar="NAME", help="Only events with this event_name.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_events(
    store_url: str, status: str | None, event_name: str | None, limit: int, as_json: bool
) -> None:
    """List stored events, newest first."""
    rows = _open_store(store_url, read_only=True).list(
        status=status, event_name=event_name, limit=limit
    )
    if as_json:
        for row in rows:
            _echo_json(_summary(row))
        return
    columns = (
        ("ID", 8),
        ("RECEIVED", 25),
        ("EVENT", 24),
        ("CHAT", 12),
        ("STATUS", 9),
        ("TRIES", 5),
        ("ERROR", 40),
    )
    click.echo("  ".join(name.ljust(width) for name, width in columns).rstrip())
    for row in rows:
        summary = _summary(row)
        values = [summary[key] for key in ("id", "received_at", "event_name", "chat_id", "status")]
        values += [summary["attempts"], _first_line(summary["error"])]
        cells = (_cell(v, w).ljust(w) for v, (_, w) in zip(values, columns, strict=True))
        click.echo("  ".join(cells).rstrip())
    if not rows:
        click.echo("(no events)", err=True)


def _first_line(error: str | None) -> str:
    """The gist of a stored error (the first line; a traceback may follow it)."""
    lines = [line.strip() for line in (error or "").split("\n") if line.strip()]
    return lines[0] if lines else ""


def _pretty(raw: bytes) -> str:
    """A payload or an answer for the terminal: pretty-printed JSON when it is JSON, else the
    text (malformed deliveries); escaped either way (:func:`terminal_safe`)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        pretty = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except ValueError:
        return terminal_safe(text)
    return terminal_safe(pretty, json=True)


@events.command("show")
@click.argument("event_id", type=int)
@_store_option
def show_event(event_id: int, store_url: str) -> None:
    """Show one event: metadata, the payload and the response that was sent."""
    event = _open_store(store_url, read_only=True).get(event_id)
    if event is None:
        raise BadInput(f"no event with id {event_id} in {store_url}")
    for key, value in _summary(event).items():
        click.echo(f"{key + ':':<13}{'' if value is None else terminal_safe(str(value))}")
    click.echo("\npayload:")
    click.echo(_pretty(event.body))
    click.echo("\nresponse:")
    if event.response is None:
        click.echo("(none)")
    else:
        _echo_json(event.response, indent=2)


@events.command("replay")
@click.argument("event_ids", nargs=-1, type=int)
@click.option("--failed", is_flag=True, help="Replay every failed event.")
@click.option(
    "--stuck",
    is_flag=True,
    help="Replay events still 'received' after --older-than: their process died mid-way.",
)
@click.option(
    "--older-than",
    "older_than",
    default="5m",
    show_default=True,
    metavar="AGE",
    help="With --stuck: how long an event must have been 'received' (e.g. 5m, 1h).",
)
@_store_option
@_app_option
@click.pass_context
def replay_events(
    ctx: click.Context,
    event_ids: tuple[int, ...],
    failed: bool,
    stuck: bool,
    older_than: str,
    store_url: str,
    app_ref: str | None,
) -> None:
    """Re-run your handlers on stored events (IDs, --failed, --stuck); exit 1 if any still
    fails.

    The events are read from the app's own store, or from --store when given (command line or
    environment), as ``serve --app`` does.
    """
    import asyncio

    if not event_ids and not failed and not stuck:
        raise BadInput("name event IDs to replay, or pass --failed or --stuck")
    stuck_age = parse_age(older_than)
    if app_ref is None:
        raise BadInput(f"replay re-runs your handlers: pass --app module:attr or set {APP_ENV}")
    from jivo_widget.webhooks.receiver import ReplayResult

    hooks = load_webhook_app(app_ref)
    _log_to_terminal()
    if _given(ctx, "store_url"):
        # The app's handlers and limits over the store named here.
        store = _open_store(store_url)
        receiver = hooks.configured(store=store).receiver
    else:
        store_url = hooks.store_url
        _require_existing_store(store_url)
        receiver = hooks.receiver
        store = receiver.store
    missing = [event_id for event_id in event_ids if store.get(event_id) is None]
    if missing:
        raise BadInput(f"no event with id {', '.join(map(str, missing))} in {store_url}")

    async def run() -> list[ReplayResult]:
        results = await receiver.replay_failed() if failed else []
        if stuck:
            results += await receiver.replay_stuck(stuck_age)
        for event_id in event_ids:
            results.append(await receiver.replay(event_id))
        return results

    results = asyncio.run(run())
    for result in results:
        stored = store.get(result.event_id)
        attempts = stored.attempts if stored else "?"
        status = result.status.value if result.status else "not replayed"
        error = _first_line(result.error)
        suffix = f"  {error}" if error else ""
        line = f"{result.event_id}  {result.event_name}  {status}  attempts={attempts}{suffix}"
        click.echo(terminal_safe(line))
    click.echo(f"replayed {len(results)} event(s)", err=True)
    still_failed = [result.event_id for result in results if not result.ok]
    if still_failed:
        raise RuntimeFailure(f"{len(still_failed)} event(s) still failed: {still_failed}")


@events.command("purge")
@click.option("--older-than", "older_than", required=True, metavar="AGE", help="e.g. 30d, 12h")
@click.option("--status", type=click.Choice(STATUSES), help="Only events with this status.")
@_store_option
def purge_events(older_than: str, status: str | None, store_url: str) -> None:
    """Delete events received longer ago than AGE (events hold personal data)."""
    cutoff = datetime.now(UTC) - parse_age(older_than)
    count = _open_store(store_url).purge(cutoff, status=status)
    click.echo(f"purged {count} event(s) received before {_iso(cutoff)}")
