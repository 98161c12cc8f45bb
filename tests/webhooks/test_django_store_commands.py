"""``manage.py jivo_events`` and ``jivo-widget events --store django`` on a real Django project
(its own settings module and database), outside the test's process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jivo_widget.webhooks import samples
from jivo_widget.webhooks.store import EventStatus, NewEvent, dedupe_key, open_store
from webhooks import django_project

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
#: The project's settings: its database, then the README's lines for the Django store.
SETTINGS = """
SECRET_KEY = "commands-test"
USE_TZ = True
INSTALLED_APPS = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "site.sqlite3"}}
"""


def readme_settings() -> str:
    """The README's settings for the Django store, as written."""
    text = README.read_text("utf-8")
    found = re.search(r"<!-- snippet:django-webhook-store -->\n```python\n(.*?)```", text, re.S)
    assert found, "README.md has no django-webhook-store snippet"
    return found.group(1)


HOOKS = """
from jivo_widget.webhooks import WebhookApp

hooks = WebhookApp(secret="S")

@hooks.on("chat_finished")
def archive(event):
    pass
"""
#: Runs each command line given as JSON the way its own process would (``jivo-widget ...`` through
#: the console script's ``main``, ``manage.py ...`` through ``execute_from_command_line``), in one
#: process to spare a Django start-up per command; prints one JSON record per command.
DRIVER = """
import contextlib, io, json, os, sys

for argv, env in json.loads(sys.argv[1]):
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.update(env)
    out, err, status = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if argv[0] == "jivo-widget":
                from jivo_widget.cli import main
                main(argv[1:])
            else:
                from django.core.management import execute_from_command_line
                execute_from_command_line(argv)
        except SystemExit as exc:
            status = exc.code or 0
    print(json.dumps({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}))
"""
SETTINGS_ENV = {"DJANGO_SETTINGS_MODULE": "shop_settings"}


def run(project: Path, *commands: tuple[list[str], dict[str, str]]) -> list[dict[str, Any]]:
    """Run ``commands`` (argv, environment) in ``project`` (on the module path): each one's
    exit status, stdout and stderr."""
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_manage_py_jivo_events_runs_the_events_commands_on_the_projects_store(
    tmp_path: Path,
) -> None:
    (tmp_path / "shop").mkdir()
    for name, text in (
        ("shop_settings.py", SETTINGS + readme_settings()),
        ("shop/__init__.py", ""),
        ("shop/hooks.py", HOOKS),
    ):
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    # The project's database, migrated here (manage.py migrate is Django's own command).
    alias = django_project.add_database(
        "commands_project",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "site.sqlite3")},
    )
    django_project.migrate(alias)
    # Two events, written through the store as a receiver would.
    store = open_store(f"django://{alias}")
    ids = []
    for chat_id, status, age in ((1, EventStatus.PROCESSED, 40), (2, EventStatus.FAILED, 0)):
        body = json.dumps({**samples.load("chat_finished"), "chat_id": chat_id}).encode()
        event = NewEvent(
            datetime.now(UTC) - timedelta(days=age),
            "203.0.113.9",
            body,
            dedupe_key(body),
            "chat_finished",
            chat_id,
            status,
            error="RuntimeError: archive down" if status is EventStatus.FAILED else None,
        )
        ids.append(store.add(event))
    store.close()
    old, failed = ids

    manage = ["manage.py", "jivo_events"]
    unset, plain, listed, replayed, missing, helped, purged = run(
        tmp_path,
        # The command line itself, given the project's settings (and without them).
        (["jivo-widget", "events", "list", "--store", "django"], {}),
        (["jivo-widget", "events", "list", "--store", "django", "--json"], SETTINGS_ENV),
        ([*manage, "list", "--json"], SETTINGS_ENV),
        # replay's --app comes from JIVO_WEBHOOK_APP, its --store from JIVO_WEBHOOK_STORE.
        ([*manage, "replay", "--failed"], SETTINGS_ENV),
        ([*manage, "show", "999"], SETTINGS_ENV),
        ([*manage, "purge", "--help"], SETTINGS_ENV),  # the subcommand's --help, not Django's
        ([*manage, "purge", "--older-than", "30d"], SETTINGS_ENV),
    )
    assert unset["status"] == 2
    assert "the django event store needs your Django project" in unset["stderr"]
    assert plain["status"] == 0, plain["stderr"]
    assert [json.loads(line)["id"] for line in plain["stdout"].splitlines()] == [failed, old]
    assert listed["status"] == 0, listed["stderr"]
    rows = [json.loads(line) for line in listed["stdout"].splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [(failed, "failed"), (old, "processed")]
    assert replayed["status"] == 0, replayed["stderr"]
    assert f"{failed}  chat_finished  processed  attempts=1" in replayed["stdout"]
    assert missing["status"] == 2
    assert "no event with id 999 in django://default" in missing["stderr"]
    assert helped["status"] == 0 and "--older-than AGE" in helped["stdout"]
    assert purged["status"] == 0, purged["stderr"]
    assert purged["stdout"].startswith("purged 1 event(s)")
