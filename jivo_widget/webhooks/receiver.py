"""The framework-free receiver core: the HTTP contract of design.md §4 over bytes in, a reply out.

Adapters (ASGI, WSGI, Django, ...) only translate their request into ``method``, the path
``secret``, the body read with :meth:`Receiver.read_body` (``None`` when over the cap) and the
client address, and the :class:`Reply` back into their response.

The life of a delivery:

1. wrong secret → 404 (nothing read, nothing stored); not POST → 405; body over the cap → 413;
2. decode: not UTF-8 JSON object with an ``event_name`` → stored ``malformed``, 400;
3. validate against its event model: fails → stored ``invalid``, 422;
4. commit the raw body and metadata (one insert, in one transaction with the other deliveries
   that arrived in the same event-loop iteration); a duplicate body (same SHA-256, received
   within ``dedupe_window`` of the stored copy) is not stored again and gets the first
   delivery's reply with an ``X-Jivo-Duplicate-Of: <id>`` header; an identical body after the
   window is a new event (A→B→A attribute changes carry no timestamp); the store failing → 503
   so the sender retries;
5. answer. Events whose reply Jivo ignores get ``{"result": "ok"}`` as soon as the row is
   committed, and their handlers run afterwards. For ``chat_accepted`` / ``chat_updated`` the
   reply waits until a handler returns a response, every handler is done, or
   ``response_deadline`` passes (then the safe ``{"result": "ok"}``);
6. when every handler is done (each bounded by ``handler_timeout``), one update (grouped with
   the other writes due at that moment) records
   ``processed`` or ``failed`` (error, attempts) and the reply sent. Failed events are replayed
   with :meth:`Receiver.replay`. An event without handlers is stored ``processed`` in step 4.

Shaping rule: at most one handler may return a response. Only handlers registered for the
event by name count (a catch-all's return value is ignored). The first response returned is sent;
a second one is recorded as an error (status ``failed``) naming both handlers. A response that
fails :class:`~jivo_widget.webhooks.responses.ChatResponse` is not sent and recorded likewise.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import logging
import re
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks.events import JivoEvent, parse_event
from jivo_widget.webhooks.responses import OK, describe_validation_error, to_response
from jivo_widget.webhooks.router import (
    Registration,
    Router,
    continue_awaitable,
    describe_failure,
    describe_timeout,
    start_handler,
    unwrap_handler_error,
)
from jivo_widget.webhooks.store import (
    EventOutcome,
    EventStatus,
    EventStore,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    dedupe_key,
)

__all__ = [
    "DEFAULT_DEDUPE_WINDOW",
    "DUPLICATE_HEADER",
    "MAX_JSON_DEPTH",
    "RESPONSE_EVENTS",
    "Receiver",
    "RedactWebhookSecret",
    "ReplayResult",
    "Reply",
    "decode_body",
    "redact_webhook_secrets_in_logs",
]

logger = logging.getLogger("jivo_widget.webhooks")

#: The events whose response body Jivo reads (jivo-api.md §7.2).
RESPONSE_EVENTS = frozenset({"chat_accepted", "chat_updated"})

#: How long an identical body counts as a resend of the stored one. Jivo resends failed
#: deliveries a few times within a minute (Chat API: 3 retries 3-60 s apart); and some events
#: carry no timestamp, so a change A→B→A sends the first body again as a *new* event later.
DEFAULT_DEDUPE_WINDOW = timedelta(minutes=10)

#: The header on a duplicate's answer: the id of the stored event it repeats.
DUPLICATE_HEADER = "X-Jivo-Duplicate-Of"

#: How much of an over-the-cap body is read and thrown away so the client can read the 413
#: (a client still writing its body would otherwise see a connection reset instead).
_DISCARD_FACTOR = 16

_SQLITE_INT_RANGE = range(-(2**63), 2**63)
_OK_CONTENT = json.dumps(OK, separators=(",", ":")).encode("ascii")

#: The nesting depth we promise to parse. Python's parser gives up (RecursionError) a little
#: under ``sys.getrecursionlimit()`` (1,000) levels, so whatever it refuses is deeper than this.
MAX_JSON_DEPTH = 500


#: The loggers of the servers adapters run under that write request lines (access logs).
ACCESS_LOGGERS = (
    "uvicorn.access",  # uvicorn (serve, Starlette, FastAPI)
    "werkzeug",  # Flask's dev server
    "django.server",  # Django's runserver
    "django.request",  # Django's "Not Found: /path" warnings
    "gunicorn.access",
)

_SECRET_IN_PATH = re.compile(r"/jivo/webhook/[^/?#\s\"']+")


def _redact(value: object) -> object:
    return _SECRET_IN_PATH.sub("/jivo/webhook/***", value) if isinstance(value, str) else value


class RedactWebhookSecret(logging.Filter):
    """Replaces the webhook secret in access-log lines with ``***``.

    The secret is the only authentication Jivo webhooks have, and an access log would otherwise
    write it down on every delivery. Every adapter installs it on :data:`ACCESS_LOGGERS`
    (:func:`redact_webhook_secrets_in_logs`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message and its arguments (a tuple, or gunicorn's dict of atoms)."""
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        return True


def redact_webhook_secrets_in_logs() -> None:
    """Install :class:`RedactWebhookSecret` on every logger of :data:`ACCESS_LOGGERS` (once).

    A filter on a logger sees only the records logged to that very logger, which is where
    these servers log their request lines.
    """
    for name in ACCESS_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactWebhookSecret) for f in target.filters):
            target.addFilter(RedactWebhookSecret())


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def content(self) -> bytes:
        """The body as compact JSON bytes (ASCII-only, so any string encodes)."""
        if self.body is OK:  # most replies: skip the encoder (a per-event cost)
            return _OK_CONTENT
        return json.dumps(self.body, separators=(",", ":")).encode("ascii")


