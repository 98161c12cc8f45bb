"""The README's webhook example runs as written, including for events it did not expect (it
used to fail on every chat without a visitor: ``event.visitor.email``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.testing.webhooks import JivoWebhooks

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class Customer:
    plan: str
    url: str


class Crm:
    """The site's CRM the example calls (``crm.find(email=...)``): one known customer."""

    def find(self, email: str) -> Customer | None:
        known = {"ann@example.com": Customer("Pro", "https://crm.example.com/customers/42")}
        return known.get(email)


@pytest.fixture
def readme_hooks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    section = README.read_text("utf-8").split("## Webhooks\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the Webhooks section has no Python example"
    monkeypatch.setenv("JIVO_WEBHOOK_SECRET", "readme-secret")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme_example", "crm": Crm()}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    return namespace["hooks"]


def test_the_readme_example_builds_the_card(readme_hooks: Any, jivo_webhooks: JivoWebhooks) -> None:
    sent = jivo_webhooks(readme_hooks).send("chat_accepted", visitor={"email": "ann@example.com"})
    assert sent.json["crm_link"] == "https://crm.example.com/customers/42"
    assert sent.json["custom_data"] == [{"title": "Plan", "content": "Pro"}]


@pytest.mark.parametrize(
    "visitor",
    [None, {"email": None}, {"email": "stranger@example.com"}],
    ids=["no-visitor", "no-email", "unknown-customer"],
)
def test_the_readme_example_survives_what_jivo_sends(
    readme_hooks: Any, jivo_webhooks: JivoWebhooks, visitor: Any, tmp_path: Path
) -> None:
    sent = jivo_webhooks(readme_hooks).send("chat_accepted", visitor=visitor)  # no HandlerFailed
    assert sent.status == 200 and sent.json == {"result": "ok"}
    assert sent.event is not None and sent.event.status == "processed"
    assert not (tmp_path / "jivo-events.db").exists()  # the example's store was never opened
