"""The Django store in a Django site: webhooks posted to Django's own server land in the model,
and the admin lists, filters, searches, shows (escaped) and replays them.

The site is this process's Django project (:mod:`webhooks.django_project`) with
``JIVO_WEBHOOK_STORE = "django"``; the admin is driven with Django's test client on the
project's thread (``django_project.run``), as a signed-in superuser.
"""

from __future__ import annotations

import html
import json
import re
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import httpx
import pytest

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import WebhookApp, samples
from jivo_widget.webhooks.store import EventStatus, NewEvent, dedupe_key, open_store
from webhooks import django_project

if TYPE_CHECKING:
    from django.test import Client

    from webhooks.conftest import Servers

SECRET = "site-secret"
HOOKS_MODULE = "jivo_django_site_hooks"
CHANGELIST = "/admin/jivo_widget/webhookevent/"
XSS = '</pre><script>alert("x")</script><img src=x onerror=alert(1)>'


def make_hooks() -> WebhookApp:
    """The site's app: no store given (the setting decides), a card for chat_accepted, and a
    chat_finished handler that fails while ``broken`` holds."""
    hooks = WebhookApp(secret=SECRET)
    hooks.broken = True  # type: ignore[attr-defined]

    @hooks.on("chat_accepted")
    def card(event: Any) -> dict[str, Any]:
        return {"crm_link": "https://crm.example.com/c/42"}

    @hooks.on("chat_finished")
    def archive(event: Any) -> None:
        if hooks.broken:  # type: ignore[attr-defined]
            raise RuntimeError(f"archive down for chat {event.chat_id}")

    return hooks


@pytest.fixture
def site(django_sqlite: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """``JIVO_WEBHOOK_STORE = "django"``, ``JIVO_WEBHOOK_APP`` naming a fresh app, no events;
    the working directory a temporary one (the app's default store would be a file there)."""
    from django.test.utils import override_settings

    monkeypatch.chdir(tmp_path)
    module = types.ModuleType(HOOKS_MODULE)
    module.hooks = make_hooks()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, HOOKS_MODULE, module)
    django_project.empty(django_sqlite)
    with override_settings(JIVO_WEBHOOK_STORE="django", JIVO_WEBHOOK_APP=f"{HOOKS_MODULE}.hooks"):
        yield module
    assert not (tmp_path / "jivo-events.db").exists(), "the app's default store was opened"


def row_of(event_id: int) -> tuple[Any, ...]:
    """The stored event ``event_id``, as :func:`rows` gives it."""
    return next(row for row in rows() if row[0] == event_id)


def rows() -> list[tuple[Any, ...]]:
    """Every stored event as (id, event_name, chat_id, status, attempts, response), by id."""
    from jivo_widget.integrations.django.models import WebhookEvent

    def read() -> list[tuple[Any, ...]]:
        return list(
            WebhookEvent.objects.order_by("id").values_list(
                "id", "event_name", "chat_id", "status", "attempts", "response"
            )
        )

    return django_project.run(read)


# -- Django's server, the Django adapter, the model ---------------------------------------------


def test_webhooks_posted_to_djangos_server_are_rows_of_the_model(
    site: Any, servers: Servers
) -> None:
    from django.urls import path

    from jivo_widget.webhooks.django import webhook_view

    app = servers.django([path("jivo/webhook/<str:secret>", webhook_view(site.hooks))])
    url = f"{servers.wsgi(app, 'django')}/jivo/webhook/{SECRET}"
    accepted = samples.load_bytes("chat_accepted")
    first = httpx.post(url, content=accepted)
    again = httpx.post(url, content=accepted)
    finished = httpx.post(url, content=samples.load_bytes("chat_finished"))
    wrong = httpx.post(url.replace(SECRET, "nope"), content=accepted)
    malformed = httpx.post(url, content=b"not json")
    assert first.status_code == 200 and first.json()["crm_link"] == "https://crm.example.com/c/42"
    # The duplicate is answered from the row: the first response, naming the first event.
    assert again.status_code == 200 and again.json() == first.json()
    assert finished.status_code == 200  # Jivo ignores the answer; the handler fails after it
    assert (wrong.status_code, malformed.status_code) == (404, 400)
    stored = rows()
    assert again.headers["X-Jivo-Duplicate-Of"] == str(stored[0][0])
    assert [name for _, name, *_ in stored] == ["chat_accepted", "chat_finished", None]
    # chat_finished's handler runs after the 200 (its outcome is checked below).
    assert (stored[0][3], stored[2][3]) == ("processed", "malformed")
    assert json.loads(stored[0][5])["crm_link"] == "https://crm.example.com/c/42"
    served = open_store("django")
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while (event := served.get(stored[1][0])) and event.status is EventStatus.RECEIVED:
            assert datetime.now(UTC) < deadline, "the handler's outcome was never recorded"
        assert event is not None and event.status is EventStatus.FAILED
        assert event.error is not None and "archive down for chat" in event.error
    finally:
        served.close()