@dataclass(slots=True)
class _WriteBatch:
    """Writes that fell due in one event-loop iteration, committed as one transaction."""

    events: list[tuple[NewEvent, asyncio.Future[int | None]]] = field(default_factory=list)
    outcomes: list[tuple[EventOutcome, asyncio.Future[None]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The outcome of replaying one stored event."""

    event_id: int
    event_name: str | None
    status: EventStatus | None
    error: str | None

    @property
    def ok(self) -> bool:
        """The handlers all succeeded this time."""
        return self.status is EventStatus.PROCESSED


_OK_REPLY = Reply(200, OK)


def _error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, {"result": "error", "error": message}, headers)


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def decode_body(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """``(payload, None)`` for a UTF-8 JSON object with a string ``event_name``, else
    ``(payload or None, message naming the problem)``."""
    if not body.strip():
        return None, "body is empty; expected a JSON object with an event_name"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"body is not UTF-8 (invalid byte at offset {exc.start})"
    try:
        payload = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        return None, f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return None, f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError as exc:
        # Valid JSON the parser still refuses, e.g. an integer of more than 4,300 digits
        # (CPython's int max_str_digits guard against quadratic parsing).
        return None, f"body is not valid JSON: {exc}"
    if not isinstance(payload, dict):
        return None, f"body must be a JSON object, not {_json_type(payload)}"
    name = payload.get("event_name")
    if name is None:
        return payload, "body has no event_name"
    if not isinstance(name, str) or not name:
        return payload, f"event_name must be a non-empty string, not {_json_type(name)}"
    return payload, None


def _ascii_number(text: str) -> int | None:
    """``text`` (blanks around it allowed) as a non-negative integer if it is 1-18 ASCII digits.

    Not ``str.isdigit()``: it is true for ``"²"`` and ``"①"``, which ``int()`` refuses, and
    ``int()`` itself raises past CPython's 4,300-digit limit. Eighteen digits always fit
    SQLite's INTEGER; anything longer is no chat id and no body length we would accept.
    """
    digits = text.strip()
    if 0 < len(digits) <= 18 and digits.isascii() and digits.isdecimal():
        return int(digits)
    return None


def _chat_id(payload: dict[str, Any] | None) -> int | None:
    """The ``chat_id`` column of a delivery: the payload's integer chat id, or ``None``.

    Never raises, whatever the payload holds: it runs on every body, including the ones kept
    after an unexpected error.
    """
    value = payload.get("chat_id") if payload else None
    if isinstance(value, str):
        return _ascii_number(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in _SQLITE_INT_RANGE:
        return value
    return None


def _content_length(header: str | None) -> int | None:
    # Absent or unparseable: the server enforces framing, and we count the bytes anyway.
    return None if header is None else _ascii_number(header)


def _log_failure(
    event: JivoEvent, event_id: int | None, registration: Registration, exc: BaseException
) -> None:
    """Log a handler's exception at ERROR with its traceback (it is also stored with the event).

    The message names the event and the handler; the traceback may quote payload text, which
    is why it goes out at ERROR only (nothing personal at INFO), and never with the secret,
    which no handler sees.
    """
    logger.error(
        "event %s (%s): handler %s raised %s",
        event_id,
        event.event_name,
        registration.label,
        type(unwrap_handler_error(exc)).__name__,
        exc_info=unwrap_handler_error(exc),
    )


def _classify_kept(
    body: bytes, exc: Exception
) -> tuple[EventStatus, str | None, str | None, Reply]:
    """How a body kept after the unexpected error ``exc`` is stored and answered: its status,
    event name, stored error and reply (see :meth:`Receiver._keep_after_error`)."""
    payload, problem = decode_body(body)
    if payload is None or problem is not None:
        reply = _error(400, problem or "malformed body")
        return EventStatus.MALFORMED, None, problem, reply
    name: str = payload["event_name"]
    try:
        parse_event(payload, body)
    except ValidationError as invalid:
        message = f"{name} does not match its model: {describe_validation_error(invalid)}"
        return EventStatus.INVALID, name, message, _error(422, message)
    except Exception as typing_error:
        message = (
            f"{name} could not be validated: internal error ({type(typing_error).__name__}) in "
            "the webhook receiver; replay the event"
        )
        return EventStatus.INVALID, name, message, _error(422, message)
    error = (
        f"internal error ({type(exc).__name__}) in the webhook receiver before the handlers "
        "ran; replay the event"
    )
    return EventStatus.FAILED, name, error, _OK_REPLY


class Receiver:
    """The receiver core shared by every adapter; see the module docstring for the contract.

    ``secrets``: the accepted path secrets (several for rotation), or ``None`` for *insecure
    mode*, where any path secret is accepted (the owner is warned at construction and startup).
    ``store``: the event store, or a function that opens it, called on first use (and again
    after a :class:`StoreUnavailable`, until it succeeds).
    """

    def __init__(
        self,
        *,
        secrets: Sequence[str] | None,
        store: EventStore | Callable[[], EventStore],
        router: Router,
        max_body_bytes: int = 1_048_576,
        response_deadline: float = 2.5,
        handler_timeout: float = 30.0,
        dedupe_window: timedelta | None = DEFAULT_DEDUPE_WINDOW,
    ) -> None:
        if secrets is not None:
            for secret in secrets:
                if not isinstance(secret, str) or not secret:
                    raise JivoConfigError("secret: every webhook secret must be a non-empty string")
                # "%": servers percent-decode the path before routing, so a secret holding
                # "%41" would arrive as "A" and could never match.
                bad = sorted(
                    {c for c in secret if c in "/?#%" or not c.isprintable() or c.isspace()}
                )
                if bad:
                    why = (
                        " (servers percent-decode the URL path, so it could never match)"
                        if "%" in bad
                        else ""
                    )
                    raise JivoConfigError(
                        f"secret: a webhook secret is a URL path segment and cannot contain "
                        f"{', '.join(map(repr, bad))}{why}; use e.g. secrets.token_urlsafe(32)"
                    )
            if not secrets:
                raise JivoConfigError("secret: give at least one secret, or None (insecure)")
        if max_body_bytes < 1:
            raise JivoConfigError("max_body_bytes must be positive")
        if not 0 < response_deadline <= handler_timeout:
            raise JivoConfigError(
                "response_deadline must be positive and no longer than handler_timeout"
            )
        if dedupe_window is not None and dedupe_window < timedelta(0):
            raise JivoConfigError("dedupe_window must not be negative (None: no time limit)")
        # Compare digests: constant time over bytes, and no leak of the secret's length.
        self._secret_digests = (
            None if secrets is None else [hashlib.sha256(s.encode()).digest() for s in secrets]
        )
        self._store: EventStore | None = store if isinstance(store, EventStore) else None
        self._open_store = store if not isinstance(store, EventStore) else None
        self.router = router
        self.max_body_bytes = max_body_bytes
        self.response_deadline = response_deadline
        self.handler_timeout = handler_timeout
        self.dedupe_window = dedupe_window
        # Deliveries being handled now, by dedupe key: the first copy's id and reply.
        self._inflight: dict[str, tuple[int, asyncio.Future[Reply]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_loops: set[asyncio.AbstractEventLoop] = set()
        self._batches: dict[asyncio.AbstractEventLoop, _WriteBatch] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()

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

    # -- the request, step by step -------------------------------------------------------

    def health(self) -> Reply:
        """``GET /healthz`` for every adapter: 200 when the store takes writes, else 503."""
        try:
            self.store.ping()
        except StoreUnavailable as exc:
            return Reply(503, {"status": "error", "error": str(exc)})
        return Reply(200, {"status": "ok"})

    def authorize(self, method: str, secret: str) -> Reply | None:
        """The 404 / 405 reply for this request line, or ``None`` to go on (read the body)."""
        if self._secret_digests is not None:
            given = hashlib.sha256(secret.encode("utf-8", "replace")).digest()
            matched = False
            for digest in self._secret_digests:  # no early exit: constant over all secrets
                matched |= hmac.compare_digest(digest, given)
            if not matched:
                return _error(404, "not found: wrong or missing secret in the webhook URL")
        if method.upper() != "POST":
            return _error(
                405,
                f"method {method} not allowed: Jivo webhooks are POST requests",
                (("Allow", "POST"),),
            )
        return None

    async def read_body(
        self,
        chunks: AsyncIterable[bytes],
        content_length: str | None = None,
        *,
        expect_continue: bool = False,
    ) -> bytes | None:
        """Read the body, never more than ``max_body_bytes``: the bytes, or ``None`` if over.

        ``content_length`` is only a hint to refuse early; the bytes are counted either way,
        so a lying or missing Content-Length (chunked bodies) cannot get past the cap.
        ``expect_continue``: the client sent ``Expect: 100-continue`` and waits before sending
        its body. A declared length over the cap is then refused without reading anything,
        since asking an ASGI server for the body makes it send ``100 Continue`` (an invitation
        to send it all); the adapter answers 413 at once and closes the connection.
        """
        cap = self.max_body_bytes
        declared = _content_length(content_length)
        if declared is not None and declared > cap and expect_continue:
            return None
        iterator = aiter(chunks)
        if declared is not None and declared > cap:
            await self._discard(iterator, 0)
            return None
        parts: list[bytes] = []
        size = 0
        async for chunk in iterator:
            size += len(chunk)
            if size > cap:
                await self._discard(iterator, size)
                return None
            parts.append(chunk)
        return b"".join(parts)

    async def _discard(self, iterator: AsyncIterator[bytes], size: int) -> None:
        limit = self.max_body_bytes * _DISCARD_FACTOR
        async for chunk in iterator:
            size += len(chunk)
            if size > limit:
                return

    def read_body_blocking(
        self, read: Callable[[int], bytes], content_length: str | None
    ) -> bytes | None:
        """:meth:`read_body` for WSGI: ``read(n)`` is ``wsgi.input.read``. ``None`` if over."""
        cap = self.max_body_bytes
        declared = _content_length(content_length)
        if declared is not None and declared > cap:
            return None
        # Read at most one byte past the cap: enough to know the body is too large.
        wanted = cap + 1 if declared is None else declared
        parts: list[bytes] = []
        size = 0
        while size < wanted:
            chunk = read(min(65536, wanted - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return None if size > cap else b"".join(parts)

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
        try:
            return await self._handle(body, remote_addr)
        except Exception as exc:
            # A bug of ours must still not become a 500. The message may quote the payload, so
            # only the type is logged above DEBUG.
            logger.error("unexpected %s while receiving a webhook", type(exc).__name__)
            logger.debug("unexpected error while receiving a webhook", exc_info=True)
            return self._keep_after_error(body, remote_addr, exc)

    def _keep_after_error(
        self, body: bytes | None, remote_addr: str | None, exc: Exception
    ) -> Reply:
        """After an unexpected error: keep the raw body if the store still takes it, and answer.

        A body we could have kept must never be lost, so it is stored (one direct insert,
        outside the group commit that may be what broke) and typed again here: ``failed``
        when it is a valid event (its handlers did not run; ``events replay --failed`` runs
        them) and 200, ``invalid`` and 422 when it breaks its model (or could not even be
        validated), ``malformed`` and 400 when it is not an event at all. Only when the store
        refuses that insert too is the answer 503, so the sender retries. If the body was
        already stored (the error came after its insert), the kept row stands.
        """
        unavailable = _error(503, "internal error in the webhook receiver, retry later")
        if body is None:
            return unavailable
        now = datetime.now(UTC)
        since = None if self.dedupe_window is None else now - self.dedupe_window
        try:
            status, name, error, reply = _classify_kept(body, exc)
            chat_id = _chat_id(decode_body(body)[0])
        except Exception as second:  # a bug in the classification: keep the bare bytes
            logger.error(
                "cannot classify the body after the error either (%s): keeping it as invalid",
                type(second).__name__,
            )
            error = (
                f"internal error ({type(second).__name__}) in the webhook receiver while "
                "validating this body; replay the event"
            )
            status, name, chat_id, reply = EventStatus.INVALID, None, None, _error(422, error)
        try:
            self.store.add(
                NewEvent(
                    now,
                    remote_addr,
                    body,
                    dedupe_key(body),
                    name,
                    chat_id,
                    status,
                    error,
                    reply.body,
                    dedupe_since=since,
                )
            )
        except Exception as second:
            logger.error(
                "cannot keep the body after the error either (%s): answering 503",
                type(second).__name__,
            )
            return unavailable
        return reply

    async def _handle(self, body: bytes | None, remote_addr: str | None) -> Reply:
        if body is None:
            return _error(413, f"body too large: the limit is {self.max_body_bytes} bytes")
        key = dedupe_key(body)
        if key in self._inflight:
            # The same delivery is being handled right now: answer what the first one answers.
            return await self._duplicate_reply(key)
        received_at = datetime.now(UTC)
        since = None if self.dedupe_window is None else received_at - self.dedupe_window

        payload, problem = decode_body(body)

        def new_event(
            status: EventStatus,
            error: str | None = None,
            response: dict[str, Any] | None = None,
        ) -> NewEvent:
            name = payload.get("event_name") if payload is not None and problem is None else None
            return NewEvent(
                received_at,
                remote_addr,
                body,
                key,
                name,
                _chat_id(payload),
                status,
                error,
                response,
                dedupe_since=since,
            )

        if payload is None or problem is not None:
            reply = _error(400, problem or "malformed body")
            return await self._store_final(
                new_event(EventStatus.MALFORMED, problem, reply.body), reply
            )
        event_name: str = payload["event_name"]
        try:
            event = parse_event(payload, body)
        except ValidationError as exc:
            message = f"{event_name} does not match its model: {describe_validation_error(exc)}"
            reply = _error(422, message)
            return await self._store_final(
                new_event(EventStatus.INVALID, message, reply.body), reply
            )

        registrations = self.router.handlers_for(event_name)
        if not registrations:
            # Nothing to run: a single insert records the final state (capture-only serving).
            return await self._store_final(new_event(EventStatus.PROCESSED, None, OK), _OK_REPLY)
        try:
            event_id = await self._add(new_event(EventStatus.RECEIVED))
        except StoreUnavailable as exc:
            return self._unavailable(exc)
        if event_id is None:
            return await self._duplicate_reply(key)
        logger.debug("stored event %d (%s)", event_id, event_name)

        loop = asyncio.get_running_loop()
        reply_future: asyncio.Future[Reply] = loop.create_future()
        if event_name not in RESPONSE_EVENTS:
            reply_future.set_result(_OK_REPLY)
        self._inflight[key] = (event_id, reply_future)
        task = loop.create_task(self._dispatch(event_id, event, registrations, reply_future, key))
        self._tasks.add(task)
        self._task_loops.add(loop)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(reply_future)

    async def _add(self, new: NewEvent) -> int | None:
        """Commit ``new`` with whatever else fell due in the same loop iteration (group commit).

        One transaction per batch instead of one per event: far fewer WAL writes under load,
        and each caller still gets its answer only after the commit.
        """
        committed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._batch().events.append((new, committed))
        return await committed

    async def _record(self, outcome: EventOutcome) -> None:
        """Record a dispatch's outcome in the next group commit."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch().outcomes.append((outcome, committed))
        await committed

    def _batch(self) -> _WriteBatch:
        loop = asyncio.get_running_loop()
        batch = self._batches.get(loop)
        if batch is None:
            batch = self._batches[loop] = _WriteBatch()
            # Runs after every callback already due: all of them join this transaction.
            loop.call_soon(self._commit_batch, loop)
        return batch

    def _commit_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._batches.pop(loop)
        waiting: list[asyncio.Future[Any]] = [f for _, f in batch.events]
        waiting += [f for _, f in batch.outcomes]
        try:
            ids = self.store.write_batch(
                [new for new, _ in batch.events], [outcome for outcome, _ in batch.outcomes]
            )
        except Exception as exc:  # StoreUnavailable, or a bug: every caller gets it
            for future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        results: list[Any] = [*ids, *(None for _ in batch.outcomes)]
        for future, result in zip(waiting, results, strict=True):
            if not future.done():  # a caller whose client went away may be cancelled
                future.set_result(result)

    async def _store_final(self, new: NewEvent, reply: Reply) -> Reply:
        try:
            event_id = await self._add(new)
        except StoreUnavailable as exc:
            return self._unavailable(exc)
        if event_id is None:
            return await self._duplicate_reply(new.dedupe_key)
        logger.debug("stored event %d as %s", event_id, new.status.value)
        return reply

    def _unavailable(self, exc: StoreUnavailable) -> Reply:
        logger.error("answering 503: %s", exc)
        return _error(503, f"event store unavailable, retry later: {exc}")

    async def _duplicate_reply(self, key: str) -> Reply:
        inflight = self._inflight.get(key)
        if inflight is not None:  # the first copy committed in the same batch is running
            first_id, first_reply = inflight
            reply = await asyncio.shield(first_reply)
            return Reply(reply.status, reply.body, ((DUPLICATE_HEADER, str(first_id)),))
        try:
            first = self.store.get_by_dedupe_key(key)
        except StoreUnavailable as exc:
            return self._unavailable(exc)
        if first is None:  # purged between the insert and this read: nothing to repeat
            return _OK_REPLY
        logger.debug("duplicate of event %d", first.id)
        # A row still "received" has no stored reply yet (its handlers run in another process,
        # or the process died): the safe answer, and no second dispatch.
        return Reply(
            first.http_status,
            first.response if first.response is not None else OK,
            ((DUPLICATE_HEADER, str(first.id)),),
        )

    # -- handlers --------------------------------------------------------------------------

    async def _dispatch(
        self,
        event_id: int,
        event: JivoEvent,
        registrations: tuple[Registration, ...],
        reply_future: asyncio.Future[Reply],
        key: str,
    ) -> None:
        try:
            errors, response = await self._run(event, registrations, reply_future, event_id)
            if reply_future.done():
                await self._finish(event_id, errors, reply_future.result().body)
            else:
                # The response was shaped last: one write records it with the outcome, and it
                # goes out only once committed (else the safe answer, which is what a duplicate
                # gets for a row without a stored response).
                shaped = response if response is not None else OK
                committed = await self._finish(event_id, errors, shaped)
                reply_future.set_result(Reply(200, shaped) if committed else _OK_REPLY)
        except Exception:  # pragma: no cover - a bug here must not kill the server
            logger.exception("dispatching event %d failed", event_id)
        finally:
            if not reply_future.done():
                reply_future.set_result(_OK_REPLY)
            self._inflight.pop(key, None)

    async def _finish(self, event_id: int, errors: list[str], response: dict[str, Any]) -> bool:
        """Record the outcome of the handlers; whether it was committed."""
        status = EventStatus.FAILED if errors else EventStatus.PROCESSED
        try:
            await self._record(
                EventOutcome(event_id, status, "\n\n".join(errors) or None, response)
            )
        except StoreUnavailable as exc:
            # The row stays "received": replayable once the store is back.
            logger.error("cannot record the outcome of event %d: %s", event_id, exc)
            return False
        return True

    async def _commit_response(self, event_id: int, response: dict[str, Any]) -> Reply:
        """Commit the response about to be sent while other handlers still run; the reply.

        If the store fails, the safe ``{"result": "ok"}`` goes out instead: that is what a
        duplicate of a row without a stored response is answered, so both answers agree.
        """
        try:
            await self._record(EventOutcome(event_id, EventStatus.RECEIVED, None, response))
        except StoreUnavailable as exc:
            logger.error("cannot record the response of event %d: %s", event_id, exc)
            return _OK_REPLY
        return Reply(200, response)

    async def _run(
        self,
        event: JivoEvent,
        registrations: tuple[Registration, ...],
        reply_future: asyncio.Future[Reply] | None,
        event_id: int | None = None,
    ) -> tuple[list[str], dict[str, Any] | None]:
        """Run every handler; the errors, and the response shaped in time (if any).

        One loop waits on all the handlers' futures at once, with two deadlines: the response
        deadline (while ``reply_future`` waits for a shaped response) and ``handler_timeout``.
        A shaped response is committed (row ``event_id``) before ``reply_future`` gets it; when
        it is shaped after every other handler is done, ``reply_future`` is left pending for
        the caller, which commits the final outcome and the response in one write.
        """
        loop = asyncio.get_running_loop()
        shaping = event.event_name in RESPONSE_EVENTS
        started = loop.time()
        response_deadline = started + self.response_deadline
        handler_deadline = started + self.handler_timeout
        pending = {start_handler(r, event): r for r in registrations}
        errors: list[str] = []
        response: dict[str, Any] | None = None
        shaped_by: str | None = None
        shaped_now: dict[str, Any] | None = None  # shaped in this round, not yet sent

        def waiting() -> bool:
            return reply_future is not None and not reply_future.done()

        while pending:
            # (a timer may fire a hair early: allow a millisecond)
            now = loop.time() + 0.001
            if now >= handler_deadline:
                for future, registration in pending.items():
                    future.cancel()  # a task stops; a running thread cannot and is ignored
                    errors.append(describe_timeout(registration, self.handler_timeout))
                    logger.error(
                        "event %s (%s): handler %s did not finish within %g s",
                        event_id, event.event_name, registration.label, self.handler_timeout,
                    )  # fmt: skip
                pending.clear()
                break
            timeout = handler_deadline - now
            if shaping and waiting():
                timeout = max(0.0, min(timeout, response_deadline - now))
            done, _ = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for future in done:
                registration = pending.pop(future)
                label = registration.label
                exc = future.exception()
                if exc is not None:
                    errors.append(describe_failure(registration, exc))
                    _log_failure(event, event_id, registration, exc)
                    continue
                value = future.result()
                if not registration.is_async and inspect.isawaitable(value):
                    pending[continue_awaitable(value)] = registration
                    continue
                if not shaping or value is None or registration.catch_all:
                    continue
                if shaped_by is not None:
                    errors.append(
                        f"handler {label} returned a response for {event.event_name}, but "
                        f"{shaped_by} already did; only one handler may shape it "
                        "(the first one was sent)"
                    )
                    continue
                try:
                    shaped = to_response(value)
                except ValueError as error:
                    errors.append(f"handler {label} returned {error}; sent {{'result': 'ok'}}")
                    continue
                if reply_future is not None and not waiting():
                    errors.append(
                        f"handler {label} returned its response after the "
                        f"{self.response_deadline:g} s response deadline; "
                        "Jivo got {'result': 'ok'}"
                    )
                    continue
                shaped_by, response = label, shaped
                if reply_future is not None:
                    shaped_now = shaped
            if shaped_now is not None:
                assert reply_future is not None and event_id is not None
                if not pending:
                    # Every handler is done: the caller commits the outcome with the response
                    # in one write, then sends it.
                    break
                # Other handlers still run: commit the response first (the row stays
                # "received"), so a duplicate after a crash gets this answer too.
                reply_future.set_result(await self._commit_response(event_id, shaped_now))
                shaped_now = None
            elif (
                shaping and waiting() and (not pending or loop.time() + 0.001 >= response_deadline)
            ):
                assert reply_future is not None
                reply_future.set_result(_OK_REPLY)
        return errors, response

    # -- replay ----------------------------------------------------------------------------

    async def replay(self, event_id: int) -> ReplayResult:
        """Run the handlers of a stored event again and record the outcome (``attempts`` + 1).

        The reply Jivo got is not changed (it was sent long ago). A ``malformed`` event cannot
        be replayed; an ``invalid`` one is validated again (a newer model may accept it).
        Raises :class:`KeyError` for an unknown id and :class:`StoreUnavailable`.
        """
        stored = self.store.get(event_id)
        if stored is None:
            raise KeyError(f"no stored event with id {event_id}")
        return await self._replay(stored)

    async def _replay(self, stored: StoredEvent) -> ReplayResult:
        payload, problem = decode_body(stored.body)
        if payload is None or problem is not None:
            return ReplayResult(
                stored.id, stored.event_name, None, f"cannot replay a malformed body: {problem}"
            )
        try:
            event = parse_event(payload, stored.body)
        except ValidationError as exc:
            message = (
                f"{stored.event_name} does not match its model: {describe_validation_error(exc)}"
            )
            self.store.finish(
                stored.id, status=EventStatus.INVALID, error=message, response=stored.response
            )
            return ReplayResult(stored.id, stored.event_name, EventStatus.INVALID, message)
        registrations = self.router.handlers_for(event.event_name)
        errors, _ = await self._run(event, registrations, None, stored.id)
        status = EventStatus.FAILED if errors else EventStatus.PROCESSED
        error = "\n\n".join(errors) or None
        self.store.finish(stored.id, status=status, error=error, response=stored.response or OK)
        return ReplayResult(stored.id, event.event_name, status, error)

    async def replay_failed(self, *, limit: int | None = None) -> list[ReplayResult]:
        """Replay every ``failed`` event, oldest first."""
        events = self.store.list(status=EventStatus.FAILED, limit=limit, newest_first=False)
        return [await self._replay(stored) for stored in events]

    async def replay_stuck(
        self, older_than: timedelta = timedelta(minutes=5), *, limit: int | None = None
    ) -> list[ReplayResult]:
        """Replay events still ``received`` after ``older_than``: their process died mid-way."""
        events = self.store.list(
            status=EventStatus.RECEIVED,
            until=datetime.now(UTC) - older_than,
            limit=limit,
            newest_first=False,
        )
        return [await self._replay(stored) for stored in events]

    def warn_about_stuck_events(self, older_than: timedelta = timedelta(minutes=5)) -> int:
        """Log a WARNING (a count, no personal data) when events are still ``received`` after
        ``older_than`` — left by a process that died while their handlers ran; how many.

        Servers call it at startup, which also opens the store: one that cannot be opened or
        read is reported at ERROR (deliveries get 503 until it can, and ``/healthz`` fails).
        """
        try:
            count = self.store.count(
                status=EventStatus.RECEIVED, until=datetime.now(UTC) - older_than
            )
        except StoreUnavailable as exc:
            logger.error("%s; deliveries get 503 until it is fixed", exc)
            return 0
        if count:
            logger.warning(
                "%d event(s) still 'received' after %s: a process died while their handlers "
                "ran; replay them with `jivo-widget events replay --stuck --app MODULE:ATTR`",
                count,
                older_than,
            )
        return count

    # -- lifecycle -------------------------------------------------------------------------

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until the handlers started on this loop are done; ``False`` on timeout."""
        loop = asyncio.get_running_loop()
        tasks = [task for task in self._tasks if task.get_loop() is loop]
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        return not pending

    def handle_blocking(
        self, method: str, secret: str, body: bytes | None, remote_addr: str | None
    ) -> Reply:
        """:meth:`handle` for synchronous servers (WSGI, sync Django views).

        Runs on a private event loop in a daemon thread, shared by every calling thread, where
        the handlers also keep running after the reply.
        """
        future = asyncio.run_coroutine_threadsafe(
            self.handle(method, secret, body, remote_addr), self._private_loop()
        )
        return future.result()

    def drain_blocking(self, timeout: float | None = None) -> bool:
        """:meth:`drain` from a thread outside the event loops: waits for the handlers started
        on every loop this receiver served on (the server's, :meth:`handle_blocking`'s)."""
        done = True
        for loop in list(self._task_loops):
            if not loop.is_running():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                raise RuntimeError(
                    "drain_blocking() called on the loop it waits for; await drain()"
                )
            done &= asyncio.run_coroutine_threadsafe(self.drain(timeout), loop).result()
        return done

    def close(self) -> None:
        """Stop the background event loop :meth:`handle_blocking` runs on (a later call starts
        a new one). Handlers still running there are abandoned: :meth:`drain_blocking` first.
        The store is not closed."""
        with self._loop_lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            self._task_loops.discard(loop)
            loop.call_soon_threadsafe(loop.stop)

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=_run_until_stopped, args=(loop,), name="jivo-webhooks", daemon=True
                ).start()
                self._loop = loop
            return self._loop


def _run_until_stopped(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_forever()
    finally:
        loop.close()
