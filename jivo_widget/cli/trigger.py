"""``jivo-widget trigger``: post a realistic event to a receiver and print its answer.

The payload is a packaged sample (:mod:`jivo_widget.webhooks.samples`) or a JSON file, with
``--set dotted.path=value`` overrides (:mod:`jivo_widget.webhooks.simulator`). Only the standard
library posts it, so ``trigger`` works without the ``server`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from jivo_widget.cli._errors import BadInput, RuntimeFailure
from jivo_widget.cli._terminal import pretty, terminal_safe
from jivo_widget.errors import DeliveryError, OverrideError
from jivo_widget.webhooks.contract import DUPLICATE_HEADER, WEBHOOK_PREFIX
from jivo_widget.webhooks.simulator import build_payload, deliver

__all__ = ["trigger"]


@click.command()
@click.argument("event")
@click.option(
    "--url", required=True, help=f"The receiver, e.g. http://127.0.0.1:8000{WEBHOOK_PREFIX}S"
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
    click.echo(pretty(delivery.body))
    if not delivery.ok:
        raise RuntimeFailure(f"the receiver answered {delivery.status}")
