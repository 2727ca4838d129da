"""The message model: ChatMessage and Metadata, and turning fn's output into messages."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Role = Literal["user", "assistant", "system"]


class MetadataDict(TypedDict, total=False):
    title: str | None


class MessageDict(TypedDict, total=False):
    role: Role
    content: str
    metadata: MetadataDict


@dataclass
class Metadata:
    """Extra information about a message, as in Gradio (``title`` marks a thought or a tool use)."""

    title: str | None = None


@dataclass
class ChatMessage:
    """A message, as in Gradio: ``ChatMessage(role="assistant", content="Hi")``."""

    content: str
    role: Role = "assistant"
    metadata: Metadata | MetadataDict = field(default_factory=Metadata)


def new_message_id() -> str:
    """A fresh id for a server-made message: short, URL-safe, unguessable."""
    return "a" + secrets.token_hex(8)


def _metadata_dict(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if dataclasses.is_dataclass(metadata) and not isinstance(metadata, type):
        raw = dataclasses.asdict(metadata)
    elif isinstance(metadata, Mapping):
        raw = dict(metadata)
    else:
        raise TypeError(f"metadata must be a Metadata or a dict, not {type(metadata).__name__}")
    return {k: v for k, v in raw.items() if v is not None}


def normalize_reply(value: Any) -> list[dict[str, Any]]:
    """Turn what fn returned or yielded into a list of ``{"content", "metadata"}`` dicts.

    fn may give a ``str``, a dict with ``content``, a :class:`ChatMessage`, or a list
    of those (several assistant messages). Whatever it gives is an assistant message.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    return [_normalize_one(item) for item in items]


def _normalize_one(item: Any) -> dict[str, Any]:
    if item is None:
        return {"content": "", "metadata": {}}
    if isinstance(item, str):
        return {"content": item, "metadata": {}}
    if isinstance(item, ChatMessage):
        return {"content": _content_text(item.content), "metadata": _metadata_dict(item.metadata)}
    if isinstance(item, Mapping):
        if "content" not in item:
            raise TypeError("a dict returned by fn needs a 'content' key, like {'role': 'assistant', 'content': 'Hi'}")
        return {"content": _content_text(item["content"]), "metadata": _metadata_dict(item.get("metadata"))}
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return {"content": str(item), "metadata": {}}
    raise TypeError(
        f"fn returned a {type(item).__name__}; return a str, a dict with 'content', "
        "a flask_chatbot.ChatMessage, or a list of those"
    )


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    raise TypeError(f"message content must be a str for now, not {type(content).__name__}")
