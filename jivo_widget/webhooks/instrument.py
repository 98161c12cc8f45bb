"""What the receiver tells the world about each delivery: one log line, and the metrics hooks.

The receiver, the dispatcher and the group commit call an :class:`Observer` at each step of a
delivery; they hold no metrics code of their own. The base observer writes the one structured
log line per event (:func:`log_event`); :class:`~jivo_widget.webhooks.metrics.PrometheusMetrics`
adds counters and histograms on top.

The log line is INFO, and holds nothing personal: the event's id, name, status and latency
(the ``event_name`` of an unknown event is shown escaped and cut short, it is the sender's text).
The same values are attached to the record as ``record.jivo_event`` (a dict) for JSON log
formatters.
"""

from __future__ import annotations

from jivo_widget.webhooks._logging import logger
from jivo_widget.webhooks.events import EVENT_MODELS

__all__ = ["MALFORMED_LABEL", "UNKNOWN_LABEL", "Observer", "event_label", "log_event"]

#: The event label of a body that is not an event at all (no usable ``event_name``).
MALFORMED_LABEL = "(malformed)"
#: The event label of every ``event_name`` this version does not model: the sender chooses the
#: name, so each one as a label of its own would let it grow the metrics without bound.
UNKNOWN_LABEL = "(unknown)"


def event_label(event_name: str | None) -> str:
    """``event_name`` as a metrics label: a known name, :data:`UNKNOWN_LABEL` or
    :data:`MALFORMED_LABEL`."""
    if event_name is None:
        return MALFORMED_LABEL
    return event_name if event_name in EVENT_MODELS else UNKNOWN_LABEL


def _shown_name(event_name: str | None) -> str:
    if event_name is None or event_name in EVENT_MODELS:
        return event_label(event_name)
    return ascii(event_name[:40])  # the sender's text: escaped, one line, bounded


def log_event(event_id: int | None, event_name: str | None, status: str, seconds: float) -> None:
    """The one INFO line for a delivery: ``event id=… name=… status=… latency_ms=…``."""
    latency_ms = round(seconds * 1000, 1)
    name = _shown_name(event_name)
    fields = {"id": event_id, "name": name, "status": status, "latency_ms": latency_ms}
    logger.info(
        "event id=%s name=%s status=%s latency_ms=%s",
        "-" if event_id is None else event_id, name, status, latency_ms,
        extra={"jivo_event": fields},
    )  # fmt: skip


class Observer:
    """The hooks a delivery goes through. This base writes the log line (:meth:`finished`) and
    ignores the rest; subclasses add metrics. Every hook must be cheap and must not raise.

    Names are the payload's ``event_name`` (``None`` for a malformed body); see
    :func:`event_label` before using one as a label.
    """

    @property
    def serves_metrics(self) -> bool:
        """Whether adapters serve ``GET /metrics`` with :meth:`exposition`."""
        return False

    def exposition(self) -> tuple[bytes, str]:
        """The body of ``GET /metrics`` and its content type (observers that serve metrics)."""
        raise NotImplementedError("this observer keeps no metrics")

    def received(self, event_name: str | None) -> None:
        """A body was read and decoded (whatever it turned out to be)."""

    def stored(self, event_name: str | None) -> None:
        """Its row was committed."""

    def duplicate(self, event_name: str | None) -> None:
        """It was a resend of a stored event: answered again, not stored."""

    def unavailable(self, event_name: str | None) -> None:
        """The store could not take it: answered 503."""

    def handled(self, event_name: str, seconds: float, *, failed: bool) -> None:
        """Its handlers are done (or timed out) after ``seconds``; ``failed``: one of them
        raised, timed out or returned a response that could not be sent."""

    def dead(self, event_name: str) -> None:
        """It will not be retried again (its attempts are exhausted). Called by a worker that
        retries events off the request path; the receiver itself never gives up on an event."""

    def replied(self, event_name: str | None, status: int, seconds: float) -> None:
        """Its answer (HTTP ``status``) was ready ``seconds`` after the body was read."""

    def committed(self, seconds: float, rows: int) -> None:
        """One store transaction of ``rows`` writes took ``seconds``."""

    def finished(
        self, event_id: int | None, event_name: str | None, status: str, seconds: float
    ) -> None:
        """Its final state for this delivery (``processed``, ``failed``, ``invalid``,
        ``malformed``, ``duplicate``, ``unavailable``, ``too_large``), ``seconds`` after it
        was read: the one log line."""
        log_event(event_id, event_name, status, seconds)
