"""``jivo-widget events migrate``: create or upgrade an event store's schema.

Opening a store for writing migrates it anyway (a receiver starting on an older store upgrades
it); the command does it ahead of a deploy, or with a database role allowed to change the
schema when the receivers' role is not. Safe to run again, and while receivers run: the
migration is one transaction, taken by one process at a time.
"""

from __future__ import annotations

import click

from jivo_widget.cli._options import store_option
from jivo_widget.webhooks.store import open_store

__all__ = ["migrate"]


@click.command()
@store_option
def migrate(store_url: str) -> None:
    """Create the event store's tables, or upgrade them to this release's schema."""
    store = open_store(store_url)
    try:
        before, after = store.migrated
    finally:
        store.close()
    if before == 0:
        outcome = "created"
    elif before < after:
        outcome = f"migrated from version {before}"
    else:
        outcome = "already current"
    click.echo(f"event store {store.url}: schema version {after} ({outcome})")
