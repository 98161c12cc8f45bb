"""``jivo-widget events list|show|replay|purge``: the stored deliveries (and ``migrate``, from
:mod:`.migrate`, ``openapi``, the endpoint's API description, from :mod:`.openapi`, and
``sweep``, queued events handed to their worker, from :mod:`.sweep`).

``list`` and ``show`` open the store read-only (they work on a store they cannot write and never
take a live receiver's write lock). ``replay`` runs the user's handlers again: it needs
``--app``, and reads the app's own store unless ``--store`` is given. ``purge`` deletes old
events (they hold personal data). Payload text is printed escaped (:mod:`._terminal`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import click

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.cli._options import (
    APP_ENV,
    STATUSES,
    app_option,
    given,
    load_webhook_app,
    open_existing_store,
    parse_age,
    require_existing_store,
    store_option,
)
from jivo_widget.cli._terminal import echo_json, log_to_terminal, pretty, terminal_safe
from jivo_widget.cli.migrate import migrate
from jivo_widget.cli.openapi import openapi
from jivo_widget.cli.sweep import sweep
from jivo_widget.webhooks.replay import ReplayResult
from jivo_widget.webhooks.store import StoredEvent

__all__ = ["events"]


@click.group()
def events() -> None:
    """List, show, replay, sweep and purge stored webhook events; migrate the store's schema;
    write the endpoint's OpenAPI."""


events.add_command(migrate)
events.add_command(openapi)
events.add_command(sweep)


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
@store_option
@click.option("--status", type=click.Choice(STATUSES), help="Only events with this status.")
@click.option("--event", "event_name", metavar="NAME", help="Only events with this event_name.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_events(
    store_url: str, status: str | None, event_name: str | None, limit: int, as_json: bool
) -> None:
    """List stored events, newest first."""
    rows = open_existing_store(store_url, read_only=True).list(
        status=status, event_name=event_name, limit=limit
    )
    if as_json:
        for row in rows:
            echo_json(_summary(row))
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


@events.command("show")
@click.argument("event_id", type=int)
@store_option
def show_event(event_id: int, store_url: str) -> None:
    """Show one event: metadata, the payload and the response that was sent."""
    event = open_existing_store(store_url, read_only=True).get(event_id)
    if event is None:
        raise BadInput(f"no event with id {event_id} in {store_url}")
    for key, value in _summary(event).items():
        click.echo(f"{key + ':':<13}{'' if value is None else terminal_safe(str(value))}")
    click.echo("\npayload:")
    click.echo(pretty(event.body))
    click.echo("\nresponse:")
    if event.response is None:
        click.echo("(none)")
    else:
        echo_json(event.response, indent=2)


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
@store_option
@app_option
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
    if not event_ids and not failed and not stuck:
        raise BadInput("name event IDs to replay, or pass --failed or --stuck")
    stuck_age = parse_age(older_than)
    if app_ref is None:
        raise BadInput(f"replay re-runs your handlers: pass --app module:attr or set {APP_ENV}")
    hooks = load_webhook_app(app_ref)
    log_to_terminal()
    if given(ctx, "store_url"):
        # The app's handlers and limits over the store named here.
        store = open_existing_store(store_url)
        receiver = hooks.configured(store=store).receiver
    else:
        store_url = hooks.store_url
        require_existing_store(store_url)
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
@store_option
def purge_events(older_than: str, status: str | None, store_url: str) -> None:
    """Delete events received longer ago than AGE (events hold personal data)."""
    cutoff = datetime.now(UTC) - parse_age(older_than)
    count = open_existing_store(store_url).purge(cutoff, status=status)
    click.echo(f"purged {count} event(s) received before {_iso(cutoff)}")