def test_a_store_given_to_the_app_that_the_setting_contradicts_is_an_error(
    site: Any, tmp_path: Path
) -> None:
    from jivo_widget.webhooks.django import webhook_view

    hooks = WebhookApp(secret=SECRET, store=f"sqlite:///{tmp_path / 'own.db'}")
    with pytest.raises(JivoConfigError) as info:
        webhook_view(hooks)
    assert "JIVO_WEBHOOK_STORE = 'django://default'" in str(info.value)
    assert f"stores in sqlite:///{tmp_path / 'own.db'}" in str(info.value)
    assert webhook_view(WebhookApp(secret=SECRET, store="django")) is not None  # they agree


# -- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin(site: Any) -> Client:
    """Django's test client signed in as a superuser, with the admin at /admin/."""
    from django.contrib import admin as django_admin
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import path

    urls = types.ModuleType("jivo_django_site_urls")
    urls.urlpatterns = [path("admin/", django_admin.site.urls)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    middleware = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]

    def signed_in() -> Client:
        user = User.objects.filter(username="admin").first() or User.objects.create_superuser(
            "admin", "admin@example.com", "pw"
        )
        client = Client()
        client.force_login(user)
        return client

    with override_settings(ROOT_URLCONF=urls.__name__, MIDDLEWARE=middleware):
        yield django_project.run(signed_in)


def get(client: Client, url: str, **params: str) -> tuple[int, str]:
    response = django_project.run(lambda: client.get(url, params))
    return response.status_code, response.content.decode()


def listed(page: str) -> list[int]:
    """The event ids in a change list page, in order."""
    return [int(i) for i in re.findall(r'class="field-id"><a href="[^"]*/(\d+)/change/', page)]


def add(
    store: Any,
    body: bytes,
    *,
    status: EventStatus = EventStatus.FAILED,
    event_name: str | None = "chat_finished",
    chat_id: int | None = 1,
    received_at: datetime | None = None,
    queued: bool = False,
) -> int:
    moment = received_at or datetime.now(UTC)
    event_id = store.add(
        NewEvent(
            received_at=moment,
            remote_addr="203.0.113.9",
            body=body,
            dedupe_key=dedupe_key(body),
            event_name=event_name,
            chat_id=chat_id,
            status=status,
            error="RuntimeError: archive down" if status is EventStatus.FAILED else None,
            response={"result": "ok"},
            next_attempt_at=moment if queued else None,
        )
    )
    assert event_id is not None
    return int(event_id)


@pytest.fixture
def events(admin: Client) -> Iterator[dict[str, int]]:
    """A few stored events of different kinds, by name."""
    store = open_store("django")
    finished = samples.load("chat_finished")
    ids = {
        "failed": add(store, json.dumps({**finished, "chat_id": 4242}).encode(), chat_id=4242),
        "processed": add(
            store,
            samples.load_bytes("chat_accepted"),
            status=EventStatus.PROCESSED,
            event_name="chat_accepted",
            chat_id=7,
            received_at=datetime.now(UTC) - timedelta(days=40),
        ),
        "queued": add(
            store,
            samples.load_bytes("offline_message"),
            status=EventStatus.RECEIVED,
            event_name="offline_message",
            queued=True,
        ),
        "strange": add(
            store,
            json.dumps({"event_name": XSS, "note": XSS}).encode(),
            status=EventStatus.PROCESSED,
            event_name=XSS,
            chat_id=None,
        ),
        "malformed": add(
            store, b"<b>not json</b>", status=EventStatus.MALFORMED, event_name=None, chat_id=None
        ),
    }
    store.close()
    yield ids


