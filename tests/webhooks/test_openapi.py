"""The OpenAPI 3.1 document: generated from the models, served, written, and fuzzed.

Schemathesis runs against a live ``jivo-widget serve`` (bounded examples, a fixed seed): no
server error, every answer (status, content type, headers, body) as the document says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jsonschema
import pytest

from jivo_widget.webhooks import EVENT_MODELS, samples
from jivo_widget.webhooks.openapi import openapi_document

if TYPE_CHECKING:
    from conftest import JivoCli

WEBHOOK = "/jivo/webhook/{secret}"

#: The stores the fuzzing runs against: ``{tmp}`` is the test's directory. A PostgreSQL URL joins
#: this list where the server for it runs (JIVO_TEST_POSTGRES_URL).
STORE_URLS = ["sqlite:///{tmp}/events.db"]
if os.environ.get("JIVO_TEST_POSTGRES_URL"):
    STORE_URLS.append(os.environ["JIVO_TEST_POSTGRES_URL"])

#: What "conforming" means: these checks, every one of them, on every answer.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]


def _request_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The webhook's request body schema, resolvable on its own (refs into the document)."""
    body = document["paths"][WEBHOOK]["post"]["requestBody"]["content"]["application/json"]
    return {"components": document["components"], **body["schema"]}


def _component(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {"components": document["components"], "$ref": f"#/components/schemas/{name}"}


def test_document_is_openapi_3_1_with_valid_json_schemas() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {WEBHOOK, "/healthz", "/openapi.json"}
    assert "/metrics" in openapi_document(metrics=True)["paths"]
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    responses = document["paths"][WEBHOOK]["post"]["responses"]
    assert set(responses) == {"200", "400", "404", "405", "413", "422", "503"}
    json.dumps(document)  # plain JSON all the way down


@pytest.mark.parametrize("name", samples.names())
def test_every_sample_matches_its_own_event_schema_and_the_request_body(name: str) -> None:
    document = openapi_document()
    payload = samples.load(name)
    jsonschema.validate(payload, _request_schema(document))
    jsonschema.validate(payload, _component(document, EVENT_MODELS[name].__name__))
    other = next(n for n in EVENT_MODELS if n != name)
    with pytest.raises(jsonschema.ValidationError):  # event_name pins the schema
        jsonschema.validate({**payload, "event_name": other}, _component(document, name_of(name)))


def name_of(event_name: str) -> str:
    return EVENT_MODELS[event_name].__name__


def test_unknown_event_names_match_only_the_unknown_event_schema() -> None:
    document = openapi_document()
    jsonschema.validate({"event_name": "created_deal", "deal_id": 3}, _request_schema(document))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"event_name": "chat_accepted"}, _component(document, "UnknownEvent"))


def test_answers_match_their_documented_shapes() -> None:
    document = openapi_document()
    ok = document["paths"][WEBHOOK]["post"]["responses"]["200"]["content"]
    jsonschema.validate({"result": "ok"}, {**ok["application/json"]["schema"], **document})
    card = {"result": "ok", "crm_link": "https://crm.example.com/c/1", "enable_assign": True}
    jsonschema.validate(card, {**ok["application/json"]["schema"], **document})
    error = _component(document, "ErrorReply")
    jsonschema.validate({"result": "error", "error": "chat_id: not an integer"}, error)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"result": "ok"}, error)


def test_events_openapi_writes_what_serve_serves(tmp_path: Path, jivo_cli: JivoCli) -> None:
    written = jivo_cli.run("events", "openapi", "-o", str(tmp_path / "api.json"), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    printed = jivo_cli.run("events", "openapi", "--metrics", cwd=tmp_path)
    served = jivo_cli.serve(tmp_path, "--secret", jivo_cli.secret)
    from_server = httpx.get(f"{served.base}/openapi.json", timeout=10)
    assert from_server.headers["content-type"] == "application/json"
    assert json.loads((tmp_path / "api.json").read_text("utf-8")) == from_server.json()
    assert json.loads(printed.stdout) == openapi_document(metrics=True)
    refused = jivo_cli.run("events", "openapi", "-o", str(tmp_path / "no" / "a.json"), cwd=tmp_path)
    assert refused.returncode == 1 and "cannot write" in refused.stderr


@pytest.mark.slow
@pytest.mark.parametrize("store_template", STORE_URLS)
def test_schemathesis_finds_no_server_error_and_only_documented_answers(
    store_template: str, tmp_path: Path, jivo_cli: JivoCli
) -> None:
    store = store_template.format(tmp=tmp_path)
    served = jivo_cli.serve(tmp_path, "--store", store, "--secret", jivo_cli.secret, "--metrics")
    config = tmp_path / "schemathesis.toml"
    # The right secret in the path, so the bodies reach the receiver (a wrong one is a 404
    # with nothing read: the contract tests cover it).
    config.write_text(f'[parameters]\n"path.secret" = "{jivo_cli.secret}"\n', encoding="utf-8")
    report = tmp_path / "junit.xml"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config),
            "--no-color", "run", f"{served.base}/openapi.json", "--checks", ",".join(CHECKS),
            "--phases", "examples,fuzzing", "--max-examples", "40", "--seed", "20241125",
            "--workers", "1", "--report", "junit", "--report-junit-path", str(report),
        ],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    cases = [case.get("name", "") for case in ET.parse(report).getroot().iter("testcase")]
    assert any(WEBHOOK in name for name in cases) and any("/metrics" in name for name in cases)
    assert not list(ET.parse(report).getroot().iter("failure"))
    # The bodies got through the secret to the store: many were stored.
    metrics = httpx.get(f"{served.base}/metrics", timeout=10).text
    stored = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("jivo_webhook_events_stored_total{")
    )
    assert stored >= 20, metrics
    served.stop()
