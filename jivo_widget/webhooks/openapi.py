"""The OpenAPI 3.1 document of the webhook endpoint, generated from the event and response models.

Served at ``GET /openapi.json`` by the ASGI app (and so by ``jivo-widget serve``) and written by
``jivo-widget events openapi``. Request bodies are the event models' JSON Schemas (pydantic's,
as the models read them: ``validation`` mode), one per known ``event_name`` plus any other name;
the answers are those of :mod:`jivo_widget.webhooks.contract`.

What a schema cannot say, the descriptions do: the receiver is *more* tolerant than the schemas
(numbers as strings, ``[]`` for an empty object, ``""`` for "not set" — see
:mod:`jivo_widget.webhooks.fields`), every body is stored whatever it holds, and only the
answers to ``chat_accepted`` / ``chat_updated`` carry more than ``{"result": "ok"}``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jivo_widget import __version__
from jivo_widget.urls import HTTP_URL_PATTERN, HTTPS_URL_PATTERN
from jivo_widget.webhooks.contract import (
    DEFAULT_MAX_BODY_BYTES,
    DUPLICATE_HEADER,
    HEALTH_PATH,
    METRICS_PATH,
    OPENAPI_PATH,
    WEBHOOK_PATH,
)
from jivo_widget.webhooks.events import EVENT_MODELS, RESPONSE_EVENTS, JivoEvent, UnknownEvent
from jivo_widget.webhooks.responses import ChatResponse

__all__ = ["openapi_document", "openapi_json"]

_REF = "#/components/schemas/{model}"


def _model_schema(model: type[Any], mode: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """``model``'s JSON Schema, its nested models moved to ``components.schemas``."""
    schema: dict[str, Any] = model.model_json_schema(ref_template=_REF, mode=mode)
    schemas.update(schema.pop("$defs", {}))
    return schema


#: The URL rule's pattern is written for the Rust regex engine in pydantic-core (``\p{Cc}``,
#: nested classes), not for ECMA-262, which JSON Schema's ``pattern`` means: a client would
#: refuse or misread it. Links are documented as URIs, with the rule in words.
_URL_PATTERNS = {HTTP_URL_PATTERN, HTTPS_URL_PATTERN}
_LINK = (
    "An absolute http(s) URL with a real host: no user@, no whitespace, control or invisible "
    "formatting characters (the toolkit's URL rule)."
)