def test_the_list_shows_each_event_newest_first_with_its_columns(
    admin: Client, events: dict[str, int]
) -> None:
    status, page = get(admin, CHANGELIST)
    assert status == 200
    assert listed(page) == sorted(events.values(), reverse=True)
    for header in ("Event", "Chat id", "Status", "Attempts", "Received"):
        assert f">{header}</a>" in page or f">{header}</span>" in page, header
    states = re.findall(r'<td class="field-state">([^<]*)</td>', page)
    assert states == ["malformed", "processed", "received (queued)", "processed", "failed"]
    assert '<td class="field-chat_id">4242</td>' in page
    # The event name the sender chose is escaped, never markup.
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page


def test_filters_by_status_event_and_date(admin: Client, events: dict[str, int]) -> None:
    def ids(**params: str) -> list[int]:
        status, page = get(admin, CHANGELIST, **params)
        assert status == 200, params
        return listed(page)

    assert ids(status="failed") == [events["failed"]]
    assert ids(status="queued") == [events["queued"]]
    assert ids(status="malformed") == [events["malformed"]]
    assert ids(event="chat_accepted") == [events["processed"]]
    assert ids(event="(other)") == [events["malformed"], events["strange"]]
    # The date filter's own link, as an admin clicks it.
    page = get(admin, CHANGELIST)[1]
    link = re.search(r'href="\?(received_at__gte=[^"]*)"[^>]*>Past 7 days<', page)
    assert link is not None
    query = dict(pair.split("=", 1) for pair in html.unescape(link.group(1)).split("&"))
    recent = ids(**{key: unquote_plus(value) for key, value in query.items()})
    assert events["processed"] not in recent and events["failed"] in recent
    assert ids(status="processed", event="chat_accepted") == [events["processed"]]
    # The filter choices are this release's event names: no scan of the table lists them.
    assert "?event=client_attribute_updated" in page and "?status=queued" in page


def test_search_by_chat_id(admin: Client, events: dict[str, int]) -> None:
    assert listed(get(admin, CHANGELIST, q="4242")[1]) == [events["failed"]]
    # Several chat ids: the events of each (an event has one chat id).
    assert listed(get(admin, CHANGELIST, q="7 4242")[1]) == [events["processed"], events["failed"]]
    # Whatever is typed: no 500, and nothing that is not a chat id matches.
    for typed in ("not-a-number", "--5", "99999999999999999999999", "4242abc", "-"):
        status, page = get(admin, CHANGELIST, q=typed)
        assert status == 200 and listed(page) == [], typed


def test_the_detail_page_shows_the_body_pretty_printed_and_escaped(
    admin: Client, events: dict[str, int]
) -> None:
    status, page = get(admin, f"{CHANGELIST}{events['strange']}/change/")
    assert status == 200
    body = re.search(r'<pre class="jivo-webhook-body">(.*?)</pre>', page, re.S)
    assert body is not None
    # Pretty-printed (indented), and the sender's markup shown as text.
    assert body.group(1).startswith("{\n  &quot;event_name&quot;: &quot;&lt;/pre&gt;&lt;script&gt;")
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert 'name="_save"' not in page  # read-only: nothing to save
    status, page = get(admin, f"{CHANGELIST}{events['malformed']}/change/")
    assert status == 200 and "&lt;b&gt;not json&lt;/b&gt;" in page and "<b>not json" not in page
    status, page = get(admin, f"{CHANGELIST}{events['failed']}/change/")
    assert "RuntimeError: archive down" in page and "4242" in page


def test_events_cannot_be_added_or_changed(admin: Client, events: dict[str, int]) -> None:
    assert get(admin, f"{CHANGELIST}add/")[0] == 403
    change = f"{CHANGELIST}{events['failed']}/change/"
    response = django_project.run(lambda: admin.post(change, {"status": "processed"}))
    assert response.status_code == 403
    assert row_of(events["failed"])[3] == "failed"


def test_the_index_shows_the_events_only_with_the_django_store(
    admin: Client, events: dict[str, int]
) -> None:
    from django.test.utils import override_settings

    assert 'href="/admin/jivo_widget/webhookevent/"' in get(admin, "/admin/")[1]
    with override_settings(JIVO_WEBHOOK_STORE=None):
        assert "webhookevent" not in get(admin, "/admin/")[1]


