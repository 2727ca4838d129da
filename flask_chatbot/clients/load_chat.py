"""``load_chat``: a chat in front of any OpenAI-compatible server, as ``gr.load_chat`` makes
one (docs/openai.md#load_chat). fn sends the conversation to ``{base_url}/chat/completions``
and streams the model's answer back; the reader's images go as ``image_url`` parts and their
text files inline, where ``file_types`` lets them in. Standard library only.
"""

from __future__ import annotations

import base64
import http.client
import json
import mimetypes
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint

from ..blueprint import chat_bp
from ..errors import Error, OptionsError

# file_types of gr.load_chat: how each kind of file reaches the model.
FILE_KINDS = {
    "text_encoded": [".txt", ".md", ".csv", ".json", ".py", ".html", ".xml", ".yaml", ".yml"],
    "image": ["image"],
}
TEXT_FILE_CHARS = 100_000  # of a text file put into the message: a model's context is finite


def load_chat(
    base_url: str,
    model: str,
    token: str | None = None,
    *,
    file_types: str | list[str] | None = "text_encoded",
    system_message: str | None = None,
    streaming: bool = True,
    timeout: float = 120.0,
    **options: Any,
) -> Blueprint:
    """A blueprint whose fn is ``model`` of the OpenAI-compatible server at ``base_url``
    (``https://api.openai.com/v1``, ``http://localhost:11434/v1``...), with ``token`` as its
    bearer key. ``file_types``: "text_encoded" (text files in the message), "image" (images as
    image_url parts), a list of both, or None (no files). ``options`` are chat_bp()'s."""
    respond = openai_fn(
        base_url,
        model,
        token,
        file_types=file_types,
        system_message=system_message,
        streaming=streaming,
        timeout=timeout,
    )
    accepted = [t for kind in respond.file_kinds for t in FILE_KINDS[kind]]  # type: ignore[attr-defined]  # set on the function by openai_fn
    if accepted:
        options.setdefault("multimodal", True)
        options.setdefault("file_types", accepted)
    options.setdefault("title", model)
    return chat_bp(respond, **options)


def openai_fn(
    base_url: str,
    model: str,
    token: str | None = None,
    *,
    file_types: str | list[str] | None = "text_encoded",
    system_message: str | None = None,
    streaming: bool = True,
    timeout: float = 120.0,
) -> Callable[[Any, list[dict[str, Any]]], Iterator[str]]:
    """load_chat's fn alone, ``fn(message, history)``, for a chat_bp() of one's own (or several)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OptionsError(f"load_chat needs the server's base URL, like 'http://localhost:8000/v1', not {base_url!r}")
    kinds = [file_types] if isinstance(file_types, str) else list(file_types or [])
    if any(kind not in FILE_KINDS for kind in kinds):
        raise OptionsError(f"load_chat's file_types takes 'text_encoded' and 'image', not {file_types!r}")
    path = parts.path.rstrip("/") + "/chat/completions"

    def call(messages: list[dict[str, Any]]) -> http.client.HTTPResponse:
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.netloc, timeout=timeout)
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        body = {"model": model, "messages": messages, "stream": streaming}
        try:
            connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
            response = connection.getresponse()
        except OSError as exc:
            connection.close()
            raise Error(f"Could not reach the model's server ({exc.__class__.__name__}).") from None
        if response.status != 200:
            raw = response.read()
            connection.close()
            raise Error(f"The model's server answered {response.status}: {_error_text(raw)}")
        return response

    def respond(message: Any, history: list[dict[str, Any]]) -> Iterator[str]:
        messages = ([{"role": "system", "content": system_message}] if system_message else []) + _history(
            history, kinds
        )
        messages.append({"role": "user", "content": _content(message, kinds)})
        response = call(messages)
        try:
            if not streaming:
                yield json.loads(response.read())["choices"][0]["message"]["content"] or ""
                return
            text = ""
            for data in _data_lines(response):
                delta = (data.get("choices") or [{}])[0].get("delta") or {}
                if delta.get("content"):
                    text += delta["content"]
                    yield text
                if "error" in data:
                    raise Error(str(data["error"].get("message", "The model's server failed.")))
        finally:
            response.close()  # Stop, or a reader gone: the server hears the stream end

    respond.__name__ = respond.__qualname__ = model.replace("/", "_").replace("-", "_")
    respond.file_kinds = kinds  # type: ignore[attr-defined]  # an attribute of the function, read by load_chat
    return respond


def _data_lines(response: http.client.HTTPResponse) -> Iterator[dict[str, Any]]:
    for raw in response:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        yield json.loads(data)


def _history(history: list[dict[str, Any]], kinds: list[str]) -> list[dict[str, Any]]:
    """fn's history as OpenAI's messages: thoughts left out, a file as the parts it becomes."""
    out: list[dict[str, Any]] = []
    for entry in history:
        if (entry.get("metadata") or {}).get("title"):
            continue
        content = entry["content"]
        if isinstance(content, dict):
            parts = _file_parts(content.get("path"), content.get("mime_type"), kinds)
            if not parts:
                continue
            if out and out[-1]["role"] == entry["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].extend(parts)  # a turn's files and text: one message
                continue
            content = parts
        elif out and entry["role"] == "user" and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
            out[-1]["content"].append({"type": "text", "text": content})
            continue
        out.append({"role": entry["role"], "content": content})
    return out


def _content(message: Any, kinds: list[str]) -> Any:
    if not isinstance(message, dict):
        return message
    parts = [part for path in message.get("files", []) for part in _file_parts(path, None, kinds)]
    return [*parts, {"type": "text", "text": message.get("text", "")}] if parts else message.get("text", "")


def _file_parts(path: Any, mime_type: Any, kinds: list[str]) -> list[dict[str, Any]]:
    if not isinstance(path, str) or not Path(path).is_file():
        return []
    kind = mime_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("image/") and "image" in kinds:
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return [{"type": "image_url", "image_url": {"url": f"data:{kind};base64,{data}"}}]
    if "text_encoded" in kinds and Path(path).suffix.lower() in FILE_KINDS["text_encoded"]:
        text = Path(path).read_text(encoding="utf-8", errors="replace")[:TEXT_FILE_CHARS]
        return [{"type": "text", "text": f"{Path(path).name}:\n\n{text}"}]
    return []


def _error_text(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace")[:200] or "no reason given"


__all__ = ["load_chat", "openai_fn"]
