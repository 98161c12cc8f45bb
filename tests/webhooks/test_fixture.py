"""The ``jivo_webhooks`` fixture, as a site's test suite uses it (pytester runs
an inner pytest in a subprocess, with the plugin loaded through its entry point)."""

from __future__ import annotations

import pytest

# A shop's hooks module, as the README shows it: the real store is a file in the working
# directory, the secret comes from the environment. The fixture must touch neither.
SHOP_HOOKS = """
import os
from jivo_widget.webhooks import WebhookApp

hooks = WebhookApp(secret=os.environ.get("SHOP_SECRET", "real-secret"))

CUSTOMERS = {"ann@example.com": ("Pro", "https://crm.example.com/customers/42")}


@hooks.on("chat_accepted")
def crm_card(event):
    email = event.visitor.email if event.visitor else None
    if email not in CUSTOMERS:
        return None
    plan, url = CUSTOMERS[email]
    return {"custom_data": [{"title": "Plan", "content": plan}], "crm_link": url}


@hooks.on("chat_finished")
async def save_transcript(event):
    if event.visitor and event.visitor.email == "crash@example.com":
        raise RuntimeError("transcript store is down")
"""

SHOP_TESTS = """
import pytest
from jivo_widget.testing.webhooks import HandlerFailed
from shophooks import hooks


def test_known_customer_gets_the_card(jivo_webhooks):
    sent = jivo_webhooks(hooks).send("chat_accepted", visitor={"email": "ann@example.com"})
    assert sent.status == 200
    assert sent.json["custom_data"] == [{"title": "Plan", "content": "Pro"}]
    assert sent.json["crm_link"] == "https://crm.example.com/customers/42"
    assert sent.event.status == "processed" and sent.event.response == sent.json
    # The override changed one field; the sample's others are still there.
    assert sent.event.body.count(b"John Smith") == 1


def test_each_test_gets_a_fresh_store(jivo_webhooks):
    client = jivo_webhooks(hooks)
    client.send("chat_accepted")
    assert [e.event_name for e in client.events()] == ["chat_accepted"]


def test_a_second_test_sees_an_empty_store_again(jivo_webhooks):
    client = jivo_webhooks(hooks)
    assert client.events() == []
    assert client.send("chat_accepted").json == {"result": "ok"}  # unknown visitor: no card


def test_an_event_without_a_visitor(jivo_webhooks):
    sent = jivo_webhooks(hooks).send("chat_accepted", visitor=None)
    assert sent.status == 200 and sent.json == {"result": "ok"}


def test_a_failing_handler_fails_the_test_with_its_traceback(jivo_webhooks):
    client = jivo_webhooks(hooks)
    with pytest.raises(HandlerFailed) as failed:
        client.send("chat_finished", visitor={"email": "crash@example.com"})
    message = str(failed.value)
    assert "RuntimeError: transcript store is down" in message
    assert "Traceback (most recent call last)" in message and "save_transcript" in message


def test_check_false_shows_the_failed_event_and_replay_runs_it_again(jivo_webhooks):
    client = jivo_webhooks(hooks)
    sent = client.send("chat_finished", visitor={"email": "crash@example.com"}, check=False)
    assert sent.status == 200 and sent.event.status == "failed"
    assert client.replay(sent.event.id).status == "failed"
    assert client.store.get(sent.event.id).attempts == 2


def test_a_typo_in_an_override_names_the_field(jivo_webhooks):
    client = jivo_webhooks(hooks)
    with pytest.raises(ValueError, match="did you mean 'visitor.email'"):
        client.send("chat_accepted", visitor={"emial": "ann@example.com"})
    sent = client.send("chat_accepted", visitor={"loyalty": "gold"}, add=True)
    assert b'"loyalty": "gold"' in sent.event.body


def test_bad_bodies_and_refusals(jivo_webhooks):
    client = jivo_webhooks(hooks)
    malformed = client.post(b'{"event_name": ')
    assert malformed.status == 400 and malformed.event.status == "malformed"
    invalid = client.post({"event_name": "chat_finished", "chat_id": "abc"})
    assert invalid.status == 422 and "chat_id" in invalid.json["error"]
    assert client.post(client.payload("chat_finished"), secret="wrong").status == 404
    assert client.post(b"", method="GET").status == 405
    again = client.post(client.payload("offline_message"))
    repeat = client.post(client.payload("offline_message"))
    assert repeat.duplicate_of == again.event.id and len(client.events()) == 3


def test_the_payload_builder(jivo_webhooks):
    payload = jivo_webhooks(hooks).payload("chat_finished", chat_id=77, visitor={"name": "Zoë"})
    assert payload["event_name"] == "chat_finished" and payload["chat_id"] == 77
    assert payload["visitor"]["name"] == "Zoë" and payload["visitor"]["email"]
"""


def test_jivo_webhooks_fixture_in_a_sites_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shophooks=SHOP_HOOKS, test_shop=SHOP_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "-q")
    result.assert_outcomes(passed=9)
    # Neither the shop's own store nor anything else was created: the fixture is in memory.
    assert sorted(p.name for p in pytester.path.iterdir() if "jivo" in p.name) == []


def test_a_failing_handler_fails_a_site_test_that_only_checks_the_status(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        shophooks=SHOP_HOOKS,
        test_naive="""
from shophooks import hooks

def test_transcript_saved(jivo_webhooks):
    sent = jivo_webhooks(hooks).send("chat_finished", visitor={"email": "crash@example.com"})
    assert sent.status == 200  # Jivo got ok, but the handler crashed
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*HandlerFailed*RuntimeError: transcript store is down*"])
