"""The Flask and Django webhook adapters need only their framework: the README installs them
with ``jivo-widget[flask]`` / ``jivo-widget[django]``, without the ``server`` extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Run first in the child: any import of the server extra's packages fails there.
BLOCK_SERVER_EXTRA = """
import importlib.abc, sys

class BlockServerExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"starlette", "uvicorn", "anyio"}:
            raise ImportError(f"{name} is not installed (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockServerExtra())
"""

FLASK = """
import flask
from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.flask import webhook_blueprint

hooks = WebhookApp(secret="s3cret", store="sqlite:///:memory:")
seen = []
hooks.on("chat_finished")(lambda event: seen.append(event.chat_id))
app = flask.Flask("shop")
app.register_blueprint(webhook_blueprint(hooks))
answer = app.test_client().post("/jivo/webhook/s3cret", json=samples.load("chat_finished"))
print(answer.status_code, answer.get_json(), len(seen))
"""

DJANGO = """
import django
from django.conf import settings

settings.configure(ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__)
django.setup()
from django.test import Client
from django.urls import path
from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.django import webhook_view

hooks = WebhookApp(secret="s3cret", store="sqlite:///:memory:")
seen = []
hooks.on("chat_finished")(lambda event: seen.append(event.chat_id))
urlpatterns = [path("jivo/webhook/<str:secret>", webhook_view(hooks))]
answer = Client().post(
    "/jivo/webhook/s3cret", samples.load("chat_finished"), content_type="application/json"
)
print(answer.status_code, answer.json(), len(seen))
"""


@pytest.mark.parametrize("site", [FLASK, DJANGO], ids=["flask", "django"])
def test_the_adapter_receives_without_the_server_extra(site: str, tmp_path: Path) -> None:
    script = tmp_path / "site.py"
    script.write_text(BLOCK_SERVER_EXTRA + textwrap.dedent(site), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "{'result':", "'ok'}", "1"]


def test_the_block_really_blocks(tmp_path: Path) -> None:
    # The test above proves something only if the child cannot import the server extra.
    script = tmp_path / "probe.py"
    script.write_text(BLOCK_SERVER_EXTRA + "import starlette\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "starlette is not installed (blocked by the test)" in done.stderr
