"""``jivo-widget serve``: run the webhook receiver under uvicorn (the ``server`` extra).

Without ``--app`` it captures: every event is stored and answered ``{"result": "ok"}``. With
``--app`` the user's handlers run; ``--store``, ``--secret`` and ``--dedupe-window`` then apply to
a copy of their app (:meth:`~jivo_widget.webhooks.WebhookApp.configured`), never to the app
itself. So does ``JIVO_JWT_SECRET`` when set: the identity secret that verifies each event's
``user_token`` (``event.visitor_id``). It is read from the environment only, like ``jivo-widget
token``'s: on the command line it would show in ``ps`` and the shell history.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import warnings
from datetime import timedelta
from enum import Enum

import click

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.cli._options import (
    SECRET_ENV,
    app_option,
    given,
    load_webhook_app,
    parse_age,
    store_option,
)
from jivo_widget.cli._terminal import log_to_terminal
from jivo_widget.cli._workers import run_workers
from jivo_widget.cli.token import SECRET_ENV as JWT_SECRET_ENV
from jivo_widget.identity import JwtSecret, parse_secrets
from jivo_widget.webhooks import WebhookApp
from jivo_widget.webhooks.contract import WEBHOOK_PREFIX
from jivo_widget.webhooks.receiver import Receiver
from jivo_widget.webhooks.store import DEFAULT_STORE_URL, DURABILITIES, Durability
from jivo_widget.webhooks.worker import PROCESSING_MODES, Processing

__all__ = ["serve"]


class _Keep(Enum):
    """``--dedupe-window`` not given: the app's own window stays."""

    WINDOW = "keep"


