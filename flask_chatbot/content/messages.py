"""The message model: ChatMessage, Metadata and options, and turning fn's output into messages.

A message as fn gives it may be a ``str``, a dict (Gradio's ``MessageDict``), a
:class:`ChatMessage`, a file (``{"path": ...}``, a ``(path, alt_text)`` tuple, a
``FileData``) or a component (``Image``, ``Code``, ...). :func:`normalize_reply` turns
each into one plain item ``{"content", "metadata"[, "options"]}`` whose ``content`` is
Markdown text or the wire form of a file or component (flask_chatbot/content/components.py).
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Role = Literal["user", "assistant", "system"]
# Turns a file or component fn gave into its wire content (components.to_content with the
# blueprint's file store bound); None where no store is wired (plain text only).
ToContent = Callable[[Any], dict[str, Any]]

METADATA_KEYS = ("title", "log", "duration", "status", "id", "parent_id")
THOUGHT_STATUSES = ("pending", "done")


class MetadataDict(TypedDict, total=False):
    title: str | None
    log: str | None
    duration: float | None
    status: Literal["pending", "done"] | None
    id: int | str | None
    parent_id: int | str | None


class OptionDict(TypedDict, total=False):
    value: str
    label: str


class MessageDict(TypedDict, total=False):
    role: Role
    content: Any
    metadata: MetadataDict
    options: list[OptionDict]


@dataclass
class Metadata:
    """Extra information about a message, as in Gradio. A ``title`` makes the message a
    collapsible thought or tool use; ``log`` is shown subdued beside the title,
    ``duration`` (seconds) after it; ``status`` "pending" shows a spinner and keeps it open;
    ``id`` and ``parent_id`` nest thoughts inside thoughts."""

    title: str | None = None
    id: int | str | None = None
    parent_id: int | str | None = None
    log: str | None = None
    duration: float | None = None
    status: Literal["pending", "done"] | None = None


@dataclass
class ChatMessage:
    """A message, as in Gradio: ``ChatMessage(role="assistant", content="Hi")``.

    ``options`` are preset replies shown as buttons under the last assistant message:
    ``[{"value": "yes", "label": "Yes please"}]`` (``label`` defaults to ``value``).
    """

    content: Any
    role: Role = "assistant"
    metadata: Metadata | MetadataDict = field(default_factory=Metadata)
    options: list[OptionDict] | None = None


def new_message_id() -> str:
    """A fresh id for a server-made message: short, URL-safe, unguessable."""
    return "a" + secrets.token_hex(8)


def metadata_dict(metadata: Any) -> dict[str, Any]:
    """``metadata`` as a checked plain dict without ``None`` entries; TypeError says what is wrong."""
    if metadata is None:
        return {}
    if dataclasses.is_dataclass(metadata) and not isinstance(metadata, type):
        raw = dataclasses.asdict(metadata)
    elif isinstance(metadata, Mapping):
        raw = dict(metadata)
    else:
        raise TypeError(f"metadata must be a Metadata or a dict, not {type(metadata).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        if key not in METADATA_KEYS:
            raise TypeError(f"metadata has an unknown key {key!r}; the keys are {', '.join(METADATA_KEYS)}")
        out[key] = _metadata_value(key, value)
    return out


def _metadata_value(key: str, value: Any) -> Any:
    if key in ("title", "log"):
        if not isinstance(value, str):
            raise TypeError(f"metadata {key} must be a str, not {type(value).__name__}")
    elif key == "duration":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise TypeError(f"metadata duration must be a number of seconds >= 0, not {value!r}")
        return float(value)
    elif key == "status":
        if value not in THOUGHT_STATUSES:
            raise TypeError(f"metadata status must be 'pending' or 'done', not {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, str)):  # id, parent_id
        raise TypeError(f"metadata {key} must be a str or an int, not {value!r}")
    return value


def options_list(options: Any) -> list[dict[str, str]]:
    """Gradio's message options as ``[{"value", "label"}]``; TypeError says what is wrong."""
    if options is None:
        return []
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise TypeError(f"options must be a list of {{'value': ..., 'label': ...}} dicts, not {options!r}")
    out = []
    for option in options:
        if not isinstance(option, Mapping) or not isinstance(option.get("value"), str):
            raise TypeError(f"each option needs a str 'value' (and may have a 'label'), not {option!r}")
        label = option.get("label")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"an option's label must be a str, not {label!r}")
        unknown = set(option) - {"value", "label"}
        if unknown:
            raise TypeError(f"an option has unknown keys {sorted(unknown)}; an option is {{'value', 'label'}}")
        out.append({"value": option["value"], "label": label if label is not None else option["value"]})
    return out


