"""A multimodal turn: the files of a submit checked and made messages, and the
``{"text", "files"}`` value fn gets, as gr.ChatInterface(multimodal=True) gives it.

As in Gradio, a message with files enters the history as one user message per file (its
content Gradio's FileDataDict for fn), then the text's message if there is text. A retry or
an edit rebuilds fn's value from those messages (:func:`turn_of`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..content.messages import new_message_id
from ..content.sources import file_info, kind_for_mime
from ..errors import ProtocolError
from ..files.store import FileStoreError, StoredFile
from .session_view import SessionView

log = logging.getLogger("flask_chatbot")


#: The error code of a file a message may not carry (another conversation's, deleted,
#: of a type or number the chat does not take); the element gives the message back.
FILE_REFUSED = "file_refused"


def checked_files(session: SessionView, file_ids: Sequence[str]) -> list[StoredFile]:
    """The stored files a submit names, each uploaded with this conversation's key and
    within the chat's rules; else a ``file_refused`` error saying which and why."""
    opts = session.bot.options
    if not file_ids:
        return []
    if not opts.multimodal or session.bot.content is None:
        raise ProtocolError("bad_frame", "submit.files: this chat takes no files (multimodal is off)")
    rules = opts.upload_rules
    if len(set(file_ids)) != len(file_ids):
        raise ProtocolError("bad_frame", "submit.files: a file is named twice")
    if len(file_ids) > rules.max_files:
        allowed = "one file" if rules.max_files == 1 else f"at most {rules.max_files} files"
        raise ProtocolError(FILE_REFUSED, f"A message may carry {allowed}; this one has {len(file_ids)}.")
    store = session.bot.content.store
    files = []
    for file_id in file_ids:
        stored = store.get(file_id)
        if stored is None or stored.owner is None or stored.owner != session.upload_owner:
            raise ProtocolError(
                FILE_REFUSED,
                "A file of this message is not one uploaded in this conversation, or it was deleted; attach it again.",
            )
        reason = rules.refusal(stored.name, stored.mime_type)
        if reason is not None:
            raise ProtocolError(FILE_REFUSED, reason[0].upper() + reason[1:] + ".")
        files.append(stored)
    return files


def example_files(session: SessionView, index: int) -> list[StoredFile]:
    """The files of example ``index``, from the app's paths (stored again if a cleanup took
    them: the store knows a path it has, so this is cheap)."""
    assert session.bot.content is not None
    try:
        return [session.bot.content.store.add_path(path) for path in session.bot.options.examples[index].files]
    except (OSError, FileStoreError) as exc:
        log.error("Example %d's files cannot be sent: %s", index, exc)
        raise ProtocolError(FILE_REFUSED, "This example's files are no longer available.") from None


def user_messages(session: SessionView, message_id: str, text: str, files: list[StoredFile]) -> list[dict[str, Any]]:
    """The history entries of a message: one per file, then the text's (with ``message_id``;
    without text the last file takes that id, so the element's echo finds it). Each carries
    ``turn``, the message's id, which only the server sees: a retry or an edit finds the
    turn's files by it (:func:`turn_of`)."""
    entries: list[dict[str, Any]] = []
    for stored in files:
        # Built from what the checks found, not from the disk again: a cleanup since then
        # cannot fail the message halfway.
        content = {"component": kind_for_mime(stored.mime_type), "file": file_info(stored)}
        entries.append({"id": new_message_id(), "role": "user", "content": content, "turn": message_id})
    if text.strip() or not entries:
        entries.append({"id": message_id, "role": "user", "content": text, "turn": message_id})
    else:
        entries[-1]["id"] = message_id
    return entries


def fn_value(text: str, files: list[StoredFile]) -> dict[str, Any]:
    """What fn gets as its message in a multimodal chat."""
    return {"text": text, "files": [str(f.path) for f in files]}


def turn_of(session: SessionView, index: int, text: str | None = None) -> tuple[Any, int]:
    """fn's message for the user message at ``index`` of the history (retried, or edited to
    ``text``), and where that turn starts. In a multimodal chat its files are the file
    messages sent with it (``turn``), or, for a conversation a ``hello`` brought back, the
    user file messages just before it. Only files fn could have had from a submit count:
    this conversation's uploads and the examples' files, at most ``max_files``. Call with
    the lock."""
    history = session.history
    message = history[index]
    if text is None:
        text = message["content"] if isinstance(message["content"], str) else ""
    hooks = session.bot.content
    if not session.bot.options.multimodal or hooks is None:
        return text, index
    turn = message.get("turn")
    start = index if isinstance(message["content"], str) else index + 1
    while start > 0 and history[start - 1]["role"] == "user" and isinstance(history[start - 1]["content"], dict):
        if turn is not None and history[start - 1].get("turn") != turn:
            break
        start -= 1
    paths = []
    for entry in history[start : index + 1]:
        content = entry["content"]
        if isinstance(content, dict) and _sendable(session, content):
            path = _path_of(hooks.for_fn(content))
            if path:
                paths.append(path)
    return {"text": text, "files": paths[-session.bot.options.upload_rules.max_files :]}, start


def _sendable(session: SessionView, content: dict[str, Any]) -> bool:
    """Whether a file message is one a submit could have carried: an upload with this
    conversation's key, or an example's file."""
    assert session.bot.content is not None
    info = content.get("file")
    stored = session.bot.content.store.get(info.get("id")) if isinstance(info, dict) else None  # type: ignore[arg-type]  # get() takes any id: None unless a well-formed str
    if stored is None:
        return False
    return stored.owner == session.upload_owner or stored.id in session.bot.example_file_ids


def _path_of(value: Any) -> str | None:
    return value.get("path") if isinstance(value, dict) and isinstance(value.get("path"), str) else None
