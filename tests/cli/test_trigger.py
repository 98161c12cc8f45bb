"""``jivo-widget trigger`` through the real console script: payloads, overrides, answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import open_store

if TYPE_CHECKING:
    from conftest import JivoCli, Served


def test_trigger_posts_a_file_with_overrides(capture: Served, jivo_cli: JivoCli) -> None:
    file = capture.cwd / "custom.json"
    file.write_text(json.dumps({"widget_id": "w1", "chat_id": 5}), encoding="utf-8")
    result = jivo_cli.run(
        "trigger", "brand_new_event", "--url", capture.url(), "--file", str(file),
        "--set", "chat_id=6", cwd=capture.cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = capture.list_json()
    assert row["event_name"] == "brand_new_event"
    shown = jivo_cli.run(
        "events", "show", str(row["id"]), "--store", capture.store, cwd=capture.cwd
    )
    assert '"chat_id": 6' in shown.stdout


def test_trigger_unknown_event_lists_the_known_ones(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("trigger", "chat_exploded", "--url", "http://127.0.0.1:9/x", cwd=tmp_path)
    assert result.returncode == 2
    assert "chat_exploded" in result.stderr
    for name in samples.names():
        assert name in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [("novalue", "must look like dotted.path=value"), ("visitor..x=1", "empty segment")],
)
def test_trigger_bad_override_is_bad_usage(
    tmp_path: Path, override: str, message: str, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run(
        "trigger", "chat_accepted", "--url", "http://127.0.0.1:9/x", "--set", override,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr


def test_trigger_without_url_is_bad_usage(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run("trigger", "chat_accepted", cwd=tmp_path)
    assert result.returncode == 2
    assert "--url" in result.stderr


def test_trigger_unreachable_server_exits_1(tmp_path: Path, jivo_cli: JivoCli) -> None:
    url = f"http://127.0.0.1:{jivo_cli.free_port()}/jivo/webhook/S"
    result = jivo_cli.run("trigger", "chat_accepted", "--url", url, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach")
    assert "Traceback" not in result.stderr


def test_trigger_twice_says_why_the_handlers_did_not_run(
    capture: Served, jivo_cli: JivoCli
) -> None:
    args = ("trigger", "client_attribute_updated", "--url", capture.url(), "--set", "client_id=77")
    first = jivo_cli.run(*args, cwd=capture.cwd)
    assert first.returncode == 0, first.stderr
    assert "X-Jivo-Duplicate-Of" not in first.stderr
    again = jivo_cli.run(*args, cwd=capture.cwd)
    assert again.returncode == 0, again.stderr
    (row,) = capture.list_json()
    assert f"X-Jivo-Duplicate-Of: {row['id']}" in again.stderr
    assert "did not run the handlers again" in again.stderr


# A `--set` typo is an error naming the nearest existing path (the simulator's rule,
# tests/webhooks/test_simulator.py), as bad usage on the command line.
DEAD_URL = "http://127.0.0.1:9/jivo/webhook/s"  # never reached: bad input stops before posting


def test_a_typo_is_bad_usage_on_the_command_line(tmp_path: Path, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run(
        "trigger", "chat_accepted", "--url", DEAD_URL, "--set", "visitor.emial=a@b.c",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "did you mean 'visitor.email'" in result.stderr and "--add" in result.stderr
    assert "Traceback" not in result.stderr


def test_trigger_add_posts_the_new_field(capture: Served, jivo_cli: JivoCli) -> None:
    result = jivo_cli.run(
        "trigger", "chat_accepted", "--url", capture.url(), "--add", "--set",
        "visitor.loyalty_tier=gold", cwd=capture.cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [body] = [event.body for event in open_store(capture.store, read_only=True).list()]
    assert json.loads(body)["visitor"]["loyalty_tier"] == "gold"


def test_trigger_posts_a_crm_sample_with_a_nested_override(
    capture: Served, jivo_cli: JivoCli
) -> None:
    result = jivo_cli.run(
        "trigger", "assigned_status", "--url", capture.url(),
        "--set", "client.assigned_agent.assigned_agent_id=7", cwd=capture.cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = capture.list_json()
    assert (row["event_name"], row["status"]) == ("assigned_status", "processed")
    body = json.loads(open_store(capture.store).get(row["id"]).body)
    expected = samples.load("assigned_status")
    expected["client"]["assigned_agent"]["assigned_agent_id"] = 7
    assert body == expected
    typo = jivo_cli.run(
        "trigger", "created_task", "--url", capture.url(), "--set", "deal.deal_idd=4",
        cwd=capture.cwd,
    )  # fmt: skip
    assert typo.returncode == 2 and "deal.deal_id" in typo.stderr
