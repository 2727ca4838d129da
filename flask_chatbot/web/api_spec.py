"""``GET {mount}/api/info``: the chat's HTTP API described as OpenAPI 3.0 (web/http_api.py), for
programs and the tools that read such descriptions."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from ..options.inputs import describe as describe_input

# JSON Schema of each kind of additional input's value.
_TYPES: dict[str, dict[str, Any]] = {
    "textbox": {"type": "string"},
    "slider": {"type": "number"},
    "number": {"type": "number"},
    "checkbox": {"type": "boolean"},
    "checkboxgroup": {"type": "array", "items": {"type": "string"}},
}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
    },
}


def _input_schema(component: Any) -> dict[str, Any]:
    spec = describe_input(component)
    schema = dict(_TYPES.get(spec["type"], {}))
    if spec["type"] in ("dropdown", "radio") and spec.get("choices"):
        values = [choice[1] if isinstance(choice, (list, tuple)) else choice for choice in spec["choices"]]
        schema = {"enum": values} if not spec.get("multiselect") else {"type": "array", "items": {"enum": values}}
    for key, name in (("minimum", "minimum"), ("maximum", "maximum")):
        if spec.get(key) is not None:
            schema[name] = spec[key]
    if spec.get("value") is not None:
        schema["default"] = spec["value"]
    description = " ".join(str(part) for part in (spec.get("label"), spec.get("info")) if part)
    if description:
        schema["description"] = description
    return schema


def openapi(bot: Any, names: Sequence[Sequence[str]], base: str) -> dict[str, Any]:
    """The OpenAPI document of ``bot``'s API, served from ``base`` (the mount's URL)."""
    opts = bot.options
    description = opts.api_description
    if description is None:
        description = inspect.getdoc(bot.fn) or "Send a message; get the chat's reply."
    message: dict[str, Any] = {"type": "string", "description": "the user's message"}
    if opts.multimodal:
        message = {"oneOf": [message, {"type": "object", "properties": {"text": {"type": "string"}}}]}
    properties: dict[str, Any] = {
        "message": message,
        "history": {
            "type": "array",
            "description": "the conversation so far (OpenAI-style messages); without it the server keeps "
            "the conversation of session_id",
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {"role": {"enum": ["user", "assistant"]}, "content": {"type": "string"}},
            },
        },
        "session_id": {
            "type": "string",
            "description": "the session_id of an earlier answer: go on with that conversation",
        },
    }
    for component, group in zip(opts.additional_inputs, names, strict=False):
        properties[group[0]] = _input_schema(component)
    answer = {
        "type": "object",
        "properties": {
            "response": {
                "description": "the reply's content: Markdown text, a file's object, or a list for several messages"
            },
            "history": {"type": "array", "items": {"type": "object"}},
            "session_id": {"type": "string"},
            "outputs": {"type": "array", "description": "the additional outputs' values"},
        },
    }
    path = f"/api/{opts.api_name}"
    return {
        "openapi": "3.0.3",
        "info": {"title": opts.title or "Chat", "version": "1", "description": description or ""},
        "servers": [{"url": base}],
        "paths": {
            path: {
                "post": {
                    "operationId": str(opts.api_name),
                    "summary": "Send a message; the reply as JSON, or as Server-Sent Events with Accept: text/event-stream",
                    "parameters": [_LAST_EVENT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["message"],
                                    "properties": properties,
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "the reply",
                            "content": {
                                "application/json": {"schema": answer},
                                "text/event-stream": {
                                    "schema": {
                                        "type": "string",
                                        "description": "events: message, delta, status, toast, output, then done (the JSON answer) or error; each with an id to resume from",
                                    }
                                },
                            },
                        },
                        **{
                            str(status): {"description": what, "content": {"application/json": {"schema": _ERROR}}}
                            for status, what in (
                                (400, "a request the chat cannot take"),
                                (413, "too large"),
                                (415, "not JSON"),
                                (422, "refused by the validator"),
                                (404, "Last-Event-ID names no turn of this chat any more"),
                                (500, "fn failed"),
                                (503, "the line is full"),
                            )
                        },
                    },
                },
                "delete": {
                    "operationId": f"{opts.api_name}_stop",
                    "summary": "Stop the reply a stream's Last-Event-ID names, wherever it runs",
                    "parameters": [{**_LAST_EVENT_ID, "required": True}],
                    "responses": {
                        "200": {"description": "stopped: fn is closed at its next yield"},
                        "404": {"description": "no such turn", "content": {"application/json": {"schema": _ERROR}}},
                    },
                },
            }
        },
    }


_LAST_EVENT_ID = {
    "name": "Last-Event-ID",
    "in": "header",
    "required": False,
    "description": "the id of the last event a dropped stream had: the stream goes on after it (the body is not read)",
    "schema": {"type": "string"},
}


__all__ = ["openapi"]
