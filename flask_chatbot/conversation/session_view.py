"""What a socket's conversation offers the modules that act on it (actions.py, resent.py,
multimodal.py, cached_examples.py): its state and the steps they call.

:class:`~flask_chatbot.conversation.session.ChatSession` is the one implementation. The helpers
name this Protocol rather than the class, so that session.py imports them and nothing imports
session.py back (the layers and cycles contracts in ``.importlinter``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from .bot import Bot
from .current_turn import CurrentTurn
from .fn_queue import FnGate
from .inbox import FrameBudget
from .outbox import Outbox


class SessionView(Protocol):
    """One socket's conversation, as its helpers see it."""

    bot: Bot
    id: str  # this socket's conversation id (request_context.conversation_id)
    history: list[dict[str, Any]]
    system_messages: list[dict[str, Any]]
    inputs: list[Any]  # the additional inputs' values of the last message
    turn: CurrentTurn  # the reply running, if any
    greeted: bool
    lock: threading.Lock
    outbox: Outbox
    upload_key: str
    budget: FrameBudget
    following: Any  # the turn this socket follows (resume.Followed), None when none
    channel: str | None  # the channel of the conversation's sockets (conversation/channels.py), None: none
    live_key: str | None  # the conversation's live key, which names its channel
    token: str  # this socket, in its channel's events
    started: Any  # the last turn this socket started (live_turn.LiveTurn), or None
    echoed: dict[str, str]  # the HTML of the last messages it showed outside a turn, by id
    reserved: tuple[str, str] | None  # the id and key of a turn begun in the log, about to start
    answer_wanted: bool  # it joined its channel and has done nothing since: an answer may bring it the turn running
    saver: Any  # history_sync.ConversationSaver: whose saved conversations this socket may open (its user)
    render_content: Callable[[dict[str, Any]], str] | None

    @property
    def upload_owner(self) -> str: ...

    def alive(self) -> bool: ...

    def check_room(self) -> None: ...

    def adopt_gate(self, gate: FnGate) -> None: ...

    def shared(self, event: dict[str, Any]) -> None: ...

    def followed_turn_ended(self, messages: list[dict[str, Any]]) -> None: ...

    def check_text(
        self,
        text: str,
        what: str,
        inputs: list[Any],
        validated: bool = True,
        value: Any = None,
        has_files: bool = False,
    ) -> None: ...

    def for_fn(self, message: dict[str, Any]) -> dict[str, Any]: ...

    def from_client(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def history_for_fn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def read_inputs(self, frame: dict[str, Any]) -> list[Any]: ...

    def remember(self, messages: list[dict[str, Any]]) -> None: ...

    def show_user_message(self, message_id: str, content: str | dict[str, Any]) -> None: ...

    def show(self, body: dict[str, Any]) -> None: ...

    def start_reply(self, text: Any, history_for_fn: list[dict[str, Any]], on_complete: Any = None) -> None: ...


__all__ = ["SessionView"]
