"""Prometheus metrics of the webhook receiver (the ``metrics`` extra: ``prometheus_client``).

:class:`PrometheusMetrics` is an :class:`~jivo_widget.webhooks.instrument.Observer`: the
receiver calls it, and ``GET /metrics`` (served by the ASGI app, so by ``jivo-widget serve
--metrics``) answers :meth:`PrometheusMetrics.exposition` in Prometheus' text format.

Counters, by ``event`` (a known ``event_name``, ``(unknown)`` for any other name — the sender
chooses it, so it is never a label of its own — or ``(malformed)``)::

    jivo_webhook_events_received_total     bodies read and decoded
    jivo_webhook_events_stored_total       rows committed
    jivo_webhook_events_duplicates_total   resends answered again, not stored
    jivo_webhook_events_unavailable_total  answered 503: the store could not take them
    jivo_webhook_events_failed_total       a handler raised, timed out or returned a bad response
    jivo_webhook_events_dead_total         given up on after the last retry: incremented by a
                                           worker that retries events off the request path
                                           (the receiver itself never gives up on an event)

Histograms (seconds)::

    jivo_webhook_handler_duration_seconds{event}          start of the handlers to their end
    jivo_webhook_response_duration_seconds{event,status}  body read to answer ready
    jivo_webhook_store_commit_duration_seconds            one store transaction (group commit)

**Several processes** (``gunicorn -w 4``, uvicorn workers): each process counts on its own, so
``prometheus_client``'s multiprocess mode must be on — set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory, writable by every worker, *before* the processes start (and empty it on each
deploy). Every process then writes its values to files there, and whichever worker answers
``/metrics`` sums them all (:meth:`PrometheusMetrics.exposition` reads them when the variable is
set). Only counters and histograms are used, which multiprocess mode sums without further set-up.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from jivo_widget.webhooks.instrument import Observer, event_label

__all__ = ["MULTIPROCESS_ENV", "PrometheusMetrics"]

#: ``prometheus_client``'s switch to multiprocess mode: a directory shared by the workers.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Webhook work is short: a capture-only delivery takes about a millisecond, a handler up to
#: ``handler_timeout`` (30 s by default).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class PrometheusMetrics(Observer):
    """The receiver's metrics, in a registry of their own (two apps in one process do not
    collide), plus the base observer's log line."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)

        def counter(name: str, documentation: str) -> Counter:
            return Counter(
                f"jivo_webhook_events_{name}", documentation, ["event"], registry=self.registry
            )

        self._received = counter("received", "Webhook bodies read and decoded.")
        self._stored = counter("stored", "Webhook events committed to the store.")
        self._duplicates = counter("duplicates", "Resends answered again without storing them.")
        self._unavailable = counter("unavailable", "Deliveries answered 503 (store unavailable).")
        self._failed = counter("failed", "Events whose handlers failed.")
        self._dead = counter("dead", "Events given up on after their last retry (worker).")
        self._handler_seconds = Histogram(
            "jivo_webhook_handler_duration_seconds",
            "Time from the start of an event's handlers to their end.",
            ["event"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._response_seconds = Histogram(
            "jivo_webhook_response_duration_seconds",
            "Time from reading a delivery's body to its answer being ready.",
            ["event", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._commit_seconds = Histogram(
            "jivo_webhook_store_commit_duration_seconds",
            "Time one store transaction (a group commit) took.",
            buckets=_BUCKETS,
            registry=self.registry,
        )

    @property
    def serves_metrics(self) -> bool:
        """Adapters serve ``GET /metrics`` for this observer."""
        return True

    def received(self, event_name: str | None) -> None:
        self._received.labels(event_label(event_name)).inc()

    def stored(self, event_name: str | None) -> None:
        self._stored.labels(event_label(event_name)).inc()

    def duplicate(self, event_name: str | None) -> None:
        self._duplicates.labels(event_label(event_name)).inc()

    def unavailable(self, event_name: str | None) -> None:
        self._unavailable.labels(event_label(event_name)).inc()

    def handled(self, event_name: str, seconds: float, *, failed: bool) -> None:
        label = event_label(event_name)
        self._handler_seconds.labels(label).observe(seconds)
        if failed:
            self._failed.labels(label).inc()

    def dead(self, event_name: str) -> None:
        self._dead.labels(event_label(event_name)).inc()

    def replied(self, event_name: str | None, status: int, seconds: float) -> None:
        self._response_seconds.labels(event_label(event_name), str(status)).observe(seconds)

    def committed(self, seconds: float, rows: int) -> None:
        self._commit_seconds.observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """``GET /metrics``: the body in Prometheus' text format, and its content type.

        With ``PROMETHEUS_MULTIPROC_DIR`` set, the values of every process writing there,
        summed; otherwise this process's.
        """
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
