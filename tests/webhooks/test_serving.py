"""Slow clients (:mod:`jivo_widget.webhooks.serving`) and ``Expect: 100-continue``, over raw
sockets.

A client that sent its headers or body a byte at a time (or nothing at all) held a connection of
``jivo-widget serve`` forever; ``serve --read-timeout`` bounds both. A body announced over the
cap with ``Expect: 100-continue`` got ``100 Continue`` (an invitation to send the megabytes)
before its 413; it now gets the 413 at once.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.store import open_store

if TYPE_CHECKING:
    from conftest import JivoCli, Served

    from webhooks.conftest import Servers

SECRET = "slow-client-secret"

READ_TIMEOUT = 1.0
PATIENCE = 12.0  # how long the test keeps trickling before it calls the server's patience endless


@pytest.fixture
def slow_serve(tmp_path: Path, jivo_cli: JivoCli) -> Served:
    """``jivo-widget serve --read-timeout 1``."""
    return jivo_cli.serve(tmp_path, "--secret", SECRET, "--read-timeout", str(READ_TIMEOUT))


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)


def _closed_within(sock: socket.socket, trickle: bytes, interval: float) -> float | None:
    """Send ``trickle`` a byte every ``interval`` s (then nothing) until the server closes the
    connection; the seconds it took, or ``None`` if it was still open after ``PATIENCE``."""
    started = time.monotonic()
    pending = trickle
    while time.monotonic() - started < PATIENCE:
        if pending:
            try:
                sock.sendall(pending[:1])
            except OSError:  # reset: the server closed it
                return time.monotonic() - started
            pending = pending[1:]
        readable, _, _ = select.select([sock], [], [], interval)
        if readable:
            try:
                while sock.recv(65536):
                    pass  # an answer (a 408, say) before the close is fine
            except OSError:
                pass
            return time.monotonic() - started
    return None


HEAD = f"POST /jivo/webhook/{SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()


def test_headers_sent_a_byte_at_a_time_are_cut_off(slow_serve: Served) -> None:
    with _connect(slow_serve.base) as sock:
        sock.sendall(HEAD)
        took = _closed_within(sock, b"X-Slow: " + b"a" * 200, interval=0.2)
    assert took is not None, "serve held a client trickling its headers"
    assert took < READ_TIMEOUT + 5


def test_a_connection_that_sends_nothing_is_closed(slow_serve: Served) -> None:
    with _connect(slow_serve.base) as sock:
        took = _closed_within(sock, b"", interval=0.2)
    assert took is not None and took < READ_TIMEOUT + 5


def test_a_body_sent_a_byte_at_a_time_is_cut_off_and_not_stored(slow_serve: Served) -> None:
    body = samples.load_bytes("chat_finished")
    with _connect(slow_serve.base) as sock:
        sock.sendall(HEAD + f"Content-Length: {len(body)}\r\n\r\n".encode())
        took = _closed_within(sock, body, interval=0.2)
    assert took is not None, "serve held a client trickling its body"
    assert took < READ_TIMEOUT + 5
    assert open_store(slow_serve.store, read_only=True).count() == 0


def _read_response(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_a_prompt_client_on_a_kept_alive_connection_is_served(slow_serve: Served) -> None:
    with _connect(slow_serve.base) as sock:
        for event in ("chat_finished", "offline_message"):
            body = samples.load_bytes(event)
            head = HEAD + f"Content-Length: {len(body)}\r\n\r\n".encode()
            for part in (head, body[:50], body[50:]):  # a few packets, well within the timeout
                sock.sendall(part)
                time.sleep(0.1)
            assert _read_response(sock).startswith(b"HTTP/1.1 200 "), event
            time.sleep(READ_TIMEOUT * 0.5)  # idle between requests: the keep-alive's business
    assert open_store(slow_serve.store, read_only=True).count() == 2


def test_serve_rejects_a_bad_read_timeout(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("serve", "--read-timeout", "0", "--secret", "s", cwd=tmp_path)
    assert result.returncode == 2 and "--read-timeout" in result.stderr


# -- Expect: 100-continue ----------------------------------------------------------------------

CAP = 4096


def _expect_request(length: int) -> bytes:
    return (
        HEAD
        + (
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
            "Expect: 100-continue\r\n\r\n"
        ).encode()
    )


def _first_response(sock: socket.socket) -> bytes:
    """What the server says before the client sends any body (waits up to 5 s)."""
    sock.settimeout(5)
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass
    return received


@pytest.fixture(params=["asgi", "fastapi", "serve"])
def capped(
    request: pytest.FixtureRequest, tmp_path: Path, servers: Servers, jivo_cli: JivoCli
) -> Iterator[tuple[str, Callable[[], int]]]:
    """A receiver with a 4 KiB cap: the ASGI app and the FastAPI router under uvicorn, and
    ``jivo-widget serve`` (whose cap is the app's); its base URL and a stored-row counter."""
    if request.param == "serve":
        (tmp_path / "capped.py").write_text(
            "from jivo_widget.webhooks import WebhookApp\n"
            f"hooks = WebhookApp(secret={SECRET!r}, store='sqlite:///events.db', "
            f"max_body_bytes={CAP})\n",
            encoding="utf-8",
        )
        served = jivo_cli.serve(tmp_path, "--app", "capped:hooks", "--secret", SECRET)
        try:
            yield served.base, lambda: open_store(served.store, read_only=True).count()
        finally:
            served.stop()
        return
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'e.db'}", max_body_bytes=CAP)
    yield servers.adapter(request.param, hooks), hooks.store.count


def test_expect_continue_over_the_cap_gets_413_at_once(
    capped: tuple[str, Callable[[], int]],
) -> None:
    base, count = capped
    with _connect(base) as sock:
        sock.sendall(_expect_request(CAP + 1))
        answer = _first_response(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer  # not "100 Continue" first
    assert b"100 Continue" not in answer
    assert count() == 0


def test_expect_continue_within_the_cap_still_gets_100_then_the_answer(
    capped: tuple[str, Callable[[], int]],
) -> None:
    base, count = capped
    body = samples.load_bytes("chat_finished")
    with _connect(base) as sock:
        sock.sendall(_expect_request(len(body)))
        assert _first_response(sock).startswith(b"HTTP/1.1 100 ")
        sock.sendall(body)
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
    assert count() == 1
