"""The conversation a client sends back in ``hello`` (a reconnect, a reload, a version the
reader switched to), taken as the session's (:func:`take_hello`) as the server keeps it: text as it came, files and components checked
against what this server gave. A client names a file only by an id the server issued, and an
upload only with the key of the conversation that made it (files/uploads.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from ..errors import ProtocolError
from ..protocol import frames as protocol
from ..runtime.concurrency import offload
from .history_sync import hello_upload_key
from .resume import find_turn, follow_turn
from .session_view import SessionView
from .shared import catch_up, join_channel

# What a message that showed a file no longer in the store becomes in the history.
MISSING_FILE = "[a file that is no longer available]"


def take_hello(session: SessionView, frame: dict[str, Any]) -> None:
    """A ``hello``: the conversation the client shows becomes the session's (the first one, a
    reconnect's, or another saved chat's it switches to), then ``welcome``; with a ``turn`` the
    client was following, the rest of that turn (conversation/resume.py)."""
    if frame["version"] != protocol.PROTOCOL_VERSION:
        raise ProtocolError("version", f"this server speaks protocol version {protocol.PROTOCOL_VERSION}")
    history = frame["history"]
    ids = [m["id"] for m in history]
    if len(set(ids)) != len(ids):
        raise ProtocolError("bad_frame", "hello.history: message ids must be unique")
    if session.turn.running:
        raise ProtocolError("busy", "a reply is being generated; stop it before sending hello again")
    followed = frame.get("turn")
    turn = find_turn(session, followed)
    if turn is not None:  # the turn's messages join the history when it ends, as the server has them
        of_turn = set(turn.message_ids)
        history = [m for m in history if m["id"] not in of_turn]
    # A later hello naming another conversation (or none: a new one) switches to it (saved chats).
    switching = session.greeted and frame.get("session") != session.id
    if not session.greeted or switching:
        # The key an earlier socket gave: the uploads named in the history below are its.
        session.upload_key = hello_upload_key(session, frame, switching)
    messages = session.from_client(history)
    joined = not session.greeted or switching
    if joined:
        session.system_messages = session.bot.system()
        # The id an earlier socket of this conversation was given: the flag log's conversation
        # column, and the saved chat's id in its signed-in user's own store (conversation/history_sync.py);
        # never a key to anyone else's data.
        session.id = frame.get("session") or (secrets.token_hex(8) if switching else session.id)
        # Its other sockets (tabs, devices) show it live; a new conversation gets a new key.
        join_channel(session, frame.get("live") if frame.get("session") else None)
    with session.lock:
        # The element resends all it shows; past max_history the oldest are dropped, as
        # after a turn, so a long conversation can always reconnect.
        session.history = []
        session.remember(messages)
    session.greeted = True
    upload_key = session.upload_key if session.bot.options.multimodal else None
    resumed = None if followed is None else {"id": followed["id"], "resumed": turn is not None}
    welcome = protocol.welcome(session.id, upload_key, resumed, session.live_key)
    if turn is None or followed is None:
        session.outbox.send(welcome)
        if joined:
            catch_up(session)  # a turn started in the conversation that this socket has not got
    else:
        follow_turn(session, turn, followed["seq"], welcome)


def messages_from_client(session: SessionView, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``hello.history``'s messages as the server keeps them; ``bad_frame`` for what it refuses."""
    if any(isinstance(m["content"], dict) for m in messages):
        # Files are checked against the store on disk: not on the gevent hub.
        return offload(lambda: [_from_client(session, m) for m in messages])
    return [_from_client(session, m) for m in messages]


def _from_client(session: SessionView, message: dict[str, Any]) -> dict[str, Any]:
    message = dict(message)
    content = message["content"]
    if not isinstance(content, dict):
        return message
    hooks = session.bot.content
    if hooks is None:
        raise ProtocolError("bad_frame", "hello.history: this chat shows no files or components")
    stored = [hooks.store.get(file_id) for file_id in file_ids(content)]
    if any(f is not None and f.owner is not None and f.owner != session.upload_owner for f in stored):
        raise ProtocolError(
            "bad_frame", f"hello.history: message {message['id']!r} names a file uploaded in another conversation"
        )
    if any(f is None for f in stored):
        # Cleaned away since (delete_cache) or from another deployment: the conversation
        # goes on without it rather than not at all.
        message["content"] = MISSING_FILE
        return message
    try:
        message["content"] = hooks.from_wire(content)
    except (TypeError, ValueError) as exc:
        raise ProtocolError("bad_frame", f"hello.history: message {message['id']!r}: {exc}") from None
    return message


def file_ids(content: dict[str, Any]) -> list[str]:
    """The store ids a wire content names (a file, a plot, a gallery's items)."""
    files = content.get("files")
    entries = [content, *(f for f in files if isinstance(f, dict))] if isinstance(files, list) else [content]
    return [
        e["file"]["id"] for e in entries if isinstance(e.get("file"), dict) and isinstance(e["file"].get("id"), str)
    ]