@click.command()
@store_option
@click.option("--secret", envvar=SECRET_ENV, help=f"The URL secret; env {SECRET_ENV}.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@app_option
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
@click.option(
    "--durability",
    type=click.Choice(DURABILITIES),
    default=None,
    help="What a 200 survives: 'process' a crash of the receiver (the default), 'fsync' also a "
    "power loss (every commit flushed to disk; slower). [default: process, or the app's own]",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes sharing the port and the store (forked; one that dies is replaced).",
)
@click.option(
    "--metrics",
    is_flag=True,
    help="Keep Prometheus metrics and serve them at GET /metrics (the metrics extra). With "
    "several worker processes set PROMETHEUS_MULTIPROC_DIR to a shared empty directory.",
)
@click.option(
    "--processing",
    type=click.Choice(PROCESSING_MODES),
    default=None,
    help="'inline' runs handlers right after storing each event; 'worker' stores events whose "
    "answer Jivo ignores as queued, answers at once, and runs their handlers in a worker inside "
    "the server, with retries, backoff and a dead state (see events list); 'celery' hands them "
    "to the Celery workers of an app built with celery_app. [default: inline, or the app's own]",
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
    durability: Durability | None,
    workers: int,
    metrics: bool,
    processing: Processing | None,
) -> None:
    """Run the webhook receiver under uvicorn: POST /jivo/webhook/{secret}, GET /healthz.

    Without --app it runs in capture-only mode: every event is stored and answered
    {"result": "ok"}. With --app your WebhookApp's handlers run; --store and --secret (given on
    the command line or in the environment) then replace the app's own, and so does the
    identity secret in JIVO_JWT_SECRET (environment only) that verifies user tokens. GET
    /openapi.json describes the endpoint; with --metrics, GET /metrics serves Prometheus metrics.
    """
    try:
        import uvicorn  # noqa: F401 - checked here, used by _run_server
    except ImportError as exc:
        raise RuntimeFailure(
            "serve needs the server extra: pip install 'jivo-widget[server]'"
        ) from exc

    window = _dedupe_window(dedupe_window)
    hooks = _hooks(
        store_url if given(ctx, "store_url") else None,
        secret,
        app_ref,
        window,
        durability,
        metrics,
        processing,
    )
    receiver = hooks.receiver
    if workers > 1:
        # Each worker opens its own store after the fork (a copy with a fresh opener); the
        # parent only checks it can be opened, and closes it before forking.
        receiver = _fresh(hooks).receiver
    # Open the store now (an app opens it on first use): one that cannot be opened is an error
    # at startup, not a 503 at the first delivery.
    store = receiver.store
    log_to_terminal()
    if receiver.insecure:
        click.secho(
            f"WARNING: no webhook secret (--secret or {SECRET_ENV}): anyone who can reach this "
            "port can post events. Never expose it like this.",
            fg="red",
            bold=True,
            err=True,
        )
    if app_ref:
        click.echo(_identity_line(receiver), err=True)
    mode = f"handlers from {app_ref}" if app_ref else "capture-only mode"
    shown = "<anything>" if receiver.insecure else "<secret>"
    # We bind the socket ourselves: a busy port fails with one clear line (before uvicorn
    # logs its own way), and with --port 0 the banner shows the port the system chose.
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    processes = f", {workers} workers" if workers > 1 else ""
    click.echo(
        f"Receiving Jivo webhooks at http://{host}:{bound_port}{WEBHOOK_PREFIX}{shown} ({mode}), "
        f"store {store.url}{processes}",
        err=True,
    )
    # Every delivery allocates many short-lived objects (JSON, pydantic models), and the cyclic
    # GC's full passes over the long-lived startup objects showed up as p99 spikes: move those
    # out of its reach and let the young generation grow before a pass.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        if workers == 1:
            if not _run_server(receiver, sock, read_timeout):
                # Our contract says exit 1 for a runtime failure (uvicorn.run would exit 3).
                raise RuntimeFailure("the server did not start: see uvicorn's message above")
        else:
            store.close()
            run_workers(workers, lambda: _run_server(_fresh(hooks).receiver, sock, read_timeout))
    finally:
        sock.close()


def _run_server(receiver: Receiver, sock: socket.socket, read_timeout: float) -> bool:
    """Serve ``receiver`` under uvicorn on ``sock`` until stopped; whether it started."""
    import uvicorn

    from jivo_widget.webhooks.asgi import create_app
    from jivo_widget.webhooks.serving import read_timeout_protocol

    host, port = sock.getsockname()[:2]
    # No access log: the path carries the secret, and INFO logs must not hold secrets.
    config = uvicorn.Config(
        create_app(receiver),
        host=host,
        port=port,
        workers=1,
        access_log=False,
        http=read_timeout_protocol(read_timeout),
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn already shut down cleanly
        server.run(sockets=[sock])
    return bool(server.started)


def _fresh(hooks: WebhookApp) -> WebhookApp:
    """A copy of ``hooks`` that opens its own store (in a forked worker: never the parent's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the missing-secret warning: shown once
        return hooks.configured(store=hooks.store_url)


def _dedupe_window(text: str | None) -> timedelta | _Keep | None:
    """``--dedupe-window``: an age, ``0``, ``forever`` (None), or absent (keep the app's)."""
    if text is None:
        return _Keep.WINDOW
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


def _hooks(
    store_url: str | None,
    secret: str | None,
    app_ref: str | None,
    window: timedelta | _Keep | None,
    durability: Durability | None,
    metrics: bool = False,
    processing: Processing | None = None,
) -> WebhookApp:
    """The app ``serve`` runs: capture-only, or the user's app; what the command line set
    (``None`` / ``_Keep``: not set) applies to a copy of the app, never to the app itself."""
    with warnings.catch_warnings():
        # serve prints its own, louder warning about a missing secret.
        warnings.simplefilter("ignore", UserWarning)
        if app_ref is None:
            hooks = WebhookApp(
                secret=secret,
                store=store_url or DEFAULT_STORE_URL,
                durability=durability or "process",
            )
        else:
            hooks = load_webhook_app(app_ref)
            if secret is not None:
                hooks = hooks.configured(secret=secret)
            if store_url is not None:
                hooks = hooks.configured(store=store_url)
            if durability is not None:
                hooks = hooks.configured(durability=durability)
        if not isinstance(window, _Keep):
            hooks = hooks.configured(dedupe_window=window)
        if metrics and not hooks.receiver.observer.serves_metrics:
            hooks = hooks.configured(metrics=True)
        if processing is not None and processing != hooks.processing:
            hooks = hooks.configured(processing=processing)
        identity = _identity_secrets()
        if identity is not None:
            hooks = hooks.configured(identity_secret=identity)
    return hooks


def _identity_secrets() -> tuple[JwtSecret, ...] | None:
    """The identity secrets in ``JIVO_JWT_SECRET``, or ``None`` when it is unset or empty (the
    app's own stay). A bad one is a :class:`~jivo_widget.errors.JivoConfigError` (exit 2)
    naming the variable and the rule, never the secret."""
    value = os.environ.get(JWT_SECRET_ENV, "")
    return parse_secrets(value, field=JWT_SECRET_ENV) if value.strip() else None


def _identity_line(receiver: Receiver) -> str:
    """Whether user tokens are verified, and with whose secret (never the secret itself)."""
    if receiver.identity is None:
        return (
            f"user_token: not verified (no identity_secret in the app, no {JWT_SECRET_ENV}): "
            "event.visitor_id is None"
        )
    source = JWT_SECRET_ENV if os.environ.get(JWT_SECRET_ENV, "").strip() else "the app"
    return f"user_token: verified with the identity secret from {source} (event.visitor_id)"


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
