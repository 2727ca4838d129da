"""What a program sends to the chat's HTTP API (web/http_api.py), checked: the message, the history or
the session whose history the server keeps, and the additional inputs by name. A request the
API cannot take raises :class:`ApiError` with the HTTP status and the body to answer.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..options.inputs import default as default_input
from ..options.inputs import describe as describe_input
from ..options.inputs import parse_values

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")
ROLES = ("user", "assistant")


class ApiError(Exception):
    """An answer other than the reply: ``status`` and ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


@dataclass
class ApiRequest:
    message: Any  # the text, or a multimodal chat's {"text", "files"}
    text: str
    history: list[dict[str, Any]] | None  # None: the session's
    session_id: str
    new_session: bool
    inputs: list[Any] = field(default_factory=list)
    files: list[Any] = field(default_factory=list)  # the message's files, stored (files.StoredFile)


def input_names(components: Sequence[Any], parameters: Sequence[str]) -> list[list[str]]:
    """The names each additional input answers to: fn's parameter for it, and its label as
    an identifier ("System prompt" -> "system_prompt")."""
    names = []
    for index, component in enumerate(components):
        own = [parameters[index]] if index < len(parameters) else []
        label = describe_input(component).get("label")
        if isinstance(label, str) and label.strip():
            slug = re.sub(r"\W+", "_", label.strip().lower()).strip("_")
            if slug and slug not in own:
                own.append(slug)
        names.append(own or [f"input{index + 1}"])
    return names


def parse_request(
    body: Any, *, components: Sequence[Any], names: Sequence[Sequence[str]], max_chars: int, multimodal: bool
) -> ApiRequest:
    """``body`` (the decoded JSON) as a request, or ApiError 400 naming what is wrong."""
    if not isinstance(body, Mapping):
        raise ApiError(400, "bad_request", 'send a JSON object: {"message": "Hello"}')
    known = {"message", "history", "session_id"} | {name for group in names for name in group}
    unknown = sorted(str(key) for key in body if key not in known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "this chat takes: " + ", ".join(sorted(known))
        raise ApiError(400, "bad_request", f"unknown parameter {unknown[0]!r}; {hint}")
    message, text = _message(body.get("message"), multimodal)
    if not text.strip() and not (isinstance(message, dict) and message.get("files")):
        raise ApiError(400, "bad_request", "message: it is empty")
    if len(text) > max_chars:
        raise ApiError(413, "too_large", f"message: {len(text)} characters; the limit is {max_chars}")
    history = _history(body["history"]) if body.get("history") is not None else None
    session_id = body.get("session_id")
    if session_id is not None and (not isinstance(session_id, str) or not SESSION_ID.match(session_id)):
        raise ApiError(400, "bad_request", "session_id: 8-64 of A-Z a-z 0-9 _ - (one the API gave)")
    raw = []
    for component, group in zip(components, names, strict=False):
        given = [name for name in group if name in body]
        if len(given) > 1:
            raise ApiError(400, "bad_request", f"give {given[0]!r} or {given[1]!r}, not both: they are one input")
        raw.append(body[given[0]] if given else default_input(component))
    try:
        inputs = parse_values(components, raw) if components else []
    except ValueError as exc:
        raise ApiError(400, "invalid", str(exc)) from None
    # A new session's id is the server's: 192 random bits, so it cannot be guessed.
    return ApiRequest(message, text, history, session_id or secrets.token_urlsafe(24), session_id is None, inputs)


def _message(value: Any, multimodal: bool) -> tuple[Any, str]:
    if isinstance(value, str):
        return ({"text": value, "files": []} if multimodal else value), value
    if multimodal and isinstance(value, Mapping) and isinstance(value.get("text", ""), str):
        files = value.get("files", [])
        if not isinstance(files, list) or not all(_is_file(f) for f in files):
            raise ApiError(400, "bad_request", 'message.files: a list of {"name": "cat.png", "data": "<base64>"}')
        return {"text": value.get("text", ""), "files": files}, value.get("text", "")
    what = 'a string, or {"text": ..., "files": [...]}' if multimodal else "a string"
    raise ApiError(400, "bad_request", f"message: {what} is required")


def _is_file(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("name"), str) and isinstance(value.get("data"), str)


def _history(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ApiError(400, "bad_request", 'history: a list of {"role": "user" | "assistant", "content": ...}')
    out = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping) or entry.get("role") not in ROLES or "content" not in entry:
            raise ApiError(400, "bad_request", f'history[{index}]: {{"role": "user" | "assistant", "content": ...}}')
        content = entry["content"]
        if not isinstance(content, str):  # a file in a history is the server's to name: session_id keeps those
            raise ApiError(400, "bad_request", f"history[{index}].content: a string")
        item: dict[str, Any] = {"role": entry["role"], "content": content}
        for key in ("metadata", "options"):
            if entry.get(key):
                item[key] = entry[key]
        out.append(item)
    return out


__all__ = ["ApiError", "ApiRequest", "input_names", "parse_request"]
