"""What every socket of one blueprint shares: :class:`Bot`, fn with its options, renderer and hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..content.hooks import ContentHooks
from ..options.chat_options import ChatOptions
from ..rendering.renderer import Renderer
from .channels import ConversationChannels
from .fn_queue import FnQueue
from .turns import TurnHub


@dataclass(frozen=True)
class Bot:
    """What every session of one blueprint shares: fn, its options, its renderer, and what
    it does with files and components (None: a chat of text only)."""

    fn: Callable[..., Any]
    options: ChatOptions
    renderer: Renderer
    content: ContentHooks | None = None
    # The system messages fn gets before the conversation (Chatbot(value=...)'s), per session.
    system: Callable[[], list[dict[str, Any]]] = list
    # The developer's listeners (chatbot.like(fn) ...), by event, and the flag log if flagging is on.
    listeners: Mapping[str, list[Callable[..., Any]]] = field(default_factory=dict)
    flag_log: Any = None  # feedback.FlagLog
    examples_cache: Any = None  # example_cache.ExampleCache, with cache_examples
    example_file_ids: frozenset[str] = frozenset()  # the store ids of the examples' files
    # The concurrency group whose line fn waits in (conversation/fn_queue.py): chat_bp gives the
    # blueprint's own, or the concurrency_id's. Required: a default would be a line of nobody's.
    queue: FnQueue = field(kw_only=True)
    # This worker's turns and the host's turn log (conversation/turns.py); None: a turn ends with its socket.
    turns: TurnHub | None = None
    # This worker's sockets by conversation, for every tab live (conversation/channels.py); None with no turns.
    channels: ConversationChannels | None = None
    history_user: Any = None  # () -> the signed-in user's id, with a history_store (conversation/history_sync.py)


__all__ = ["Bot"]
