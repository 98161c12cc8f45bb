"""Issue 6 item 16: a ``trigger --set`` typo is an error naming the nearest existing path.

``--set visitor.emial=a@b.c`` used to add a field nobody reads and post the sample's real email,
so the test "passed" with the wrong data. A path must exist in the payload (the sample or
``--file``) or in the event's model; ``--add`` says a new field is meant.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import run

from jivo_widget.webhooks.simulator import OverrideError, build_payload

DEAD_URL = "http://127.0.0.1:9/jivo/webhook/s"  # never reached: bad input stops before posting


@pytest.mark.parametrize(
    ("event", "override", "nearest"),
    [
        ("chat_accepted", "visitor.emial=a@b.c", "visitor.email"),
        ("chat_accepted", "chat_idd=5", "chat_id"),
        ("chat_accepted", "session.geoip.cuntry=France", "session.geoip.country"),
        ("chat_finished", "agents.0.nmae=Ann", "agents.0.name"),
        ("chat_accepted", "vistor.email=a@b.c", "visitor.email"),
    ],
)
def test_a_typo_names_the_nearest_existing_path(event: str, override: str, nearest: str) -> None:
    with pytest.raises(OverrideError) as raised:
        build_payload(event, [override])
    message = str(raised.value)
    path = override.split("=", 1)[0]
    assert f"{path!r}" in message and f"did you mean {nearest!r}" in message, message
    assert "--add" in message


def test_a_typo_is_bad_usage_on_the_command_line(tmp_path: Path) -> None:
    result = run(
        "trigger", "chat_accepted", "--url", DEAD_URL, "--set", "visitor.emial=a@b.c",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "did you mean 'visitor.email'" in result.stderr and "--add" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "override",
    [
        "visitor.email=a@b.c",  # in the sample
        "session.utm_json.term=shoes",  # in the model, not in the sample
        "visitor.social.vk=id42",  # under a free-form object
        "analytics.ga=1",
        "agent=null",
        'tags.1={"id": "8", "title": "new"}',  # appending to a list
    ],
)
def test_existing_and_model_paths_need_no_add(override: str) -> None:
    build_payload("chat_accepted", [override])


def test_add_allows_a_new_field() -> None:
    payload = build_payload("chat_accepted", ["visitor.loyalty_tier=gold"], add=True)
    assert payload["visitor"]["loyalty_tier"] == "gold"
    assert payload["visitor"]["email"] == "john.smith@example.com"


def test_a_file_payload_knows_its_own_keys(tmp_path: Path) -> None:
    file = tmp_path / "custom.json"
    file.write_text(json.dumps({"widget_id": "w1", "extra": {"flag": True}}), encoding="utf-8")
    build_payload("brand_new_event", ["extra.flag=false"], file=file)
    with pytest.raises(OverrideError, match=r"did you mean 'extra\.flag'"):
        build_payload("brand_new_event", ["extra.flga=false"], file=file)
    assert build_payload("brand_new_event", ["other=1"], file=file, add=True)["other"] == 1


@pytest.mark.parametrize("segment", ["²", "①", "9" * 5000, "-1"])
def test_a_list_index_only_isdigit_accepts_is_a_clear_error(segment: str) -> None:
    with pytest.raises(OverrideError, match="indexes a list, use a number"):
        build_payload("chat_finished", [f"agents.{segment}.name=Ann"])


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[bytes]]]:
    """A receiver (http.server on 127.0.0.1) that records the bodies posted to it."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "15")
            self.end_headers()
            self.wfile.write(b'{"result":"ok"}')

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jivo/webhook/s", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_trigger_add_posts_the_new_field(tmp_path: Path, recorder: tuple[str, list[bytes]]) -> None:
    url, bodies = recorder
    result = run(
        "trigger", "chat_accepted", "--url", url, "--add", "--set", "visitor.loyalty_tier=gold",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [body] = bodies
    assert json.loads(body)["visitor"]["loyalty_tier"] == "gold"
