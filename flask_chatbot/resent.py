"""The conversation a client sends back in ``hello`` (a reconnect, a reload, a version the
reader switched to), as the server keeps it: text as it came, files and components checked
against what this server gave. A client names a file only by an id the server issued, and an
upload only with the key of the conversation that made it (uploads.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .concurrency import offload
from .errors import ProtocolError

if TYPE_CHECKING:
    from .session import ChatSession

# What a message that showed a file no longer in the store becomes in the history.
MISSING_FILE = "[a file that is no longer available]"


def messages_from_client(session: ChatSession, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``hello.history``'s messages as the server keeps them; ``bad_frame`` for what it refuses."""
    if any(isinstance(m["content"], dict) for m in messages):
        # Files are checked against the store on disk: not on the gevent hub.
        return offload(lambda: [_from_client(session, m) for m in messages])
    return [_from_client(session, m) for m in messages]


def _from_client(session: ChatSession, message: dict[str, Any]) -> dict[str, Any]:
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
    return [e["file"]["id"] for e in entries if isinstance(e.get("file"), dict) and isinstance(e["file"].get("id"), str)]
