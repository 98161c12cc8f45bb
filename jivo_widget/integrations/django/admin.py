"""The stored webhook events in Django's admin (with ``JIVO_WEBHOOK_STORE = "django"``).

- The list: id, event, chat id, status (and whether a worker has it queued), attempts, when it
  arrived; newest first, 50 a page, no full count of the table.
- Filters: status (``queued`` too), event (this release's event names, listed without
  scanning the table, and "other"), date received.
- Search: a chat id (the number; an indexed column).
- "Replay selected events": the site's handlers (``JIVO_WEBHOOK_APP``) run again on each,
  through the same path as ``jivo-widget events replay``; each event's outcome is a message.
  It needs the model's *change* permission: it runs site code.
- The detail page is read-only: the raw body pretty-printed, the response sent and the error,
  all HTML-escaped (the body is whatever the sender posted).
- Events are records: nobody adds or edits one. Deleting is allowed (they hold personal data;
  ``events purge`` deletes by age).

The admin shows the events of the database ``JIVO_WEBHOOK_STORE`` names, and appears on the
admin's index only when that setting names a Django store.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from jivo_widget.errors import JivoConfigError, StoreUnavailable
from jivo_widget.integrations.django import webhook_settings
from jivo_widget.integrations.django.models import WebhookEvent
from jivo_widget.webhooks.decode import pretty_json
from jivo_widget.webhooks.events import EVENT_MODELS
from jivo_widget.webhooks.receiver import Receiver
from jivo_widget.webhooks.replay import ReplayResult
from jivo_widget.webhooks.store.base import EventStatus

__all__ = ["WebhookEventAdmin"]

#: Events one "Replay" action runs at most: each may take up to the handler timeout, all within
#: one admin request.
REPLAY_LIMIT = 100
#: The ``status`` filter's choice for events a worker has queued (``next_attempt_at`` set).
QUEUED = "queued"
#: The ``event`` filter's choice for event names this release does not know.
OTHER = "(other)"
_CHAT_ID = re.compile(r"-?[0-9]{1,20}")


def _alias() -> str:
    """The database the events are in: that of ``JIVO_WEBHOOK_STORE``, else ``default``."""
    try:
        url = webhook_settings.store_url()
    except JivoConfigError:
        url = None
    return url.removeprefix("django://") if url and url.startswith("django://") else "default"


def _first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


class StatusFilter(admin.SimpleListFilter):  # type: ignore[misc]  # Django ships no types
    """Each status, and ``queued``: waiting for a worker (or run by one now)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """The choices: every status, then queued."""
        choices = [(status.value, status.value) for status in EventStatus]
        return [*choices, (QUEUED, "queued (for a worker)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        """The events with the chosen status."""
        value = self.value()
        if value is None:
            return None
        if value == QUEUED:
            return queryset.filter(next_attempt_at__isnull=False)
        if value not in {status.value for status in EventStatus}:
            return queryset.none()
        if value == EventStatus.PROCESSED.value:
            return queryset.filter(status=value)
        # Repeat the partial index's condition so the database can use the index.
        return queryset.filter(Q(status=value) & ~Q(status=EventStatus.PROCESSED.value))


class EventNameFilter(admin.SimpleListFilter):  # type: ignore[misc]  # Django ships no types
    """The event names this release knows (no scan of the table to list them), and others."""

    title = "event"
    parameter_name = "event"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """The choices: every known event name, then the others."""
        return [(name, name) for name in sorted(EVENT_MODELS)] + [(OTHER, "other")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        """The events with the chosen name."""
        value = self.value()
        if value is None:
            return None
        if value == OTHER:
            return queryset.filter(~Q(event_name__in=list(EVENT_MODELS)) | Q(event_name=None))
        return queryset.filter(event_name=value)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):  # type: ignore[misc]  # Django ships no types
    """The stored webhook deliveries (see the module docstring)."""

    list_display = ("id", "event", "chat_id", "state", "attempts", "received_at")
    list_display_links = ("id", "event")
    list_filter = (StatusFilter, EventNameFilter, ("received_at", admin.DateFieldListFilter))
    search_fields = ("chat_id",)
    search_help_text = "A chat id (the number)."
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False  # a count of the whole table on every page is a full scan
    actions = ("replay_selected",)
    fields = (
        "id",
        "received_at",
        "event_name",
        "chat_id",
        "status",
        "attempts",
        "next_attempt_at",
        "remote_addr",
        "dedupe_key",
        "error_text",
        "response_json",
        "body_json",
    )
    readonly_fields = fields

    # -- what an admin may do -------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        """On the index only when the site keeps its events here."""
        return webhook_settings.uses_django_store() and bool(super().has_module_permission(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Never: events are records of deliveries."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: events are records of deliveries (replay records a new outcome)."""
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        """Replay runs the site's handlers: the model's change permission."""
        opts = self.opts
        return bool(request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"))

    # -- the rows -------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The events in the store's database; the list leaves the bodies unread."""
        queryset = super().get_queryset(request).using(_alias())
        if getattr(request, "_jivo_changelist", False):
            queryset = queryset.defer("body", "response")
        return queryset

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The list of events (see the module docstring)."""
        request._jivo_changelist = True
        return super().changelist_view(request, extra_context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Events of the chat ids searched for (any of them); a term that is not a chat id
        matches none."""
        terms = search_term.split()
        if not terms:
            return queryset, False
        chat_ids = [int(term) for term in terms if _CHAT_ID.fullmatch(term)]
        # A chat id is a 64-bit integer: anything else typed matches nothing (never a 500).
        chat_ids = [chat_id for chat_id in chat_ids if -(2**63) <= chat_id < 2**63]
        if len(chat_ids) < len(terms):
            return queryset.none(), False
        return queryset.filter(chat_id__in=chat_ids), False

    # -- the columns and fields ----------------------------------------------------------------

    @admin.display(description="event", ordering="event_name")  # type: ignore[untyped-decorator]
    def event(self, obj: WebhookEvent) -> str:
        """The event name (escaped by the admin: the sender chose it)."""
        return str(obj.event_name) if obj.event_name is not None else "(none)"

    @admin.display(description="status", ordering="status")  # type: ignore[untyped-decorator]
    def state(self, obj: WebhookEvent) -> str:
        """The status, and whether a worker has the event queued."""
        queued = obj.next_attempt_at is not None and obj.status != EventStatus.PROCESSED.value
        return f"{obj.status} (queued)" if queued else str(obj.status)

    @admin.display(description="raw body")  # type: ignore[untyped-decorator]
    def body_json(self, obj: WebhookEvent) -> SafeString:
        """The body as received, pretty-printed when it is JSON; escaped."""
        body = bytes(obj.body)
        text = pretty_json(body)
        if text is None:
            text = body.decode("utf-8", errors="replace")
        return format_html('<pre class="jivo-webhook-body">{}</pre>', text)

    @admin.display(description="response sent")  # type: ignore[untyped-decorator]
    def response_json(self, obj: WebhookEvent) -> SafeString | str:
        """The answer the sender got, pretty-printed; escaped."""
        if obj.response is None:
            return "(none)"
        text = pretty_json(str(obj.response).encode())
        return format_html("<pre>{}</pre>", text if text is not None else obj.response)

    @admin.display(description="error")  # type: ignore[untyped-decorator]
    def error_text(self, obj: WebhookEvent) -> SafeString | str:
        """The last run's error (a handler's traceback); escaped."""
        if not obj.error:
            return "(none)"
        return format_html("<pre>{}</pre>", obj.error)

    # -- replay ---------------------------------------------------------------------------------

    @admin.action(description="Replay selected events", permissions=["replay"])  # type: ignore[untyped-decorator]
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Run the site's handlers again on each selected event; one message per event."""
        ids = sorted(queryset.values_list("id", flat=True)[: REPLAY_LIMIT + 1])
        if len(ids) > REPLAY_LIMIT:
            self.message_user(
                request,
                f"Nothing replayed: select at most {REPLAY_LIMIT} events at a time.",
                messages.ERROR,
            )
            return
        try:
            receiver = webhook_settings.webhook_app().receiver
        except JivoConfigError as exc:
            self.message_user(request, f"Nothing replayed: {exc}", messages.ERROR)
            return
        try:
            results = _replay(receiver, ids)
        except StoreUnavailable as exc:
            self.message_user(request, f"Replay stopped: {exc}", messages.ERROR)
            return
        for result in results:
            name = result.event_name or "(no event name)"
            if result.status is None:
                level, outcome = messages.WARNING, f"not replayed: {result.error}"
            elif result.ok:
                level, outcome = messages.SUCCESS, result.status.value
            else:
                level, outcome = (
                    messages.ERROR,
                    f"{result.status.value}: {_first_line(result.error)}",
                )
            self.message_user(request, f"Event {result.event_id} ({name}): {outcome}", level)


def _replay(receiver: Receiver, ids: Sequence[int]) -> list[ReplayResult]:
    """Replay ``ids`` in order with ``receiver`` on an event loop of their own (a thread: the
    admin's may run one, under ASGI or in a test); an id deleted meanwhile is skipped."""

    async def replay_all() -> list[ReplayResult]:
        results = []
        for event_id in ids:
            try:
                results.append(await receiver.replay(event_id))
            except KeyError:
                continue
        return results

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jivo-admin-replay") as pool:
        return pool.submit(asyncio.run, replay_all()).result()
