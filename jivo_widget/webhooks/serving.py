"""Read timeouts for the uvicorn server ``jivo-widget serve`` runs (the ``server`` extra).

uvicorn bounds only the idle time *between* requests on a kept-alive connection. A client that
connects and sends nothing, or sends its request headers or body a byte at a time, holds a
connection (and its memory) for as long as it likes: a handful of such clients is a cheap
denial of service. :func:`read_timeout_protocol` gives uvicorn's h11 protocol two deadlines:

* **headers**: from the moment the connection opens (or, on a kept-alive connection, from the
  next request's first byte) until the request headers are complete;
* **body**: from the end of the headers until the whole body has arrived.

Past either, the connection is closed. Nothing is stored: the receiver only ever stores a
complete body, and the sender, seeing no answer, retries. Pass the class to uvicorn::

    uvicorn.run(hooks.asgi(), http=read_timeout_protocol(10.0))
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_READ_TIMEOUT", "read_timeout_protocol"]

logger = logging.getLogger("jivo_widget.webhooks")

#: Seconds a client has to send its request headers, and again its body. Jivo's servers send a
#: delivery (a few kilobytes) at once; ten seconds leaves room for a slow network.
DEFAULT_READ_TIMEOUT = 10.0


class _ReadDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the header and body deadlines of the module docstring.

    The phase is read from h11's public state machine after every event uvicorn handles:
    ``their_state`` is ``IDLE`` while the request headers are awaited, ``SEND_BODY`` while the
    body is, ``DONE`` (or closed) once the request is complete.
    """

    read_timeout: float = DEFAULT_READ_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the headers deadline: a connection that sends nothing must not stay open."""
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        super().connection_made(transport)
        self._start("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Hand the bytes to uvicorn, then follow the request to its next phase."""
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        """After a response the connection is idle (uvicorn's keep-alive timeout applies) until
        the next request's first byte, unless it is already buffered (pipelining)."""
        super().on_response_complete()
        self._follow()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        """The connection is handed to another protocol: its deadlines are not ours."""
        self._stop()
        super().handle_websocket_upgrade(event)

    def _follow(self) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            buffered, _ = self.conn.trailing_data
            if buffered and self._phase != "headers":
                self._start("headers")  # the next request has begun
            elif not buffered and self._phase == "body":
                self._stop()
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                self._start("body")
        else:  # DONE, MUST_CLOSE, CLOSED, ERROR: the request is in (or gone)
            self._stop()

    def _start(self, phase: str) -> None:
        self._stop()
        self._phase = phase
        self._deadline = self.loop.call_later(self.read_timeout, self._expire, phase)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, None

    def _expire(self, phase: str) -> None:
        self._deadline, self._phase = None, None
        if not self.transport.is_closing():
            # No client address: the log must not collect personal data at INFO.
            logger.info(
                "closed a connection: request %s not received within %g s", phase, self.read_timeout
            )
            self.transport.close()


def read_timeout_protocol(timeout: float = DEFAULT_READ_TIMEOUT) -> type[H11Protocol]:
    """An h11 protocol class for uvicorn (``http=``) that closes a connection whose request
    headers, or then body, take longer than ``timeout`` seconds to arrive."""
    if not timeout > 0:
        raise ValueError("the read timeout must be a positive number of seconds")
    return type("ReadDeadlineH11Protocol", (_ReadDeadlineH11Protocol,), {"read_timeout": timeout})
