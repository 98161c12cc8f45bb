"""Checkpoints of the SQLite store's write-ahead log, off the thread that commits events.

SQLite normally copies the WAL back into the database file (a checkpoint, with an ``fsync``)
inside whichever commit crosses 1,000 pages; measured here that stalls the committing call for
up to 200 ms — on the event loop, for every connection it serves. So the serving connection
never checkpoints (``wal_autocheckpoint=0``); a :class:`Checkpointer` thread with its own
connection runs non-blocking ``PASSIVE`` checkpoints after every :data:`CHECKPOINT_EVERY` rows,
and a blocking one only if the WAL still outgrows :data:`WAL_LIMIT_BYTES` under sustained load.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["CHECKPOINT_EVERY", "WAL_LIMIT_BYTES", "Checkpointer"]

#: A child of the "jivo_widget.webhooks" logger: its handlers get these records too.
logger = logging.getLogger(__name__)

#: Rows written between two background checkpoints (roughly 1,000 WAL pages).
CHECKPOINT_EVERY = 250
#: A WAL larger than this still gets a blocking checkpoint (a safety valve; rare).
WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: When a passive checkpoint leaves at most this many WAL frames behind, the checkpointer
#: finishes them while writes wait (a few milliseconds), so the next write can start the WAL
#: over instead of letting it grow for as long as writes never pause.
_CATCH_UP_FRAMES = 1024


class Checkpointer:
    """Checkpoints the WAL from a daemon thread, off the thread that commits events.

    ``writer_lock`` is the store's connection lock: holding it pauses the store's writes.
    """

    def __init__(self, path: str, busy_timeout: float, writer_lock: threading.Lock) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._writer_lock = writer_lock
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="jivo-events-checkpoint", daemon=True
        )
        self._thread.start()

    def nudge(self) -> None:
        """Ask for a checkpoint soon."""
        self._wanted.set()

    def stop(self) -> None:
        """Run a last checkpoint and end the thread."""
        self._stopping = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=self._busy_timeout)
        wal = Path(self._path + "-wal")
        try:
            while True:
                # Also wake up now and then: a trickle of events must be checkpointed too.
                self._wanted.wait(timeout=5.0)
                self._wanted.clear()
                try:
                    self._checkpoint(conn, wal)
                except (sqlite3.Error, OSError) as exc:
                    logger.warning("checkpoint of the event store %s failed: %s", self._path, exc)
                if self._stopping:
                    return
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, wal: Path) -> None:
        _, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if self._stopping or (wal.exists() and wal.stat().st_size > WAL_LIMIT_BYTES):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        elif 0 < frames - done <= _CATCH_UP_FRAMES:
            with self._writer_lock:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        elif frames - done > _CATCH_UP_FRAMES:
            self._wanted.set()  # fell behind: go again at once