def normalize_reply(
    value: Any,
    *,
    to_content: ToContent | None = None,
    reasoning_tags: Sequence[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """Turn what fn returned or yielded into a list of ``{"content", "metadata"[, "options"]}``.

    fn may give a ``str``, a dict with ``content`` (or a file dict with ``path``), a
    :class:`ChatMessage`, a file or component, or a list of those (several assistant
    messages). Whatever it gives is an assistant message. ``reasoning_tags`` split text
    such as ``<thinking>…</thinking>`` out into "Reasoning" thoughts (:func:`split_reasoning`).
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[dict[str, Any]] = []
    for item in items:
        message = _normalize_one(item, to_content)
        if reasoning_tags and isinstance(message["content"], str) and not message["metadata"]:
            out += split_reasoning(message, reasoning_tags)
        else:
            out.append(message)
    return out


def _normalize_one(item: Any, to_content: ToContent | None) -> dict[str, Any]:
    if item is None:
        return {"content": "", "metadata": {}}
    if isinstance(item, str):
        return {"content": item, "metadata": {}}
    if isinstance(item, ChatMessage):
        return _message(item.content, item.metadata, item.options, to_content)
    if isinstance(item, Mapping):
        if "content" in item:
            return _message(item["content"], item.get("metadata"), item.get("options"), to_content)
        if "path" in item or "url" in item:  # Gradio's FileDataDict as the whole message
            return _message(dict(item), None, None, to_content)
        raise TypeError("a dict returned by fn needs a 'content' key, like {'role': 'assistant', 'content': 'Hi'}")
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return {"content": str(item), "metadata": {}}
    if to_content is not None:
        return _message(item, None, None, to_content)
    raise TypeError(
        f"fn returned a {type(item).__name__}; return a str, a dict with 'content', "
        "a flask_chatbot.ChatMessage, a file or component, or a list of those"
    )


def _message(content: Any, metadata: Any, options: Any, to_content: ToContent | None) -> dict[str, Any]:
    message: dict[str, Any] = {"content": _content(content, to_content), "metadata": metadata_dict(metadata)}
    choices = options_list(options)
    if choices:
        message["options"] = choices
    return message


def _content(content: Any, to_content: ToContent | None) -> str | dict[str, Any]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (int, float)) and not isinstance(content, bool):
        return str(content)
    if to_content is None:
        raise TypeError(f"message content must be a str here, not {type(content).__name__}")
    return to_content(content)


def render_title(render: Callable[[str], str], title: str | None) -> str:
    """A thought's title as inline HTML: Markdown like ``_Thinking_`` rendered, without the
    paragraph around it. Empty for no title."""
    if not title:
        return ""
    html = render(title).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def split_reasoning(message: dict[str, Any], tags: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Split a text message at reasoning tags into text and "Reasoning" thoughts.

    ``"<thinking>a</thinking>b"`` is a done thought with content ``a``, then ``b``. An
    opening tag without its closing tag (a reply still streaming) gives a pending thought
    with everything after it. Text before a tag stays a message of its own, so indexes
    only ever grow as the text does: streaming patches each message in place. Linear in
    the length of the text.
    """
    text: str = message["content"]
    out: list[dict[str, Any]] = []
    pos = 0
    seen: dict[str, int] = {}  # where each opening tag was last found: each is searched for once per pass
    while True:
        found = _next_tag(text, pos, tags, seen)
        if found is None:
            break
        start, opening, closing = found
        before = text[pos:start].strip()
        if before:
            out.append({"content": before, "metadata": {}})
        body_start = start + len(opening)
        end = text.find(closing, body_start)
        if end < 0:
            out.append({"content": text[body_start:].strip(), "metadata": {"title": "Reasoning", "status": "pending"}})
            pos = len(text)
            break
        out.append({"content": text[body_start:end].strip(), "metadata": {"title": "Reasoning", "status": "done"}})
        pos = end + len(closing)
    rest = text[pos:].strip() if out else text
    if rest or not out:
        out.append({"content": rest, "metadata": {}})
    if "options" in message:
        out[-1]["options"] = message["options"]
    return out


def _next_tag(
    text: str, pos: int, tags: Sequence[tuple[str, str]], seen: dict[str, int]
) -> tuple[int, str, str] | None:
    best: tuple[int, str, str] | None = None
    for opening, closing in tags:
        at = seen.get(opening, pos)
        if 0 <= at < pos:
            at = seen[opening] = text.find(opening, pos)
        elif opening not in seen:
            at = seen[opening] = text.find(opening, pos)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, opening, closing)
    return best
