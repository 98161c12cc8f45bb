"""``jivo-widget events sweep``: queued events that are due, handed to their worker now.

For an app that queues events (``processing="worker"`` or ``"celery"``). With Celery, every due
event is handed to the app's Celery workers again, as the receivers' sweep and the beat task do
once an event has been due for ``lost_after``: after a broker outage, or on a site without beat.
With the in-process worker, the due events run here, in this process, with the app's handlers,
retries and dead state. Either way the claim keeps every event to one run.
"""

from __future__ import annotations

import asyncio

import click

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.cli._options import (
    APP_ENV,
    app_option,
    given,
    load_webhook_app,
    open_existing_store,
    require_existing_store,
    store_option,
)
from jivo_widget.cli._terminal import log_to_terminal
from jivo_widget.webhooks.worker import QueueWorker

__all__ = ["sweep"]


@click.command()
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Stop after about this many events (a running batch of the worker is finished).",
)
@store_option
@app_option
@click.pass_context
def sweep(ctx: click.Context, limit: int, store_url: str, app_ref: str | None) -> None:
    """Hand the queued events that are due to your app's Celery workers, or run them here with
    its in-process worker's handlers and retries; exit 1 if the broker does not take them.

    The events are read from the app's own store, or from --store when given (command line or
    environment), as ``serve --app`` does.
    """
    if app_ref is None:
        raise BadInput(f"sweep needs your app: pass --app module:attr or set {APP_ENV}")
    hooks = load_webhook_app(app_ref)
    if hooks.processing == "inline":
        raise BadInput(
            f"--app {app_ref!r} runs its handlers inline (processing 'inline'): it queues no "
            "events, so there is nothing to sweep"
        )
    log_to_terminal()
    if given(ctx, "store_url"):
        hooks = hooks.configured(store=open_existing_store(store_url))
    else:
        require_existing_store(hooks.store_url)
    worker = hooks.receiver.worker
    assert worker is not None
    if worker.handoff is None:
        ran = asyncio.run(_run_here(worker, limit))
        click.echo(f"ran {ran} due event(s) here", err=True)
        return
    due = hooks.store.due(limit=limit)
    for handed, event_id in enumerate(due):
        if not worker.hand_off(event_id):
            raise RuntimeFailure(
                f"the broker did not take event {event_id} ({handed} of {len(due)} due events "
                "handed over); they stay queued: run the sweep again once it is up"
            )
    click.echo(f"handed {len(due)} due event(s) to Celery", err=True)


async def _run_here(worker: QueueWorker, limit: int) -> int:
    """Run due events with ``worker`` until none is due or ``limit`` ran; how many ran."""
    ran = 0
    while ran < limit:
        claimed = await worker.run_due()
        if not claimed:
            break
        ran += claimed
    return ran
