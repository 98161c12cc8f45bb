"""Prometheus metrics at GET /metrics: counts by event, latency histograms, several processes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jivo_widget.errors import JivoConfigError
from jivo_widget.webhooks import WebhookApp, samples

if TYPE_CHECKING:
    from conftest import JivoCli, Servers


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition: (name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples_: dict[Any, float], name: str, **labels: str) -> float:
    return samples_.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_every_kind_of_delivery_by_event(tmp_path: Path, servers: Servers) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'events.db'}", metrics=True)

    @hooks.on("chat_accepted")
    def card(event: Any) -> dict[str, Any]:
        return {"crm_link": "https://crm.example.com/c/1"}

    @hooks.on("chat_finished")
    def export(event: Any) -> None:
        raise RuntimeError("CRM is down")

    base = servers.asgi(hooks.asgi())
    url = f"{base}/jivo/webhook/S"
    with httpx.Client(timeout=10) as client:
        accepted = samples.load_bytes("chat_accepted")
        assert client.post(url, content=accepted).status_code == 200
        assert client.post(url, content=accepted).headers["x-jivo-duplicate-of"] == "1"
        assert client.post(url, content=samples.load_bytes("chat_finished")).status_code == 200
        assert client.post(url, content=samples.load_bytes("created_task")).status_code == 200
        assert client.post(url, content=b'{"event_name": "brand_new"}').status_code == 200
        assert client.post(url, content=b"not json").status_code == 400
        assert (
            client.post(url, content=b'{"event_name": "chat_accepted", "chat_id": "x"}').status_code
            == 422
        )
        assert hooks.receiver.drain_blocking(10)
        response = client.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = _samples(response.text)
    received = "jivo_webhook_events_received_total"
    assert _value(found, received, event="chat_accepted") == 3  # two copies and the invalid one
    assert _value(found, received, event="(unknown)") == 1  # the sender's name is no label
    assert _value(found, received, event="(malformed)") == 1
    assert _value(found, received, event="created_task") == 1
    stored = "jivo_webhook_events_stored_total"
    assert _value(found, stored, event="chat_accepted") == 2  # the first copy and the invalid
    assert _value(found, stored, event="(malformed)") == 1
    assert _value(found, "jivo_webhook_events_duplicates_total", event="chat_accepted") == 1
    assert _value(found, "jivo_webhook_events_failed_total", event="chat_finished") == 1
    assert _value(found, "jivo_webhook_events_failed_total", event="chat_accepted") == 0
    handler = "jivo_webhook_handler_duration_seconds_count"
    assert _value(found, handler, event="chat_finished") == 1
    assert _value(found, handler, event="chat_accepted") == 1
    response_count = "jivo_webhook_response_duration_seconds_count"
    assert _value(found, response_count, event="chat_accepted", status="200") == 2
    assert _value(found, response_count, event="chat_accepted", status="422") == 1
    assert _value(found, response_count, event="(malformed)", status="400") == 1
    assert _value(found, "jivo_webhook_store_commit_duration_seconds_count") >= 5
    # Defined for the worker that retries events (none here): described, no sample yet.
    assert "# TYPE jivo_webhook_events_dead_total counter" in response.text
    assert "jivo_webhook_events_dead_total{" not in response.text


def test_no_metrics_route_unless_asked(tmp_path: Path, servers: Servers) -> None:
    hooks = WebhookApp(secret="S", store=f"sqlite:///{tmp_path / 'events.db'}")
    base = servers.asgi(hooks.asgi())
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 404
    assert "/metrics" not in httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]


def test_metrics_without_the_extra_is_a_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.delitem(sys.modules, "jivo_widget.webhooks.metrics", raising=False)
    with pytest.raises(JivoConfigError, match=r"jivo-widget\[metrics\]"):
        WebhookApp(secret="S", store="sqlite:///:memory:", metrics=True)


def test_configured_copies_share_the_metrics_or_turn_them_on(tmp_path: Path) -> None:
    hooks = WebhookApp(secret="S", store="sqlite:///:memory:", metrics=True)
    assert hooks.configured(secret="T").receiver.observer is hooks.receiver.observer
    plain = WebhookApp(secret="S", store="sqlite:///:memory:")
    assert not plain.receiver.observer.serves_metrics
    assert plain.configured(metrics=True).receiver.observer.serves_metrics


@pytest.mark.slow
def test_serve_workers_sum_their_metrics_in_multiprocess_mode(
    tmp_path: Path, jivo_cli: JivoCli
) -> None:
    """Two receiver processes sharing PROMETHEUS_MULTIPROC_DIR: either one's /metrics counts
    the deliveries both received (what gunicorn or uvicorn workers need)."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    served = []
    for name in ("a", "b"):
        cwd = tmp_path / name
        cwd.mkdir()
        served.append(
            jivo_cli.serve(
                cwd,
                "--secret",
                jivo_cli.secret,
                "--metrics",
                PROMETHEUS_MULTIPROC_DIR=str(shared),
            )
        )
    for index, server in enumerate(served):
        for count in range(index + 1):  # one delivery to the first, two to the second
            server.post_sample("chat_finished", chat_id=100 + 10 * index + count)
    for server in served:
        found = _samples(httpx.get(f"{server.base}/metrics", timeout=10).text)
        assert _value(found, "jivo_webhook_events_received_total", event="chat_finished") == 3
        assert _value(found, "jivo_webhook_events_stored_total", event="chat_finished") == 3
