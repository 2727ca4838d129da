"""What the reader does to the conversation besides sending: like, retry, undo, clear, copy.

Each action is a client frame (docs/protocol.md) handled by :class:`Actions` for one
session: it changes the conversation the server holds, tells the element what went
(``remove`` frames), writes the flag log, and calls the developer's listeners
(``chatbot.like(fn)`` ...) in the app's context with Gradio's event data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import g

from . import protocol
from .errors import ProtocolError
from .event_data import CopyData, EventData, LikeData, RetryData, SelectData, UndoData, call_listener, event_value

if TYPE_CHECKING:
    from .session import ChatSession

log = logging.getLogger("flask_chatbot")
LISTENER_ERROR = "Something went wrong while handling that. Please try again."


class Actions:
    """The actions of one session; ``session`` holds the history and runs replies."""

    def __init__(self, session: ChatSession) -> None:
        self.session = session

    # -- frames ---------------------------------------------------------------------------

    def like(self, frame: dict[str, Any]) -> None:
        session, opts = self.session, self.session.bot.options
        index, message = self._find(frame["id"], "like")
        value = frame["value"]
        if message["role"] == "user" and not opts.like_user_message:
            raise ProtocolError("bad_frame", "like.id: feedback on user messages is off (like_user_message)")
        if value is not None and value not in opts.feedback_options:
            raise ProtocolError("bad_frame", f"like.value: {value!r} is not one of {list(opts.feedback_options)}")
        with session.lock:
            if value is None:
                message.pop("feedback", None)
            else:
                message["feedback"] = value
        liked = {"Like": True, "Dislike": False}.get(value, value) if value is not None else None
        if value is not None and session.bot.flag_log is not None:
            try:
                session.bot.flag_log.write(
                    conversation=session.id, index=index, message=_text(message["content"]), flag=value, user=_user()
                )
            except (OSError, ValueError):  # a full disk, a folder it cannot write: the chat goes on
                log.exception("Could not write the flag log %s", session.bot.flag_log.path)
                session.outbox.send(protocol.error("flag_error", "Your feedback could not be saved. Please try again later."))
        self._notify("like", LikeData(index, event_value(session.for_fn(message)["content"]), liked))

    def retry(self, frame: dict[str, Any]) -> None:
        index, message = self._last_user_message("retry")
        self._drop_from(index + 1)
        self._notify("retry", RetryData(index, event_value(message["content"])))
        with self.session.lock:
            history_for_fn = self.session.history_for_fn(self.session.history[:index])
        self.session.start_reply(message["content"], history_for_fn)

    def undo(self, frame: dict[str, Any]) -> None:
        index, message = self._last_user_message("undo")
        self._drop_from(index)
        self._notify("undo", UndoData(index, event_value(message["content"])))

    def clear(self, frame: dict[str, Any]) -> None:
        session = self.session
        if session.reply is not None:
            session.discard_reply = True  # its end must not bring the cleared conversation back
            session.reply.stop()
        with session.lock:
            session.history.clear()
        self._notify("clear", None)

    def copy(self, frame: dict[str, Any]) -> None:
        index, message = self._find(frame["id"], "copy")
        self._notify("copy", CopyData(index, event_value(self.session.for_fn(message)["content"])))

    def option_selected(self, source_id: str, value: str) -> None:
        """A submit that came from a preset reply of message ``source_id``."""
        index, _ = self._find(source_id, "submit.option_of")
        self._notify("option_select", SelectData(index, event_value(value)))

    # -- helpers --------------------------------------------------------------------------

    def _find(self, message_id: str, what: str) -> tuple[int, dict[str, Any]]:
        with self.session.lock:
            for index, message in enumerate(self.session.history):
                if message["id"] == message_id:
                    return index, message
        raise ProtocolError("unknown_message", f"{what}: no message {message_id!r} in this conversation")

    def _last_user_message(self, what: str) -> tuple[int, dict[str, Any]]:
        session = self.session
        if session.reply is not None:
            raise ProtocolError("busy", f"{what}: a reply is being generated; stop it first")
        with session.lock:
            for index in range(len(session.history) - 1, -1, -1):
                if session.history[index]["role"] == "user":
                    return index, session.history[index]
        raise ProtocolError("bad_frame", f"{what}: the conversation has no message of yours")

    def _drop_from(self, index: int) -> None:
        """Drop the messages from ``index`` on, here and on the screen (remove frames)."""
        with self.session.lock:
            dropped = self.session.history[index:]
            del self.session.history[index:]
        for message in dropped:
            self.session.outbox.send(protocol.remove(message["id"]))

    def _notify(self, event: str, data: EventData | None) -> None:
        """Call the developer's listeners of ``event``; one that raises is logged and the
        reader told something went wrong, and the conversation goes on."""
        listeners = self.session.bot.listeners.get(event, ())
        if not listeners:
            return
        with self.session.lock:
            history = [self.session.for_fn(m) for m in self.session.history]
        for listener in listeners:
            try:
                call_listener(listener, data, history)
            except Exception:
                log.exception("The %s listener %r raised", event, getattr(listener, "__name__", listener))
                self.session.outbox.send(protocol.error("listener_error", LISTENER_ERROR))


def _text(content: Any) -> str:
    """A message's content as the flag log's text: Markdown, or a file's name."""
    if isinstance(content, str):
        return content
    file = content.get("file") if isinstance(content, Mapping) else None
    return str(file.get("name", "")) if isinstance(file, Mapping) else str(content.get("component", ""))


def _user() -> str | None:
    """The signed-in user, when the app puts one in ``flask.g.user`` (before_request)."""
    user = g.get("user")
    return None if user is None else str(getattr(user, "id", user))


ListenerMap = Mapping[str, list[Callable[..., Any]]]