def _portable(schema: Any) -> Any:
    """``schema`` with the URL rule's engine-specific pattern replaced by ``format: uri``."""
    if isinstance(schema, list):
        return [_portable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("pattern") in _URL_PATTERNS:
        rest = {key: value for key, value in schema.items() if key != "pattern"}
        return {**rest, "format": "uri", "description": _LINK}
    return {key: _portable(value) for key, value in schema.items()}


def _event_schema(name: str, model: type[JivoEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = _model_schema(model, "validation", schemas)
    schema["properties"]["event_name"] = {"const": name, "type": "string"}
    schema["title"] = f"{model.__name__} ({name})"
    schema["description"] = (model.__doc__ or "").strip()
    if model.reads_response:
        schema["description"] += "\n\nJivo shows the answer's card to the agent."
    return schema


def _unknown_event_schema(schemas: dict[str, Any]) -> dict[str, Any]:
    schema = _model_schema(UnknownEvent, "validation", schemas)
    schema["properties"]["event_name"] = {
        "type": "string",
        "minLength": 1,
        "not": {"enum": sorted(EVENT_MODELS)},
    }
    schema["title"] = "UnknownEvent (any other event_name)"
    schema["description"] = (
        "An event_name this version does not model (Jivo adds events over time): stored and "
        'answered {"result": "ok"}, its fields kept as sent.'
    )
    return schema


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


_ERROR = {"$ref": _REF.format(model="ErrorReply")}
_DUPLICATE = {
    DUPLICATE_HEADER: {
        "description": "On the answer to a resend: the id of the stored event it repeats (the "
        "first delivery's answer is given again and its handlers are not run again).",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def _webhook_responses() -> dict[str, Any]:
    ok_card = _REF.format(model="ChatResponse")
    reads = ", ".join(sorted(RESPONSE_EVENTS))
    return {
        "200": _json(
            {"anyOf": [{"$ref": _REF.format(model="OkReply")}, {"$ref": ok_card}]},
            f"Stored. For {reads}: the card a handler shaped (a ChatResponse), or "
            '{"result": "ok"} when none did in time; for every other event (known or not) '
            '{"result": "ok"}, also when a handler failed (the failure is stored with the '
            "event, which can be replayed).",
            headers=_DUPLICATE,
        ),
        "400": _json(
            _ERROR,
            "Not a UTF-8 JSON object with a non-empty string event_name: stored as malformed.",
            headers=_DUPLICATE,
        ),
        "404": _json(_ERROR, "Wrong or missing secret: nothing read, nothing stored."),
        "405": _json(
            _ERROR,
            "Not a POST: nothing read, nothing stored.",
            headers={"Allow": {"schema": {"type": "string", "const": "POST"}}},
        ),
        "413": _json(
            _ERROR,
            f"Body over the receiver's max_body_bytes ({DEFAULT_MAX_BODY_BYTES} by default): "
            "nothing stored.",
        ),
        "422": _json(
            _ERROR,
            'The body breaks its event\'s model (e.g. chat_id: "abc"); the error names each '
            "field and rule. Stored as invalid.",
            headers=_DUPLICATE,
        ),
        "503": _json(
            _ERROR, "The event store cannot take the delivery: nothing stored; retry later."
        ),
    }


def _health_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "error"]},
            "error": {"type": "string"},
        },
        "required": ["status"],
    }


def openapi_document(*, metrics: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the endpoint; ``metrics``: include ``GET /metrics`` (served
    only by an app that keeps metrics)."""
    schemas: dict[str, Any] = {}
    events = [_event_schema(name, model, schemas) for name, model in sorted(EVENT_MODELS.items())]
    for event in events:
        schemas[event["title"].split(" ")[0]] = event
    schemas["UnknownEvent"] = _unknown_event_schema(schemas)
    schemas["ChatResponse"] = _model_schema(ChatResponse, "serialization", schemas)
    schemas["OkReply"] = {
        "type": "object",
        "properties": {"result": {"const": "ok", "type": "string"}},
        "required": ["result"],
        "additionalProperties": False,
    }
    schemas["ErrorReply"] = {
        "type": "object",
        "properties": {
            "result": {"const": "error", "type": "string"},
            "error": {"type": "string", "description": "What is wrong, naming the field."},
        },
        "required": ["result", "error"],
        "additionalProperties": False,
    }
    body_refs = [{"$ref": _REF.format(model=event["title"].split(" ")[0])} for event in events]
    paths: dict[str, Any] = {
        WEBHOOK_PATH + "/{secret}": {
            "post": {
                "operationId": "receiveWebhook",
                "summary": "A Jivo webhook delivery (chat or CRM webhook).",
                "description": (
                    "Every body is stored before it is answered. Fields are read more "
                    "tolerantly than the schemas say: ids and counters as numbers or strings, "
                    'null / "" / {} / [] as "not set", PHP\'s [] for an empty object; '
                    "unknown keys are kept. Content-Type is neither required nor trusted."
                ),
                "parameters": [
                    {
                        "name": "secret",
                        "in": "path",
                        "required": True,
                        "description": "The webhook secret: the only authentication Jivo has.",
                        "schema": {"type": "string", "minLength": 1},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [*body_refs, {"$ref": _REF.format(model="UnknownEvent")}]
                            }
                        }
                    },
                },
                "responses": _webhook_responses(),
            }
        },
        HEALTH_PATH: {
            "get": {
                "operationId": "health",
                "summary": "Whether the event store takes writes.",
                "responses": {
                    "200": _json(_health_schema(), "The store takes writes."),
                    "503": _json(_health_schema(), "The store cannot take writes."),
                },
            }
        },
        OPENAPI_PATH: {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            }
        },
    }
    if metrics:
        paths[METRICS_PATH] = {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics (text exposition format).",
                "responses": {
                    "200": {
                        "description": "Counters and histograms of the receiver.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Jivo webhook receiver (jivo-widget)",
            "version": __version__,
            "description": (
                "The endpoint Jivo (JivoChat) posts its chat and CRM webhooks to. Jivo does not "
                "sign them: the secret path segment is the only authentication."
            ),
        },
        "paths": paths,
        "components": {"schemas": _portable(schemas)},
    }


@cache
def openapi_json(*, metrics: bool = False) -> bytes:
    """:func:`openapi_document` as compact JSON bytes (built once per process)."""
    return json.dumps(openapi_document(metrics=metrics), separators=(",", ":")).encode()
