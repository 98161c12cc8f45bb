"""Group commit (:mod:`jivo_widget.webhooks._batch`): deliveries arriving together share one
transaction, and a failing group answers 503 to every member.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jivo_widget.webhooks import (
    WebhookApp,
)
from jivo_widget.webhooks.store import SqliteStore

if TYPE_CHECKING:
    from webhooks.conftest import RunAsync


class BatchRecordingStore(SqliteStore):
    """The real SQLite store, noting the size of each group commit."""

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(path, **options)
        self.batches: list[int] = []

    def write_batch(self, events: Any, outcomes: Any) -> list[int | None]:
        self.batches.append(len(events))
        return super().write_batch(events, outcomes)


def test_deliveries_arriving_together_are_committed_together(
    tmp_path: Path, run_async: RunAsync
) -> None:
    store = BatchRecordingStore(tmp_path / "e.db")
    hooks = WebhookApp(secret="S", store=store)
    bodies = [json.dumps({"event_name": "chat_finished", "chat_id": n}).encode() for n in range(40)]
    bodies += bodies[:5]  # duplicates inside the same group

    async def scenario() -> None:
        replies = await asyncio.gather(
            *(hooks.receiver.handle("POST", "S", body, None) for body in bodies)
        )
        assert {reply.status for reply in replies} == {200}

    run_async(scenario())
    assert sum(store.batches) == len(bodies) and max(store.batches) > 1
    assert store.count() == 40
    assert sorted(e.chat_id or 0 for e in store.list(limit=None)) == list(range(40))


def test_a_failing_group_commit_answers_503_to_every_member(
    tmp_path: Path, run_async: RunAsync
) -> None:
    path = tmp_path / "e.db"
    hooks = WebhookApp(secret="S", store=SqliteStore(path, busy_timeout=0.05))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    bodies = [json.dumps({"event_name": "x", "n": n}).encode() for n in range(5)]

    async def scenario() -> list[int]:
        replies = await asyncio.gather(
            *(hooks.receiver.handle("POST", "S", body, None) for body in bodies)
        )
        return [reply.status for reply in replies]

    try:
        assert run_async(scenario()) == [503] * 5
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert hooks.store.count() == 0
    assert run_async(scenario()) == [200] * 5