def replay(client: Client, ids: list[int]) -> list[tuple[str, str]]:
    """Run the "Replay selected events" action on ``ids``; the messages the page then shows,
    as (level, text)."""
    data = {"action": "replay_selected", "_selected_action": [str(i) for i in ids]}
    response = django_project.run(lambda: client.post(CHANGELIST, data, follow=True))
    assert response.status_code == 200
    page = response.content.decode()
    messagelist = re.search(r'<ul class="messagelist">(.*?)</ul>', page, re.S)
    shown = re.findall(r'<li class="(\w+)">(.*?)</li>', messagelist.group(1) if messagelist else "")
    return [(level, html.unescape(text)) for level, text in shown]


def test_the_replay_action_runs_the_handlers_and_reports_each_event(
    admin: Client, events: dict[str, int], site: Any
) -> None:
    failed, malformed = events["failed"], events["malformed"]
    shown = replay(admin, [failed, malformed])
    assert shown == [
        (
            "error",
            f"Event {failed} (chat_finished): failed: handler webhooks.test_django_store_site."
            "make_hooks.<locals>.archive raised RuntimeError: archive down for chat 4242",
        ),
        (
            "warning",
            f"Event {malformed} ((no event name)): not replayed: cannot replay a malformed body: "
            "body is not valid JSON: Expecting value (line 1, column 1)",
        ),
    ]
    site.hooks.broken = False  # the archive is back
    assert replay(admin, [failed]) == [("success", f"Event {failed} (chat_finished): processed")]
    row = row_of(failed)
    assert (row[3], row[4]) == ("processed", 2)  # two replays: two attempts


def test_replay_without_the_app_setting_says_what_to_set(
    admin: Client, events: dict[str, int]
) -> None:
    from django.test.utils import override_settings

    with override_settings(JIVO_WEBHOOK_APP=None):
        shown = replay(admin, [events["failed"]])
    assert [level for level, _ in shown] == ["error"]
    assert shown[0][1].startswith("Nothing replayed: JIVO_WEBHOOK_APP is not set: name your")
    assert row_of(events["failed"])[4] == 0


def test_replay_needs_the_change_permission(admin: Client, events: dict[str, int]) -> None:
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    def viewer() -> Client:
        user = User.objects.filter(username="viewer").first()
        if user is None:
            user = User.objects.create_user("viewer", password="pw", is_staff=True)
            user.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
        client = Client()
        client.force_login(user)
        return client

    client = django_project.run(viewer)
    status, page = get(client, CHANGELIST)
    assert status == 200 and listed(page)
    assert "replay_selected" not in page
    assert replay(client, [events["failed"]]) == []  # no action of theirs: nothing happens
    assert row_of(events["failed"])[4] == 0  # not run


# -- the settings' system checks -----------------------------------------------------------------


def test_system_checks_name_a_bad_store_or_app_setting(django_sqlite: str) -> None:
    from django.test.utils import override_settings

    from jivo_widget.integrations.django.checks import check_settings, check_webhook_settings

    def ids(check: Any) -> list[tuple[str, str]]:
        return [(message.id, message.msg) for message in check()]

    with override_settings(JIVO_WEBHOOK_STORE="mysql://db/events", JIVO_WEBHOOK_APP=None):
        ((check_id, message),) = ids(check_webhook_settings)
        assert check_id == "jivo_widget.E004"
        assert message.startswith("JIVO_WEBHOOK_STORE: store URL 'mysql://db/events': expected")
        # Installed for the webhook store alone: JIVO_WIDGET is not missing.
        assert "jivo_widget.E001" not in [i for i, _ in ids(check_settings)]
    with override_settings(JIVO_WEBHOOK_STORE="django", JIVO_WEBHOOK_APP="nowhere.hooks"):
        ((check_id, message),) = ids(check_webhook_settings)
        assert check_id == "jivo_widget.E005"
        assert message.startswith("JIVO_WEBHOOK_APP: cannot import 'nowhere:hooks'")
    with override_settings(JIVO_WEBHOOK_STORE="django", JIVO_WEBHOOK_APP="json.dumps"):
        assert ids(check_webhook_settings) == [
            ("jivo_widget.E005", "JIVO_WEBHOOK_APP: 'json:dumps' is a function, not a WebhookApp")
        ]
    with override_settings(JIVO_WEBHOOK_STORE=None):
        assert "jivo_widget.E001" in [i for i, _ in ids(check_settings)]
