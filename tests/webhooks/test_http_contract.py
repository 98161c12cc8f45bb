"""The HTTP contract (:mod:`jivo_widget.webhooks.contract`) through a real uvicorn server: the
bad-input catalogue.

Each case asserts the status code, the error message and what is (or is not) stored.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jivo_widget.webhooks import EventStatus, JivoEvent, StoredEvent, WebhookApp, samples
from jivo_widget.webhooks.contract import status_code
from jivo_widget.webhooks.store import dedupe_key

if TYPE_CHECKING:
    from webhooks.conftest import Servers

SECRET = "s3cret-Path_token"


@pytest.fixture
def hooks(store_url: str) -> WebhookApp:
    return WebhookApp(secret=SECRET, store=store_url)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture
def url(hooks: WebhookApp, servers: Servers) -> str:
    """The base URL of ``hooks.asgi()`` under uvicorn (handlers may be added afterwards)."""
    return servers.asgi(hooks.asgi())


def hook_url(base: str, secret: str = SECRET) -> str:
    return f"{base}/jivo/webhook/{secret}"


def only_event(hooks: WebhookApp) -> StoredEvent:
    events = hooks.store.list()
    assert len(events) == 1, events
    return events[0]


def wait_until_finished(hooks: WebhookApp, event_id: int) -> StoredEvent:
    """Handlers run after the reply: wait (on the receiver's own tasks) for their outcome."""
    assert hooks.receiver.drain_blocking(10)
    stored = hooks.store.get(event_id)
    assert stored is not None
    return stored


def raw_request(base: str, request: bytes, *, then_close: bool = False) -> bytes:
    """Send raw bytes over a socket; the raw response (empty if the server just closed)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(request)
        if then_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and not then_close:
                head, _, rest = received.partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if length and len(rest) >= length[0]:
                    break
        return received


# -- every event type round-trips -----------------------------------------------------------


@pytest.mark.parametrize("name", samples.names())
def test_every_sample_event_round_trips(
    name: str, hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    seen: list[JivoEvent] = []
    hooks.on(name)(seen.append)
    body = samples.load_bytes(name)
    response = client.post(hook_url(url), content=body)
    assert (response.status_code, response.json()) == (200, {"result": "ok"})
    assert response.headers["content-type"] == "application/json"
    stored = wait_until_finished(hooks, only_event(hooks).id)
    assert (stored.event_name, stored.status, stored.body) == (name, EventStatus.PROCESSED, body)
    assert stored.remote_addr == "127.0.0.1"
    assert stored.chat_id == samples.load(name).get("chat_id")
    assert [type(e).event_type for e in seen] == [name]


def test_chat_accepted_answers_with_the_handler_response(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    @hooks.on("chat_accepted")
    def card(event: Any) -> dict[str, Any]:
        return {
            "custom_data": [{"title": "Plan", "content": "Pro"}],
            "crm_link": f"https://crm.example.com/?email={event.visitor.email}",
            "enable_assign": True,
        }

    response = client.post(hook_url(url), content=samples.load_bytes("chat_accepted"))
    expected = {
        "result": "ok",
        "custom_data": [{"content": "Pro", "title": "Plan"}],
        "enable_assign": True,
        "crm_link": "https://crm.example.com/?email=john.smith@example.com",
    }
    assert (response.status_code, response.json()) == (200, expected)
    assert wait_until_finished(hooks, only_event(hooks).id).response == expected


def test_content_type_is_neither_required_nor_trusted(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    body = samples.load_bytes("offline_message")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {} if content_type is None else {"content-type": content_type}
        response = client.post(hook_url(url), content=body, headers=headers)
        assert response.status_code == 200
    assert only_event(hooks).status is EventStatus.PROCESSED


def test_unknown_event_is_stored_and_answered_ok(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    body = b'{"event_name": "chat_rated", "chat_id": 77, "rate": "positive"}'
    response = client.post(hook_url(url), content=body)
    assert (response.status_code, response.json()) == (200, {"result": "ok"})
    stored = only_event(hooks)
    assert (stored.event_name, stored.chat_id, stored.status) == (
        "chat_rated",
        77,
        EventStatus.PROCESSED,
    )


# -- the bad-input catalogue ----------------------------------------------------------------

NON_UTF8 = b'{"event_name": "chat_finished", "visitor": {"name": "Jos\xe9"}}'
DEEP = b'{"event_name": "x", "a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
MALFORMED = [
    pytest.param(b'{"event_name": "chat_finished"', "body is not valid JSON", id="truncated"),
    pytest.param(b"event_name=x", "body is not valid JSON: Expecting value", id="invalid-json"),
    pytest.param(NON_UTF8, "body is not UTF-8 (invalid byte at offset 56)", id="non-utf8"),
    pytest.param(b'[{"event_name": "x"}]', "body must be a JSON object, not an array", id="array"),
    pytest.param(b'{"chat_id": 1}', "body has no event_name", id="no-event-name"),
    pytest.param(b"", "body is empty", id="empty-body"),
    pytest.param(DEEP, "body is not valid JSON: nested deeper than 500 levels", id="deeply-nested"),
    pytest.param(
        b'{"event_name": "chat_finished", "chat_id": ' + b"9" * 5000 + b"}",
        "body is not valid JSON: Exceeds the limit",
        id="huge-integer",
    ),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED)
def test_malformed_body_is_400_and_stored_as_malformed(
    body: bytes, message: str, hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    response = client.post(hook_url(url), content=body)
    assert response.status_code == 400
    assert response.json()["result"] == "error"
    assert response.json()["error"].startswith(message)
    stored = only_event(hooks)
    assert (stored.status, stored.body, stored.dedupe_key) == (
        EventStatus.MALFORMED,
        body,
        dedupe_key(body),
    )
    assert stored.error is not None and stored.error.startswith(message)
    assert stored.response == response.json()
    # The same bytes again: the same answer, still one row.
    again = client.post(hook_url(url), content=body)
    assert (again.status_code, again.json()) == (400, response.json())
    assert hooks.store.count() == 1


def test_nesting_within_the_parser_limit_is_fine(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    body = b'{"event_name": "chat_rated", "a": ' + b"[" * 500 + b"]" * 500 + b"}"
    assert client.post(hook_url(url), content=body).status_code == 200
    assert only_event(hooks).status is EventStatus.PROCESSED


def test_event_failing_its_model_is_422_and_stored_as_invalid(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    payload = samples.load("chat_finished")
    payload["chat"]["messages"][0]["timestamp"] = "yesterday"
    body = json.dumps(payload).encode()
    response = client.post(hook_url(url), content=body)
    assert response.status_code == 422
    message = response.json()["error"]
    assert message.startswith("chat_finished does not match its model: ")
    assert "chat.messages.0.timestamp: Input should be a valid integer" in message
    assert "yesterday" not in message  # the input (personal data, maybe) is not echoed
    stored = only_event(hooks)
    assert (stored.status, stored.error, stored.chat_id) == (EventStatus.INVALID, message, 4325)


def test_huge_body_is_413_and_nothing_stored(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    body = b'{"event_name": "chat_finished", "pad": "' + b"x" * 1_100_000 + b'"}'
    response = client.post(hook_url(url), content=body)
    assert response.status_code == 413
    assert response.json()["error"] == "body too large: the limit is 1048576 bytes"
    assert hooks.store.count() == 0


def test_huge_chunked_body_is_413_and_nothing_stored(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    def chunked() -> Iterator[bytes]:
        yield b'{"event_name": "chat_finished", "pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(hook_url(url), content=chunked())  # no Content-Length
    assert response.status_code == 413
    assert hooks.store.count() == 0


def test_lying_content_length_cannot_smuggle_a_bigger_body(hooks: WebhookApp, url: str) -> None:
    # Content-Length says 20: the server takes 20 bytes as the body; the rest is not a request
    # (the HTTP layer rejects it and closes the connection).
    body = b'{"event_name": "chat_finished", "pad": "' + b"x" * 1000 + b'"}'
    head = f"POST /jivo/webhook/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
    try:
        answer = raw_request(url, head.encode() + body, then_close=True)
    except ConnectionResetError:
        answer = b""
    assert b" 500 " not in answer
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 ")
    # Whatever was answered, nothing beyond the declared 20 bytes was ever taken as a body.
    assert all(event.body == body[:20] for event in hooks.store.list())
    assert all(event.status is EventStatus.MALFORMED for event in hooks.store.list())


def test_truncated_transfer_stores_nothing(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    head = f"POST /jivo/webhook/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n"
    raw_request(url, head.encode() + b'{"event_name": "chat_fini', then_close=True)
    # The server is still fine, and the cut-off delivery left no row.
    response = client.post(hook_url(url), content=samples.load_bytes("call_event"))
    assert response.status_code == 200
    assert only_event(hooks).event_name == "call_event"


@pytest.mark.parametrize("secret", ["wrong", SECRET.upper(), SECRET + "x", "%00", "ключ"])
def test_wrong_secret_is_404_and_nothing_stored(
    secret: str, hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    response = client.post(hook_url(url, secret), content=samples.load_bytes("chat_finished"))
    assert response.status_code == 404
    assert response.json() == {
        "result": "error",
        "error": "not found: wrong or missing secret in the webhook URL",
    }
    assert hooks.store.count() == 0


@pytest.mark.parametrize("path", ["/jivo/webhook", "/jivo/webhook/", "/jivo/webhook/a/b", "/x"])
def test_other_paths_are_json_404(
    path: str, hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    response = client.post(url + path, content=samples.load_bytes("chat_finished"))
    assert response.status_code == 404
    assert response.json()["result"] == "error"
    assert hooks.store.count() == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method_is_405(
    method: str, hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    response = client.request(method, hook_url(url))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == (
        f"method {method} not allowed: Jivo webhooks are POST requests"
    )
    assert client.get(hook_url(url, "wrong")).status_code == 404  # no hint for a wrong secret
    assert hooks.store.count() == 0


def test_duplicate_gets_the_first_response_and_handlers_run_once(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    calls: list[int] = []

    @hooks.on("chat_accepted")
    def card(event: Any) -> dict[str, Any]:
        calls.append(1)
        return {"crm_link": f"https://crm.example.com/{len(calls)}"}

    body = samples.load_bytes("chat_accepted")
    first = client.post(hook_url(url), content=body)
    second = client.post(hook_url(url), content=body)
    assert first.json() == {"result": "ok", "crm_link": "https://crm.example.com/1"}
    assert (second.status_code, second.json()) == (200, first.json())
    assert calls == [1]
    assert hooks.store.count() == 1


def test_handler_raising_is_200_ok_and_kept_failed_for_replay(
    hooks: WebhookApp, url: str, client: httpx.Client
) -> None:
    @hooks.on("chat_finished")
    def save_transcript(event: Any) -> None:
        raise RuntimeError("transcript store is down")

    response = client.post(hook_url(url), content=samples.load_bytes("chat_finished"))
    assert (response.status_code, response.json()) == (200, {"result": "ok"})
    stored = wait_until_finished(hooks, only_event(hooks).id)
    assert (stored.status, stored.attempts) == (EventStatus.FAILED, 1)
    assert stored.error is not None
    assert "save_transcript raised RuntimeError: transcript store is down" in stored.error
    assert stored.response == {"result": "ok"}


def test_slow_handler_gets_the_safe_answer_in_time(
    store_url: str, servers: Servers, client: httpx.Client
) -> None:
    hooks = WebhookApp(secret=SECRET, store=store_url, response_deadline=0.3)
    release = threading.Event()

    @hooks.on("chat_accepted")
    def slow_crm_lookup(event: Any) -> dict[str, Any]:
        release.wait(10)
        return {"crm_link": "https://crm.example.com/too-late"}

    url = servers.asgi(hooks.asgi())
    response = client.post(hook_url(url), content=samples.load_bytes("chat_accepted"))
    assert (response.status_code, response.json()) == (200, {"result": "ok"})
    release.set()
    stored = wait_until_finished(hooks, only_event(hooks).id)
    assert stored.status is EventStatus.FAILED
    assert stored.error is not None
    assert "slow_crm_lookup returned its response after the 0.3 s response deadline" in (
        stored.error
    )


def test_store_file_read_only_at_startup_is_a_clear_error(
    tmp_path: Path,
    make_read_only: Any,  # conftest.ReadOnlyFiles
) -> None:
    path = tmp_path / "events.db"
    WebhookApp(secret=SECRET, store=f"sqlite:///{path}").store.close()
    make_read_only(path)
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{path}")  # opened on first use
    message = r"cannot open the event store .*the file is read-only"
    with pytest.raises(Exception, match=message):
        _ = hooks.store
    reply = hooks.receiver.handle_blocking("POST", SECRET, samples.load_bytes("call_event"), None)
    assert reply.status == 503 and re.search(message, reply.body["error"])
    assert hooks.receiver.health().status == 503


def test_store_made_read_only_while_serving_is_503_then_recovers(
    tmp_path: Path,
    servers: Servers,
    client: httpx.Client,
    make_read_only: Any,  # conftest.ReadOnlyFiles,
) -> None:
    path = tmp_path / "events.db"
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{path}")
    url = servers.asgi(hooks.asgi())
    assert client.post(hook_url(url), content=samples.load_bytes("call_event")).status_code == 200
    wal = path.with_name("events.db-wal")
    make_read_only(wal, even_open_files=True)
    make_read_only(path, even_open_files=True)
    body = samples.load_bytes("offline_message")
    response = client.post(hook_url(url), content=body)
    assert response.status_code == 503
    assert response.json()["error"].startswith("event store unavailable, retry later: ")
    assert client.get(url + "/healthz").status_code == 503  # healthz and deliveries agree
    make_read_only.undo()
    retry = client.post(hook_url(url), content=body)  # Jivo retries after a 5xx
    assert retry.status_code == 200
    assert sorted(e.event_name or "" for e in hooks.store.list()) == [
        "call_event",
        "offline_message",
    ]


def test_healthz(url: str, client: httpx.Client) -> None:
    response = client.get(url + "/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_insecure_mode_accepts_any_secret(
    store_url: str, servers: Servers, client: httpx.Client
) -> None:
    import logging

    with pytest.warns(UserWarning, match="no Jivo webhook secret configured"):
        hooks = WebhookApp(secret=None, store=store_url)
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    collector = Collect()
    logging.getLogger("jivo_widget.webhooks").addHandler(collector)
    try:
        url = servers.asgi(hooks.asgi())
    finally:
        logging.getLogger("jivo_widget.webhooks").removeHandler(collector)
    assert warnings == [
        "NO WEBHOOK SECRET CONFIGURED: /jivo/webhook/<anything> accepts events from anyone"
    ]
    assert client.post(url + "/jivo/webhook/anything", content=b'{"event_name":"x"}').is_success
    assert client.post(url + "/jivo/webhook", content=b'{"event_name":"y"}').is_success
    assert hooks.store.count() == 2


# Printable ASCII without surrounding blanks: what an HTTP client can send as a header value.
_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).map(
    str.strip
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.binary(max_size=2000)
    | st.builds(
        lambda payload: json.dumps(payload).encode(),
        st.dictionaries(
            st.sampled_from(["event_name", "chat_id", "visitor", "tags", "agents", "x"]),
            st.none() | st.integers() | st.text(max_size=10) | st.lists(st.integers(), max_size=3),
        ),
    ),
    content_type=st.none() | _HEADER_TEXT,
    extra_header=st.none()
    | st.tuples(st.from_regex(r"X-[A-Za-z]{1,10}", fullmatch=True), _HEADER_TEXT),
)
def test_no_input_gets_a_5xx_through_the_server(
    shared_server: tuple[str, WebhookApp],
    body: bytes,
    content_type: str | None,
    extra_header: tuple[str, str] | None,
) -> None:
    url, hooks = shared_server
    headers = {} if content_type is None else {"content-type": content_type}
    if extra_header is not None:
        headers[extra_header[0]] = extra_header[1]
    response = httpx.post(hook_url(url), content=body, headers=headers, timeout=10)
    assert response.status_code in (200, 400, 422), response.text
    assert response.json()["result"] in ("ok", "error")
    stored = hooks.store.get_by_dedupe_key(dedupe_key(body))
    assert stored is not None and status_code(stored.status) == response.status_code


@pytest.fixture
def shared_server(store_url: str, servers: Servers) -> tuple[str, WebhookApp]:
    """One server for every Hypothesis example of a test (starting one per example is slow)."""
    hooks = WebhookApp(secret=SECRET, store=store_url)

    @hooks.on_any
    def shape(event: JivoEvent) -> dict[str, Any]:
        return {"crm_link": "https://crm.example.com"}

    return servers.asgi(hooks.asgi()), hooks


def test_the_secret_never_reaches_the_access_log(
    hooks: WebhookApp, servers: Servers, client: httpx.Client
) -> None:
    import logging

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    url = servers.asgi(hooks.asgi(), access_log=True, log_level="info")
    collector = Collect()
    logging.getLogger("uvicorn.access").addHandler(collector)
    try:
        client.post(hook_url(url), content=samples.load_bytes("chat_finished"))
        client.get(hook_url(url) + "?x=1")
    finally:
        logging.getLogger("uvicorn.access").removeHandler(collector)
    assert len(lines) == 2
    assert all("/jivo/webhook/*** HTTP/1.1" in line for line in lines[:1])
    assert not any(SECRET in line for line in lines)


def test_healthz_is_503_while_the_store_cannot_take_a_write(
    tmp_path: Path, servers: Servers, client: httpx.Client
) -> None:
    import sqlite3

    path = tmp_path / "events.db"
    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{path}")
    url = servers.asgi(hooks.asgi())
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        locked = client.get(url + "/healthz")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert locked.status_code == 503
    assert locked.json()["status"] == "error" and "database is locked" in locked.json()["error"]
    assert client.get(url + "/healthz").json() == {"status": "ok"}
