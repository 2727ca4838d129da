"""What the reader did, for the developer's callbacks: Gradio's event data classes.

``chatbot.like(fn)`` and the other listeners of :class:`~flask_chatbot.Chatbot` call ``fn``
with one of these, in the app's context, from the socket that received the action::

    @chatbot.like
    def vote(data: LikeData) -> None:
        print("up" if data.liked else "down", data.index, data.value)

``index`` is the message's position in the conversation the server holds (the one fn gets
as history, system messages left out); ``value`` its content.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..runtime.event_loop import shared_loop
from ..runtime.runner import Cancel

log = logging.getLogger("flask_chatbot")


class MessageValue(str):
    """A text message's content as event data: a ``str`` (Gradio 4's ``data.value``) that also
    answers Gradio 5's ``data.value["value"]``, so demos written for either port unchanged."""

    def __getitem__(self, key: Any) -> Any:
        if key == "value":
            return str(self)
        if key == "type":
            return "text"
        return super().__getitem__(key)


def event_value(content: Any) -> Any:
    """``content`` (as fn sees it) as an event's ``value``."""
    return MessageValue(content) if isinstance(content, str) else content


@dataclass(frozen=True)
class EventData:
    """The message an action concerns: its ``index`` and ``value`` (content)."""

    index: int
    value: Any


@dataclass(frozen=True)
class LikeData(EventData):
    """``liked`` is True for "Like", False for "Dislike", or another feedback option's text;
    ``None`` when the reader took their feedback back."""

    liked: bool | str | None = None


@dataclass(frozen=True)
class RetryData(EventData):
    """The user message whose reply is generated again."""


@dataclass(frozen=True)
class UndoData(EventData):
    """The user message taken back (with the replies after it)."""


@dataclass(frozen=True)
class EditData(EventData):
    """An edited message: ``value`` is the new text, ``previous_value`` the old."""

    previous_value: Any = None


@dataclass(frozen=True)
class CopyData(EventData):
    """A message the reader copied."""


@dataclass(frozen=True)
class SelectData(EventData):
    """A preset reply (``option_select``: ``value`` is the option's value) or an example chosen."""

    selected: bool = True


# The listeners of Chatbot, with the event data each receives (clear receives none).
EVENTS: dict[str, type[EventData] | None] = {
    "like": LikeData,
    "retry": RetryData,
    "undo": UndoData,
    "edit": EditData,
    "clear": None,
    "copy": CopyData,
    "select": SelectData,
    "option_select": SelectData,
    "example_select": SelectData,
}


def call_listener(listener: Callable[..., Any], data: EventData | None, history: list[dict[str, Any]]) -> Any:
    """Call ``listener`` as Gradio would: with the event data (``fn(data)``), or with the
    history before it when it needs two arguments (``fn(history, data)``), or with nothing
    when it takes none (``clear``'s listeners). Returns what the listener returns."""
    try:
        params = list(inspect.signature(listener).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if not positional:
        result = listener()
    elif len(required) >= 2:
        result = listener(history, data)
    else:
        result = listener(data if data is not None else history)
    if inspect.isawaitable(result):  # an async def listener runs on the worker's event loop
        result = shared_loop.run(_awaited(result), Cancel())
    return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
