"""The framework-free receiver: one delivery in (method, path secret, body, client address), one
:class:`~jivo_widget.webhooks.contract.Reply` out, by the contract of
:mod:`jivo_widget.webhooks.contract`.

Adapters (ASGI, WSGI, Flask, Django, FastAPI) only translate their request into those values,
reading the body with :meth:`Receiver.read_body` (``None`` when over the cap), and the reply
back into their response. The life of a delivery:

1. wrong secret → 404 (nothing read, nothing stored); not POST → 405; body over the cap → 413;
2. decode (:mod:`jivo_widget.webhooks.decode`): not a UTF-8 JSON object with an
   ``event_name`` → stored ``malformed``, 400; fails its event model → stored ``invalid``, 422;
3. commit the raw body and metadata (one insert, in one transaction with the other deliveries
   that arrived in the same event-loop iteration: :mod:`jivo_widget.webhooks._batch`). A
   duplicate body (same SHA-256, received within ``dedupe_window`` of the stored copy) is not
   stored again and gets the first delivery's reply with the duplicate header; an identical body
   after the window is a new event (A→B→A attribute changes carry no timestamp). The store
   failing → 503 so the sender retries. An event without handlers is stored ``processed`` here;
4. dispatch (:mod:`jivo_widget.webhooks.dispatch`): the handlers run in a task of their own,
   which settles the reply (at once, or for ``chat_accepted`` / ``chat_updated`` when a handler
   shaped a response or ``response_deadline`` passed) and then records ``processed`` or
   ``failed``. Failed events are replayed with :meth:`Receiver.replay`
   (:mod:`jivo_widget.webhooks.replay`).

Whatever goes wrong inside, the answer is never a 500: see :meth:`Receiver.handle_authorized`.

Beside this module: the answer a duplicate gets (:mod:`jivo_widget.webhooks._duplicates`), and
the row a delivery is stored as, with the body kept after an unexpected error
(:mod:`jivo_widget.webhooks._keep`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from jivo_widget.errors import JivoConfigError
from jivo_widget.identity import UserTokens
from jivo_widget.webhooks._batch import GroupCommit
from jivo_widget.webhooks._duplicates import Duplicates
from jivo_widget.webhooks._keep import keep_after_error, new_row
from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks._loop import BackgroundLoop
from jivo_widget.webhooks._reading import read_capped, read_capped_blocking
from jivo_widget.webhooks.contract import (
    DEFAULT_DEDUPE_WINDOW,
    DEFAULT_HANDLER_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RESPONSE_DEADLINE,
    WEBHOOK_METHOD,
    Reply,
    check_limits,
    check_secrets,
    status_code,
)
from jivo_widget.webhooks.decode import decode
from jivo_widget.webhooks.dispatch import Dispatcher
from jivo_widget.webhooks.instrument import Observer
from jivo_widget.webhooks.replay import STUCK_AFTER, Replayer, ReplayResult, warn_about_stuck_events
from jivo_widget.webhooks.router import Router
from jivo_widget.webhooks.store.base import (
    EventStatus,
    EventStore,
    NewEvent,
    StoreUnavailable,
    dedupe_key,
)
from jivo_widget.webhooks.worker import PROCESSING_MODES, Processing, QueueWorker, RetryPolicy

__all__ = ["HasReceiver", "Receiver"]


@dataclass(slots=True)
class _Trace:
    """One delivery as the observer sees it: when its body was read, and its event name."""

    started: float
    event_name: str | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class Receiver:
    """The receiver core shared by every adapter; see the module docstring for the contract.

    ``secrets``: the accepted path secrets (several for rotation), or ``None`` for *insecure
    mode*, where any path secret is accepted (the owner is warned at construction and startup).
    ``store``: the event store, or a function that opens it, called on first use (and again
    after a :class:`StoreUnavailable`, until it succeeds). ``observer``: told about every step
    of every delivery (:mod:`jivo_widget.webhooks.instrument`: the log line, metrics).
    ``identity``: verifies each event's ``user_token`` before its handlers run
    (``event.visitor_id``), or ``None``. ``processing``: ``"worker"`` queues events whose
    answer Jivo ignores for the in-process :class:`~jivo_widget.webhooks.worker.QueueWorker`
    (retried by ``retry``) instead of running their handlers right away (``"inline"``).
    """

    def __init__(
        self,
        *,
        secrets: Sequence[str] | None,
        store: EventStore | Callable[[], EventStore],
        router: Router,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        response_deadline: float = DEFAULT_RESPONSE_DEADLINE,
        handler_timeout: float = DEFAULT_HANDLER_TIMEOUT,
        dedupe_window: timedelta | None = DEFAULT_DEDUPE_WINDOW,
        observer: Observer | None = None,
        identity: UserTokens | None = None,
        processing: Processing = "inline",
        retry: RetryPolicy | None = None,
    ) -> None:
        check_secrets(secrets)
        if processing not in PROCESSING_MODES:
            raise JivoConfigError(
                f"processing {processing!r}: expected one of "
                f"{', '.join(map(repr, PROCESSING_MODES))}"
            )
        check_limits(
            max_body_bytes=max_body_bytes,
            response_deadline=response_deadline,
            handler_timeout=handler_timeout,
            dedupe_window=dedupe_window,
        )
        # Compare digests: constant time over bytes, and no leak of the secret's length.
        self._secret_digests = (
            None if secrets is None else [hashlib.sha256(s.encode()).digest() for s in secrets]
        )
        self._store: EventStore | None = store if isinstance(store, EventStore) else None
        self._open_store = store if not isinstance(store, EventStore) else None
        self._commits: GroupCommit | None = None
        self._commits_lock = threading.Lock()
        self.router = router
        self.max_body_bytes = max_body_bytes
        self.dedupe_window = dedupe_window
        self.observer = Observer() if observer is None else observer
        self.identity = identity
        self._dispatcher = Dispatcher(
            response_deadline=response_deadline,
            handler_timeout=handler_timeout,
            observer=self.observer,
            identity=identity,
        )
        # Deliveries being handled now, and the answers their duplicates get.
        self._duplicates = Duplicates(lambda: self.store)
        self._loop = BackgroundLoop("jivo-webhooks")
        #: The worker of queued events (``processing="worker"``; with ``"celery"`` it hands
        #: them to Celery and sweeps: see :mod:`jivo_widget.webhooks.worker`), else ``None``.
        self.worker = (
            QueueWorker(
                lambda: self.store,
                router,
                handler_timeout,
                self.observer,
                identity,
                RetryPolicy() if retry is None else retry,
            )
            if processing != "inline"
            else None
        )

    @property
    def store(self) -> EventStore:
        """The event store, opened on first use if this receiver was given an opener.

        Raises :class:`StoreUnavailable` while it cannot be opened (every caller in the
        request path turns that into a 503).
        """
        store = self._store
        if store is None:
            assert self._open_store is not None
            store = self._store = self._open_store()
        return store

    @property
    def insecure(self) -> bool:
        """No secret is configured: every path secret is accepted."""
        return self._secret_digests is None

    @property
    def response_deadline(self) -> float:
        """How long a ``chat_accepted`` / ``chat_updated`` reply waits for a response."""
        return self._dispatcher.response_deadline

    @property
    def handler_timeout(self) -> float:
        """After this a handler counts as failed."""
        return self._dispatcher.handler_timeout

    def _group_commit(self) -> GroupCommit:
        """The group commit over the store (which it opens on first use)."""
        commits = self._commits
        if commits is None:
            with self._commits_lock:
                if self._commits is None:
                    self._commits = GroupCommit(self.store, self.observer)
                commits = self._commits
        return commits

    # -- the request, step by step -------------------------------------------------------

    def health(self) -> Reply:
        """``GET /healthz`` for every adapter: 200 when the store takes writes, else 503."""
        try:
            self.store.ping()
        except StoreUnavailable as exc:
            return Reply.health(str(exc))
        return Reply.health(None)

    def authorize(self, method: str, secret: str) -> Reply | None:
        """The 404 / 405 reply for this request line, or ``None`` to go on (read the body)."""
        if self._secret_digests is not None:
            given = hashlib.sha256(secret.encode("utf-8", "replace")).digest()
            matched = False
            for digest in self._secret_digests:  # no early exit: constant over all secrets
                matched |= hmac.compare_digest(digest, given)
            if not matched:
                return Reply.wrong_secret()
        if method.upper() != WEBHOOK_METHOD:
            return Reply.method_not_allowed(method)
        return None

    async def read_body(
        self,
        chunks: AsyncIterable[bytes],
        content_length: str | None = None,
        *,
        expect_continue: bool = False,
    ) -> bytes | None:
        """Read the body, never more than ``max_body_bytes``: the bytes, or ``None`` if over.

        ``content_length`` is only a hint to refuse early: the bytes are counted either way.
        ``expect_continue``: the client sent ``Expect: 100-continue``; a declared length over
        the cap is then refused without reading anything, and the adapter answers 413 at once
        and closes the connection.
        """
        return await read_capped(
            chunks, self.max_body_bytes, content_length, expect_continue=expect_continue
        )

    def read_body_blocking(
        self, read: Callable[[int], bytes], content_length: str | None
    ) -> bytes | None:
        """:meth:`read_body` for WSGI: ``read(n)`` is ``wsgi.input.read``. ``None`` if over."""
        return read_capped_blocking(read, self.max_body_bytes, content_length)

    async def handle(
        self, method: str, secret: str, body: bytes | None, remote_addr: str | None
    ) -> Reply:
        """The reply for one delivery (see the module docstring). Never raises for any input."""
        early = self.authorize(method, secret)
        if early is not None:
            return early
        return await self.handle_authorized(body, remote_addr)

    async def handle_authorized(self, body: bytes | None, remote_addr: str | None) -> Reply:
        """:meth:`handle` for an adapter that already got ``None`` from :meth:`authorize` for
        this POST (saves checking the secret twice). Never raises for any input."""
        trace = _Trace(time.perf_counter())
        try:
            reply = await self._handle(body, remote_addr, trace)
        except Exception as exc:
            # A bug of ours must still not become a 500. The message may quote the payload, so
            # only the type is logged above DEBUG.
            logger.error("unexpected %s while receiving a webhook", type(exc).__name__)
            logger.debug("unexpected error while receiving a webhook", exc_info=True)
            reply = keep_after_error(
                lambda: self.store, body, remote_addr, exc, dedupe_window=self.dedupe_window
            )
            self.observer.finished(None, trace.event_name, "error", trace.elapsed())
        self.observer.replied(trace.event_name, reply.status, trace.elapsed())
        return reply

    def handle_blocking(
        self, method: str, secret: str, body: bytes | None, remote_addr: str | None
    ) -> Reply:
        """:meth:`handle` for synchronous servers (WSGI, sync Django views).

        Runs on a private event loop in a daemon thread, shared by every calling thread, where
        the handlers also keep running after the reply.
        """
        return self._loop.run(self._started_then(self.handle(method, secret, body, remote_addr)))

    def handle_authorized_blocking(self, body: bytes | None, remote_addr: str | None) -> Reply:
        """:meth:`handle_authorized` for synchronous servers (see :meth:`handle_blocking`)."""
        return self._loop.run(self._started_then(self.handle_authorized(body, remote_addr)))

    async def _started_then(self, handling: Awaitable[Reply]) -> Reply:
        """``handling``, with the worker (``processing="worker"``) running on this loop first:
        a synchronous server has no lifespan to start it."""
        if self.worker is not None:
            self.worker.start()  # nothing while it runs
        return await handling

    async def _handle(self, body: bytes | None, remote_addr: str | None, trace: _Trace) -> Reply:
        observer = self.observer
        if body is None:
            observer.finished(None, None, "too_large", trace.elapsed())
            return Reply.too_large(self.max_body_bytes)
        key = dedupe_key(body)
        received_at = datetime.now(UTC)
        decoded = decode(body)
        trace.event_name = decoded.event_name
        observer.received(decoded.event_name)
        if key in self._duplicates.inflight:
            # The same delivery is being handled right now: answer what the first one answers.
            return await self._duplicate_reply(key, trace)

        def row(
            status: EventStatus, reply: Reply | None = None, *, queued: bool = False
        ) -> NewEvent:
            return new_row(
                received_at,
                remote_addr,
                body,
                key,
                decoded,
                status,
                reply,
                dedupe_window=self.dedupe_window,
                queued=queued,
            )

        if decoded.event is None:  # malformed (400) or invalid (422): stored, nothing to run
            assert decoded.status is not None and decoded.error is not None
            reply = Reply.error(status_code(decoded.status), decoded.error)
            return await self._store_final(row(decoded.status, reply), reply, trace)
        event = decoded.event
        registrations = self.router.handlers_for(event.event_name)
        if not registrations:
            # Nothing to run: a single insert records the final state (capture-only serving).
            return await self._store_final(
                row(EventStatus.PROCESSED, Reply.ok()), Reply.ok(), trace
            )
        if self.worker is not None and not event.reads_response:
            return await self._queue(row, trace)
        try:
            commits = self._group_commit()
            event_id = await commits.add(row(EventStatus.RECEIVED))
        except StoreUnavailable as exc:
            return self._unavailable(exc, trace)
        if event_id is None:
            return await self._duplicate_reply(key, trace)
        observer.stored(event.event_name)

        def done() -> None:
            self._duplicates.inflight.pop(key, None)

        reply_future = self._dispatcher.start(
            event_id, event, registrations, commits, done, received=trace.started
        )
        self._duplicates.inflight[key] = (event_id, reply_future)
        return await asyncio.shield(reply_future)

    async def _queue(self, row: Callable[..., NewEvent], trace: _Trace) -> Reply:
        """Store the event queued for the worker and answer 200 at once: its handlers run
        off the request path (:mod:`jivo_widget.webhooks.worker`)."""
        assert self.worker is not None
        new = row(EventStatus.RECEIVED, queued=True)
        try:
            event_id = await self._group_commit().add(new)
        except StoreUnavailable as exc:
            return self._unavailable(exc, trace)
        if event_id is None:
            return await self._duplicate_reply(new.dedupe_key, trace)
        self.observer.stored(new.event_name)
        self.observer.finished(event_id, new.event_name, "queued", trace.elapsed())
        self.worker.queued(event_id)
        return Reply.ok()

    async def _store_final(self, new: NewEvent, reply: Reply, trace: _Trace) -> Reply:
        """Store a delivery in its final state (nothing to run) and answer ``reply``."""
        try:
            event_id = await self._group_commit().add(new)
        except StoreUnavailable as exc:
            return self._unavailable(exc, trace)
        if event_id is None:
            return await self._duplicate_reply(new.dedupe_key, trace)
        self.observer.stored(new.event_name)
        self.observer.finished(event_id, new.event_name, new.status.value, trace.elapsed())
        return reply

    def _unavailable(self, exc: StoreUnavailable, trace: _Trace) -> Reply:
        logger.error("answering 503: %s", exc)
        self.observer.unavailable(trace.event_name)
        self.observer.finished(None, trace.event_name, "unavailable", trace.elapsed())
        return Reply.unavailable(f"event store unavailable, retry later: {exc}")

    async def _duplicate_reply(self, key: str, trace: _Trace) -> Reply:
        try:
            first_id, reply = await self._duplicates.answer(key, self.response_deadline)
        except StoreUnavailable as exc:
            return self._unavailable(exc, trace)
        self.observer.duplicate(trace.event_name)
        self.observer.finished(first_id, trace.event_name, "duplicate", trace.elapsed())
        return reply

    # -- replay ----------------------------------------------------------------------------

    def _replayer(self) -> Replayer:
        return Replayer(self.store, self.router, self.handler_timeout, self.identity)

    async def replay(self, event_id: int) -> ReplayResult:
        """Run the handlers of a stored event again and record the outcome (``attempts`` + 1).

        The reply Jivo got is not changed (it was sent long ago). A ``malformed`` event cannot
        be replayed; an ``invalid`` one is validated again (a newer model may accept it).
        Raises :class:`KeyError` for an unknown id and :class:`StoreUnavailable`.
        """
        return await self._replayer().replay(event_id)

    async def replay_failed(self, *, limit: int | None = None) -> list[ReplayResult]:
        """Replay every ``failed`` event, oldest first."""
        return await self._replayer().replay_failed(limit=limit)

    async def replay_stuck(
        self, older_than: timedelta = STUCK_AFTER, *, limit: int | None = None
    ) -> list[ReplayResult]:
        """Replay events still ``received`` after ``older_than``: their process died mid-way."""
        return await self._replayer().replay_stuck(older_than, limit=limit)

    def warn_about_stuck_events(self, older_than: timedelta = STUCK_AFTER) -> int:
        """Log a WARNING (a count, no personal data) when events are still ``received`` after
        ``older_than`` — left by a process that died while their handlers ran; how many.

        Servers call it at startup, which also opens the store: one that cannot be opened or
        read is reported at ERROR (deliveries get 503 until it can, and ``/healthz`` fails).
        """
        try:
            return warn_about_stuck_events(self.store, older_than)
        except StoreUnavailable as exc:
            logger.error("%s; deliveries get 503 until it is fixed", exc)
            return 0

    # -- lifecycle -------------------------------------------------------------------------

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until the handlers started on this loop are done; ``False`` on timeout."""
        return await self._dispatcher.drain(timeout)

    def drain_blocking(self, timeout: float | None = None) -> bool:
        """:meth:`drain` from a thread outside the event loops: waits for the handlers started
        on every loop this receiver served on (the server's, :meth:`handle_blocking`'s)."""
        return self._dispatcher.drain_blocking(timeout)

    def close(self) -> None:
        """Stop the background event loop :meth:`handle_blocking` runs on (a later call starts
        a new one). Handlers still running there are abandoned: :meth:`drain_blocking` first.
        The store is not closed; a worker running there stops first (its current run ends, for
        at most ``handler_timeout``)."""
        worker, own = self.worker, self._loop.loop
        if worker is not None and own is not None and worker.loop is own:
            asyncio.run_coroutine_threadsafe(worker.stop(self.handler_timeout), own).result()
        loop = self._loop.stop()
        if loop is not None:
            self._dispatcher.forget_loop(loop)


class HasReceiver(Protocol):
    """What an adapter serves: a :class:`~jivo_widget.webhooks.WebhookApp`, or anything else
    that holds a :class:`Receiver`. (Adapters depend on the receiver only, so the app can build
    them without an import cycle.)"""

    @property
    def receiver(self) -> Receiver:
        """The receiver core to serve."""
        ...
