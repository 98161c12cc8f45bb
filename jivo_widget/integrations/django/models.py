"""The webhook event store's tables in the site's own database (``JIVO_WEBHOOK_STORE = "django"``).

One row per delivery, with the columns the SQLite and PostgreSQL stores keep (see
:class:`~jivo_widget.webhooks.store.base.StoredEvent`), in types every Django backend has:

- ``dedupe_key`` is the SHA-256 of the raw body in hex, ``UNIQUE``; a copy received before the
  dedupe window is re-keyed to ``<key>:<id>`` when a new body with the same bytes arrives (an
  indexable ``CharField`` on every backend, where a unique ``BLOB`` is not);
- ``response`` is the JSON answer as sent (text, not ``JSONField``: PostgreSQL's ``jsonb``
  reorders keys and cannot hold ``\\u0000``, and the first answer is sent again byte for byte);
- ``event_name`` and ``remote_addr`` are ``TextField``: they come from the sender, of any length.

Every index is a write per insert, so there are only those a query needs: the unique key
(dedupe), a partial index on the rows that need attention (``status <> 'processed'``: the
admin's and ``events list``'s status filters, replay), a partial index on queued rows (a
worker's claim), ``received_at`` (purge, date filters) and ``chat_id`` (the admin's search).
Backends without partial indexes (MySQL) skip the two partial ones.

Nothing here is read outside :mod:`.store` and :mod:`.admin`: the store's contract is the
interface, these tables its storage.
"""

from __future__ import annotations

from django.db import models

from jivo_widget.webhooks.store.base import EventStatus

__all__ = ["STATUS_CHOICES", "WebhookEvent", "WebhookStoreProbe"]

#: Every :class:`EventStatus`, as model choices (the admin's labels).
STATUS_CHOICES = [(status.value, status.value) for status in EventStatus]


class WebhookEvent(models.Model):  # type: ignore[misc]  # Django ships no types
    """One stored Jivo webhook delivery (see the module docstring)."""

    id = models.BigAutoField(primary_key=True)
    received_at = models.DateTimeField("received")
    remote_addr = models.TextField("remote address", null=True, blank=True)
    body = models.BinaryField("raw body")
    dedupe_key = models.CharField("dedupe key", max_length=100, unique=True)
    event_name = models.TextField("event", null=True, blank=True)
    chat_id = models.BigIntegerField("chat id", null=True, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES)
    error = models.TextField(null=True, blank=True)
    response = models.TextField("response sent", null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)

    class Meta:
        verbose_name = "webhook event"
        verbose_name_plural = "webhook events"
        # Names unique in a PostgreSQL schema also holding the PostgreSQL store's jivo_events.
        indexes = [  # noqa: RUF012  (Django reads Meta options as lists)
            models.Index(
                fields=["status"],
                condition=~models.Q(status=EventStatus.PROCESSED.value),
                name="jivo_wh_unfinished",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="jivo_wh_due",
            ),
            models.Index(fields=["received_at"], name="jivo_wh_received_at"),
            models.Index(fields=["chat_id"], name="jivo_wh_chat_id"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name or '(no event name)'} #{self.id}"


class WebhookStoreProbe(models.Model):  # type: ignore[misc]  # Django ships no types
    """One row that ``/healthz`` rewrites and commits: only a committed write proves the
    database takes writes (a read-only replica or a full disk fails there, not on connecting)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    probed_at = models.DateTimeField()

    class Meta:
        verbose_name = "webhook store probe"
