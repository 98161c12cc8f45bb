"""The ``jivo_webhooks`` pytest fixture: post Jivo events to your own handlers in one line.

::

    from myshop.hooks import hooks

    def test_known_customer_gets_a_crm_card(jivo_webhooks):
        sent = jivo_webhooks(hooks).send("chat_accepted", visitor={"email": "ann@example.com"})
        assert sent.status == 200
        assert sent.json["crm_link"] == "https://crm.example.com/customers/42"
        assert sent.event.status == "processed"

``jivo_webhooks(hooks)`` is a :class:`WebhookTestClient` over a copy of your
:class:`~jivo_widget.webhooks.WebhookApp`: the same handlers and limits, a fresh
``sqlite:///:memory:`` store and a URL secret of its own, so your real store and secret are
never touched. Deliveries go through the real receiver (the WSGI adapter, in-process, no
socket), and each call returns once the event's handlers have finished.

Payloads are the realistic samples ``jivo-widget trigger`` posts, with your overrides merged
in: ``visitor={"email": ...}`` changes one field and keeps the others; ``visitor=None`` sends an
event without a visitor. An override path that neither the sample nor the event's model has
(``visitor={"emial": ...}``) is an error naming the nearest one, unless ``add=True``.

A handler that raises makes :meth:`WebhookTestClient.send` fail the test with the handler's
traceback (Jivo still got a 200, so the status alone would not show it); pass ``check=False``
to look at the failed event instead.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import secrets
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from wsgiref.util import setup_testing_defaults

import pytest

from jivo_widget.errors import HandlerFailed
from jivo_widget.webhooks.contract import DUPLICATE_HEADER, WEBHOOK_PREFIX

if TYPE_CHECKING:
    from jivo_widget.webhooks import ReplayResult, StoredEvent, WebhookApp
    from jivo_widget.webhooks.store import EventStore

__all__ = ["HandlerFailed", "JivoWebhooks", "SentEvent", "WebhookTestClient", "jivo_webhooks"]


@dataclass(frozen=True)
class SentEvent:
    """What one delivery got: the answer Jivo would see, and the stored event.

    ``event`` is the stored row after the handlers finished (``status`` ``processed``,
    ``failed``, ``invalid`` or ``malformed``; its ``response`` is what was sent), or ``None``
    when nothing was stored (404, 405, 413).
    """

    status: int
    json: Any
    headers: Mapping[str, str]
    body: bytes
    event: StoredEvent | None

    @property
    def duplicate_of(self) -> int | None:
        """The id of the stored event this body repeats (``X-Jivo-Duplicate-Of``), if any."""
        value = self.headers.get(DUPLICATE_HEADER)
        return None if value is None else int(value)


def _merge(
    event_name: str,
    root: dict[str, Any],
    target: dict[str, Any],
    fields: Mapping[str, Any],
    prefix: str,
    add: bool,
) -> None:
    """Merge ``fields`` into ``target`` (the object at ``prefix`` in ``root``): objects into
    objects key by key, anything else replaced; every path checked unless ``add``."""
    from jivo_widget.webhooks.simulator import check_override_path

    for key, value in fields.items():
        path = f"{prefix}{key}"
        if not add:
            check_override_path(event_name, root, path, add_hint="add=True")
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            _merge(event_name, root, current, value, f"{path}.", add)
        else:
            target[key] = copy.deepcopy(value)


class WebhookTestClient:
    """Posts events to a copy of a :class:`~jivo_widget.webhooks.WebhookApp` (same handlers
    and limits, its own secret and store); see the module docstring.

    ``hooks`` is that copy: register more handlers on it (or on the original: they share
    their handlers) and read :attr:`store`.
    """

    def __init__(self, hooks: WebhookApp, *, store: str | EventStore = "sqlite:///:memory:"):
        self.secret = secrets.token_urlsafe(16)
        self.hooks = hooks.configured(secret=self.secret, store=store)
        self._wsgi = self.hooks.wsgi()

    @property
    def store(self) -> EventStore:
        """The events this client sent, as the receiver stored them."""
        return self.hooks.store

    def events(self) -> list[StoredEvent]:
        """Every stored event, oldest first."""
        return self.store.list(limit=None, newest_first=False)

    def payload(self, event_name: str, /, *, add: bool = False, **fields: Any) -> dict[str, Any]:
        """The sample payload ``jivo-widget trigger`` posts for ``event_name``, with ``fields``
        merged in (objects key by key: ``visitor={"email": ...}`` keeps the visitor's name).

        Raises :class:`~jivo_widget.webhooks.simulator.OverrideError` (a ``ValueError``) for
        an event without a sample, or a path the sample and the model both lack unless
        ``add``.
        """
        from jivo_widget.webhooks.simulator import build_payload

        payload = build_payload(event_name)
        _merge(event_name, payload, payload, fields, "", add)
        return payload

    def send(
        self, event_name: str, /, *, add: bool = False, check: bool = True, **fields: Any
    ) -> SentEvent:
        """Post the sample ``event_name`` with ``fields`` merged in (see :meth:`payload`) and
        wait for its handlers. ``check``: fail (:class:`HandlerFailed`) if a handler did."""
        return self.post(self.payload(event_name, add=add, **fields), check=check)

    def post(
        self,
        body: Mapping[str, Any] | bytes | str,
        *,
        check: bool = True,
        method: str = "POST",
        secret: str | None = None,
    ) -> SentEvent:
        """Deliver any body (an object is sent as JSON, bytes as they are) and wait for its
        handlers; ``secret`` (default: the right one) and ``method`` test the refusals."""
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        status, headers, content = self._request(method, secret or self.secret, raw)
        receiver = self.hooks.receiver
        if not receiver.drain_blocking(timeout=receiver.handler_timeout + 5):
            raise HandlerFailed("the event's handlers were still running after their deadline")
        event = self._stored(raw) if status not in (404, 405, 413) else None
        sent = SentEvent(status, json.loads(content), headers, raw, event)
        if check and event is not None and event.status in ("failed", "received"):
            raise HandlerFailed(
                f"{event.event_name} (event {event.id}) {event.status}: {event.error}\n"
                "(pass check=False to inspect a failing event)"
            )
        return sent

    def replay(self, event_id: int) -> ReplayResult:
        """Run the handlers of a stored event again, as ``jivo-widget events replay`` does."""
        with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, whatever runs here
            return pool.submit(asyncio.run, self.hooks.receiver.replay(event_id)).result()

    def close(self) -> None:
        """Stop the receiver's background loop and close the store."""
        self.hooks.receiver.close()
        self.store.close()

    def _request(self, method: str, secret: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": WEBHOOK_PREFIX + secret,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
        }
        setup_testing_defaults(environ)
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            started.append((status, headers))

        content = b"".join(self._wsgi(environ, start_response))
        status, headers = started[0]
        return int(status.split(" ", 1)[0]), dict(headers), content

    def _stored(self, body: bytes) -> StoredEvent | None:
        from jivo_widget.webhooks.store import dedupe_key

        return self.store.get_by_dedupe_key(dedupe_key(body))


class JivoWebhooks:
    """The ``jivo_webhooks`` fixture's value: call it with your app for a test client."""

    def __init__(self) -> None:
        self._clients: list[WebhookTestClient] = []

    def __call__(
        self, hooks: WebhookApp, *, store: str | EventStore = "sqlite:///:memory:"
    ) -> WebhookTestClient:
        """A :class:`WebhookTestClient` over a copy of ``hooks`` with a fresh ``store``."""
        client = WebhookTestClient(hooks, store=store)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client made in this test."""
        while self._clients:
            self._clients.pop().close()


@pytest.fixture
def jivo_webhooks() -> Iterator[JivoWebhooks]:
    """Post Jivo webhook events to your own handlers: ``jivo_webhooks(hooks).send(...)``.

    See :mod:`jivo_widget.testing.webhooks`. Each test gets fresh in-memory stores.
    """
    clients = JivoWebhooks()
    yield clients
    clients.close()
