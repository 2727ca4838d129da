"""What the reader does to the conversation besides sending: like, retry, undo, edit, clear,
copy, select, examples.

Each action is a client frame (docs/protocol.md) handled by :class:`Actions` for one
session: it changes the conversation the server holds, tells the element what went
(``remove`` frames), writes the flag log, and calls the developer's listeners
(``chatbot.like(fn)`` ...) in the app's context with Gradio's event data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import g

from ..errors import OptionsError, ProtocolError
from ..options.event_data import (
    CopyData,
    EditData,
    EventData,
    LikeData,
    RetryData,
    SelectData,
    UndoData,
    call_listener,
    event_value,
)
from ..protocol import frames as protocol
from ..runtime.concurrency import offload, render
from .initial_value import initial_messages
from .multimodal import turn_of
from .notices import ListenerNotices, current_turn
from .session_view import SessionView

log = logging.getLogger("flask_chatbot")
LISTENER_ERROR = "Something went wrong while handling that. Please try again."


class Actions:
    """The actions of one session; ``session`` holds the history and runs replies."""

    def __init__(self, session: SessionView) -> None:
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
        before = self._snapshot("like")
        if value is not None and session.bot.flag_log is not None:
            try:
                session.bot.flag_log.write(
                    conversation=session.id, index=index, message=_text(message["content"]), flag=value, user=_user()
                )
            except (OSError, ValueError):  # a full disk, a folder it cannot write: the chat goes on
                log.exception("Could not write the flag log %s", session.bot.flag_log.path)
                session.outbox.send(
                    protocol.error("flag_error", "Your feedback could not be saved. Please try again later.")
                )
        self._notify("like", LikeData(index, event_value(session.for_fn(message)["content"]), liked), before)

    def retry(self, frame: dict[str, Any]) -> None:
        index, message = self._last_user_message("retry")
        self.session.check_room()
        self.session.inputs = self.session.read_inputs(frame)
        before = self._snapshot("retry")
        self._drop_from(index + 1)
        if self._notify("retry", RetryData(index, event_value(message["content"])), before):
            self.session.outbox.send(protocol.idle())  # a listener said what the conversation is: no fn
            return
        with self.session.lock:
            value, start = turn_of(self.session, index)
            history_for_fn = self.session.history_for_fn(self.session.history[:start])
        self.session.start_reply(value, history_for_fn)

    def undo(self, frame: dict[str, Any]) -> None:
        index, message = self._last_user_message("undo")
        before = self._snapshot("undo")
        with self.session.lock:
            _, start = turn_of(self.session, index)  # a multimodal turn's files go with it
        self._drop_from(start)
        self._notify("undo", UndoData(index, event_value(message["content"])), before)

    def clear(self, frame: dict[str, Any]) -> None:
        session = self.session
        with session.lock:
            session.turn.discard()  # its end must not bring the cleared conversation back
        before = self._snapshot("clear")
        with session.lock:
            session.history.clear()
        self._notify("clear", None, before)

    def copy(self, frame: dict[str, Any]) -> None:
        index, message = self._find(frame["id"], "copy")
        self._notify(
            "copy", CopyData(index, event_value(self.session.for_fn(message)["content"])), self._snapshot("copy")
        )

    def select(self, frame: dict[str, Any]) -> None:
        index, message = self._find(frame["id"], "select")
        self._notify(
            "select", SelectData(index, event_value(self.session.for_fn(message)["content"])), self._snapshot("select")
        )

    def example(self, frame: dict[str, Any]) -> None:
        """The reader clicked an example (its text, sent or put in the message box, follows
        as a `submit` of its own)."""
        examples, index = self.session.bot.options.examples, frame["index"]
        if index >= len(examples):
            raise ProtocolError("bad_frame", f"example.index: there are {len(examples)} examples, not {index + 1}")
        self._notify("example_select", SelectData(index, examples[index].value()), self._snapshot("example_select"))

    def option_selected(self, source_id: str, value: str) -> bool:
        """A submit that came from a preset reply of message ``source_id``; True when a
        listener replaced the conversation (the submit then goes no further)."""
        index, message = self._find(source_id, "submit.option_of")
        if value not in [option.get("value") for option in message.get("options") or ()]:
            raise ProtocolError("bad_frame", "submit.option_of: that message offers no such option")
        return self._notify("option_select", SelectData(index, event_value(value)), self._snapshot("option_select"))

    def edit(self, frame: dict[str, Any]) -> None:
        """The reader edited a message. One of theirs starts a new version of that turn: the
        messages from it on leave the conversation (the element keeps them as the turn's
        other version) and fn answers the new text. An assistant message (editable="all")
        changes in place."""
        session, editable = self.session, self.session.bot.options.editable
        if editable is None:
            raise ProtocolError("bad_frame", "edit: messages cannot be edited here (editable is off)")
        if session.turn.running:
            raise ProtocolError("busy", "edit: a reply is being generated; stop it first")
        index, message = self._find(frame["id"], "edit")
        if message["role"] != "user" and editable != "all":
            raise ProtocolError("bad_frame", "edit.id: only your own messages can be edited (editable='user')")
        if not isinstance(message["content"], str):
            raise ProtocolError("bad_frame", "edit.id: only text messages can be edited")
        text, previous = frame["text"], message["content"]
        inputs = session.read_inputs(frame)  # the session's once the edit is taken
        with session.lock:
            value, start = turn_of(session, index, text) if message["role"] == "user" else (text, index)
        session.check_text(text, "edit.text", inputs, validated=message["role"] == "user", value=value)
        data = EditData(index, event_value(text), event_value(previous))
        before = self._snapshot("edit")
        if message["role"] != "user" and "new_id" in frame:
            raise ProtocolError("bad_frame", "edit.new_id: a reply is edited in place and takes no new id")
        if message["role"] != "user":
            session.inputs = inputs
            self._edit_in_place(index, message, text)
            self._notify("edit", data, before)
            return
        new_id = frame.get("new_id")
        if new_id is None:
            raise ProtocolError("bad_frame", "edit.new_id: an edited message of yours needs a new id")
        session.check_room()
        with session.lock:
            # Not even an id of the version it replaces: the element keeps that one.
            if any(m["id"] == new_id for m in session.history):
                raise ProtocolError("bad_frame", f"edit.new_id: {new_id!r} is already the id of a message")
            session.inputs = inputs
            del session.history[index:]
            # A multimodal turn's files stay; fn gets them with the new text (turn_of).
            history_for_fn = session.history_for_fn(session.history[:start])
            # The new version stays in its turn, with the turn's files (multimodal.turn_of).
            turn = {"turn": message["turn"]} if "turn" in message else {}
            session.history.append({"id": new_id, "role": "user", "content": text, **turn})
        session.show_user_message(new_id, text)
        if self._notify("edit", data, before):
            session.outbox.send(protocol.idle())
            return
        session.start_reply(value, history_for_fn)

    def _edit_in_place(self, index: int, message: dict[str, Any], text: str) -> None:
        session = self.session
        edited = {**message, "content": text}
        with session.lock:
            session.history[index] = edited
        body = {"id": edited["id"], "role": edited["role"], "content": text, "status": "done"}
        body["html"] = render(
            session.bot.renderer,
            text,
            from_user=edited["role"] == "user",
            alive=session.alive,
            charge=session.budget.charge,
        )  # the editor pays its render, as a sender does
        body.update((key, edited[key]) for key in ("metadata", "options", "feedback") if edited.get(key))
        session.show(body)

    # -- helpers --------------------------------------------------------------------------

    def _find(self, message_id: str, what: str) -> tuple[int, dict[str, Any]]:
        with self.session.lock:
            for index, message in enumerate(self.session.history):
                if message["id"] == message_id:
                    return index, message
        raise ProtocolError("unknown_message", f"{what}: no message {message_id!r} in this conversation")

    def _last_user_message(self, what: str) -> tuple[int, dict[str, Any]]:
        session = self.session
        if session.turn.running:
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

    def _snapshot(self, event: str) -> list[dict[str, Any]] | None:
        """The conversation as fn sees it, when the reader acted: what a two-argument listener
        gets, as Gradio's listeners get the chatbot's value (None: no listener would read it)."""
        if not self.session.bot.listeners.get(event):
            return None
        with self.session.lock:
            return [self.session.for_fn(m) for m in self.session.history]

    def _notify(self, event: str, data: EventData | None, history: list[dict[str, Any]] | None) -> bool:
        """Call the developer's listeners of ``event`` with ``data`` and ``history`` (the
        conversation when the reader acted); one that raises is logged and the reader told
        something went wrong, and the conversation goes on. A listener may return a new
        conversation (Gradio's ``return history``): unless it is the conversation as the
        action left it, it replaces the one shown, and True tells the action to go no further
        (no fn for retry or edit)."""
        listeners = self.session.bot.listeners.get(event, ())
        if not listeners:
            return False
        with self.session.lock:
            now = [self.session.for_fn(m) for m in self.session.history]
        # Info(), Warning() and Success() in a listener reach this reader (conversation/notices.py).
        notices = current_turn.set(ListenerNotices(self.session.outbox.send))
        try:
            return self._call_listeners(event, listeners, data, history, now)
        finally:
            current_turn.reset(notices)

    def _call_listeners(
        self, event: str, listeners: Any, data: EventData | None, history: list[dict[str, Any]] | None, now: list[Any]
    ) -> bool:
        replaced = False
        for listener in listeners:
            name = getattr(listener, "__name__", listener)
            try:
                conversation = returned_conversation(call_listener(listener, data, list(history or [])))
                if conversation is not None and conversation != now:
                    self._replace(conversation)
                    now, replaced = conversation, True
            except Exception:
                log.exception("The %s listener %r raised", event, name)
                self.session.outbox.send(protocol.error("listener_error", LISTENER_ERROR))
        return replaced

    def _replace(self, conversation: list[Any]) -> None:
        """Show ``conversation`` (a listener's) instead, and make it the history fn gets."""
        session = self.session
        try:
            bodies = offload(
                initial_messages,
                conversation,
                renderer=session.bot.renderer,
                to_content=session.bot.content.to_content if session.bot.content else None,
                render_content=session.render_content,
            )
        except OptionsError as exc:
            raise ValueError(f"the listener returned a conversation flask-chatbot cannot show: {exc}") from None
        kept = [{k: v for k, v in body.items() if k not in ("html", "status", "title_html")} for body in bodies]
        with session.lock:
            session.history = []
            session.remember(kept)
        session.outbox.send(protocol.conversation(bodies))


def returned_conversation(result: Any) -> list[Any] | None:
    """What a listener returned, as a conversation: a list of messages, or the first item of
    a tuple (a Gradio listener returning ``history, textbox_value``). Anything else is not one."""
    if isinstance(result, tuple) and result:
        result = result[0]
    return list(result) if isinstance(result, list) else None


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
