"""A message the reader sends (``submit``): checked, taken into the conversation and echoed, then
its turn started, or answered from the examples' cache or by a preset reply's listener. A frame
handler like those of actions.py; the socket's session (session.py) hands it the frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ProtocolError
from ..protocol import frames as protocol
from ..runtime.concurrency import offload
from .cached_examples import cacheable, replay, storer
from .multimodal import checked_files, example_files, fn_value, user_messages
from .session_view import SessionView


def submit(session: SessionView, frame: dict[str, Any], option_selected: Callable[[str, str], bool]) -> None:
    """Take ``frame`` (a valid ``submit``); ``option_selected(message_id, text)``: the actions'
    check of a preset reply, True when its listener answered instead of fn."""
    text, message_id = frame["text"], frame["id"]
    if session.turn.running:
        raise ProtocolError("busy", "a reply is being generated; stop it or wait for it to finish")
    session.check_room()
    example = frame.get("example")
    if example is not None and (
        example >= len(session.bot.options.examples) or session.bot.options.examples[example].text != text
    ):
        raise ProtocolError("bad_frame", "submit.example: the text is not that of this example")
    inputs = session.read_inputs(frame)
    # The store is on disk: checked off the hub, but only when there are files (a hop to
    # the offload pool would queue a plain message behind another conversation's render).
    files = offload(checked_files, session, frame["files"]) if frame.get("files") else []
    if example is not None and session.bot.options.examples[example].files:
        if files:
            raise ProtocolError("bad_frame", "submit.files: an example brings its own files")
        files = offload(example_files, session, example)
    multimodal = session.bot.options.multimodal
    value = fn_value(text, files) if multimodal else text
    session.check_text(text, "submit.text", inputs, value=value, has_files=bool(files))
    if "option_of" in frame and option_selected(frame["option_of"], text):
        session.inputs = inputs
        session.outbox.send(protocol.idle())  # its listener returned the conversation: no fn
        return
    # A multimodal message's entries carry its turn (conversation/multimodal.py); a chat of text keeps plain ones.
    entries = user_messages(session, message_id, text, files) if multimodal else None
    with session.lock:
        if any(m["id"] == message_id for m in session.history):
            raise ProtocolError("bad_frame", f"submit.id: {message_id!r} is already the id of a message")
        session.inputs, was_empty = inputs, not session.history
        history_for_fn = session.history_for_fn(session.history)
        session.remember(entries or [{"id": message_id, "role": "user", "content": text}])
    for entry in entries or [{"id": message_id, "content": text}]:
        session.show_user_message(entry["id"], entry["content"])
    cache = session.bot.examples_cache
    if cache is not None and example is not None and cacheable(session, example, was_empty):
        cached = cache.get(example)
        if cached is not None:
            replay(session, cached)
            return
        session.start_reply(value, history_for_fn, on_complete=storer(cache, example))
        return
    session.start_reply(value, history_for_fn)


__all__ = ["submit"]
