"""The HTTP contract's own rules (:mod:`jivo_widget.webhooks.contract`): secrets that can be a URL
path segment, limits that make sense, the answer each stored status was given.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import (
    EventStatus,
    WebhookApp,
)
from jivo_widget.webhooks.contract import status_code


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "non-empty string"),
        ("a/b", "cannot contain '/'"),
        ("a b?c", "cannot contain ' ', '?'; use e.g. secrets.token_urlsafe"),
        (["ok-secret", "tab\there"], "cannot contain '\\t'"),
        ([], "at least one secret"),
        # Servers percent-decode the path before routing: "a%41" arrives as "aA".
        ("s3cret%41", "cannot contain '%' (servers percent-decode the URL path"),
    ],
)
def test_bad_secrets_are_config_errors(tmp_path: Path, secret: Any, message: str) -> None:
    with pytest.raises(JivoConfigError, match=re.escape(message)):
        WebhookApp(secret=secret, store=f"sqlite:///{tmp_path / 'e.db'}")


def test_bad_limits_are_config_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    with pytest.raises(JivoConfigError, match="max_body_bytes must be positive"):
        WebhookApp(secret="S", store=url, max_body_bytes=0)
    with pytest.raises(JivoConfigError, match="no longer than handler_timeout"):
        WebhookApp(secret="S", store=url, response_deadline=5, handler_timeout=1)


def test_a_negative_dedupe_window_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(JivoConfigError, match="dedupe_window must not be negative"):
        WebhookApp(secret="S", store="sqlite:///:memory:", dedupe_window=timedelta(seconds=-1))


def test_every_stored_status_has_the_answer_it_was_given() -> None:
    # A duplicate is answered with the first delivery's status: the mapping covers every status.
    answers = {status: status_code(status) for status in EventStatus}
    assert answers == {
        EventStatus.RECEIVED: 200,
        EventStatus.PROCESSED: 200,
        EventStatus.FAILED: 200,
        EventStatus.DEAD: 200,
        EventStatus.INVALID: 422,
        EventStatus.MALFORMED: 400,
    }


def test_each_refusal_has_its_status_message_and_headers() -> None:
    from jivo_widget.webhooks.contract import DUPLICATE_HEADER, Reply, reason_phrase

    assert Reply.ok().content == b'{"result":"ok"}'
    assert Reply.wrong_secret().status == 404
    refused = Reply.method_not_allowed("GET")
    assert (refused.status, refused.headers) == (405, (("Allow", "POST"),))
    assert Reply.too_large(10).body == {
        "result": "error",
        "error": "body too large: the limit is 10 bytes",
    }
    assert Reply.ok().duplicate_of(7).headers == ((DUPLICATE_HEADER, "7"),)
    assert Reply.health("disk full") == Reply(503, {"status": "error", "error": "disk full"})
    assert reason_phrase(413) == "Content Too Large" and reason_phrase(299) == "Unknown"
