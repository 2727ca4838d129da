"""Saved history on the server (``save_history=True`` with ``history_store``): each
conversation of a signed-in user is kept in the store as it changes, and the blueprint's
``history`` routes list, open, rename and delete them (docs/history.md).

The user is whoever ``history_user()`` names in the request (the socket's handshake, or the
route's): a string id, or None for nobody (then nothing is kept on the server, and the
browser still keeps the conversations it has seen).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..content.messages import render_title
from ..files.upload_keys import issued
from ..files.uploads import new_upload_key
from ..protocol.frames import SESSION_ID
from ..rendering.renderer import Renderer
from ..runtime.concurrency import offload
from ..stores.history import HistoryStore

log = logging.getLogger("flask_chatbot")
_CONVERSATION = re.compile(SESSION_ID)
# What a stored message keeps: what the element shows, not the server's own tags (a turn's).
_KEPT = ("id", "role", "content", "metadata", "options")
# Seconds of CPU one opening of a saved chat may spend rendering its messages (history_get).
OPEN_RENDER_BUDGET = 2.0


def current_user(history_user: Callable[[], Any] | None) -> str | None:
    """``history_user()`` as a store key, or None (nobody, or it failed: logged)."""
    if history_user is None:
        return None
    try:
        user = history_user()
    except Exception:
        log.exception("history_user() raised: the conversation is not saved on the server")
        return None
    return None if user is None or user == "" else str(user)


class ConversationSaver:
    """Keeps one socket's conversation in the store whenever its history has changed."""

    def __init__(self, store: HistoryStore | None, user: str | None) -> None:
        self._store = store if user is not None else None
        self._user = user
        self.user = user if store is not None else None  # whose saved conversations this socket may open
        self._saved: tuple[Any, ...] | None = None

    def save(self, session: Any) -> None:
        """Save the conversation of ``session`` (conversation/session.py) if it changed since it was last saved."""
        if self._store is None:
            return
        with session.lock:
            conversation, history = session.id, [dict(m) for m in session.history]
        key = session.upload_key if session.bot.options.multimodal else None
        mark = (
            conversation,
            len(history),
            history[0]["id"] if history else None,
            history[-1]["id"] if history else None,
            _fingerprint(history[-1]) if history else None,
        )
        if mark == self._saved:
            return
        self._saved = mark
        messages = [{key: m[key] for key in _KEPT if m.get(key)} | {"content": m["content"]} for m in history]
        try:
            offload(self._store.save, self._user, conversation, messages, key)  # a database call: off the gevent hub
        except Exception:
            log.exception("Saving conversation %s failed", conversation)


def _fingerprint(message: dict[str, Any]) -> int:
    return hash(repr(message.get("content")))


def register_history_routes(
    bp: Blueprint,
    store: HistoryStore,
    history_user: Callable[[], Any],
    renderer: Callable[[], Callable[[dict[str, Any]], dict[str, Any]]],
) -> None:
    """``GET history``, ``GET``/``PATCH``/``DELETE history/<id>`` on ``bp`` (docs/history.md)."""

    def refused(status: int, code: str, message: str) -> Response:
        response = jsonify(error={"code": code, "message": message})
        response.status_code = status
        return response

    def user_and_id(conversation: str | None = None) -> tuple[str | None, Response | None]:
        user = current_user(history_user)
        if user is None:
            return None, refused(401, "no_user", "Sign in to keep conversations on the server.")
        if conversation is not None and not _CONVERSATION.match(conversation):
            return None, refused(404, "not_found", "There is no such conversation.")
        return user, None

    @bp.get("/history")
    def history_list() -> Response:
        user, error = user_and_id()
        if error:
            return error
        return jsonify(conversations=offload(store.list, user))

    @bp.get("/history/<conversation>")
    def history_get(conversation: str) -> Response:
        user, error = user_and_id(conversation)
        if error:
            return error
        found = offload(store.get, user, conversation)
        if found is None:
            return refused(404, "not_found", "There is no such conversation.")
        render_message = renderer()  # in the request: file URLs for its origin
        found["messages"] = offload(lambda: [render_message(m) for m in found["messages"]])
        # Never the upload key: a read does not need it, and a socket that says hello for this
        # conversation gets it from the store (hello_upload_key), for the signed-in user only.
        found.pop("upload_key", None)
        return jsonify(found)

    @bp.patch("/history/<conversation>")
    def history_rename(conversation: str) -> Response:
        user, error = user_and_id(conversation)
        if error:
            return error
        body = request.get_json(silent=True)
        title = body.get("title") if isinstance(body, dict) else None
        if not isinstance(title, str) or not title.strip() or len(title) > 1000:
            return refused(400, "bad_request", 'Send {"title": "a new title"}.')
        if not offload(store.rename, user, conversation, title):
            return refused(404, "not_found", "There is no such conversation.")
        return jsonify(ok=True)

    @bp.delete("/history/<conversation>")
    def history_delete(conversation: str) -> Response:
        user, error = user_and_id(conversation)
        if error:
            return error
        if not offload(store.delete, user, conversation):
            return refused(404, "not_found", "There is no such conversation.")
        return jsonify(ok=True)


def hello_upload_key(session: Any, frame: dict[str, Any], switching: bool) -> str:
    """The upload key a ``hello`` leaves the conversation with (files/uploads.py): the one it brings
    if this chat issued it; else, for a conversation the signed-in user keeps on the server, the
    key stored with it (the element does not get it from ``GET history/<id>``); else the
    socket's own, or a new one for a new conversation."""
    own: str = session.upload_key
    if not session.bot.options.multimodal:
        return own  # no uploads, no key
    store, given = session.bot.content.store, frame.get("upload_key")
    if isinstance(given, str) and issued(store, given):  # issued() is False for a non-str or ""
        return given
    conversation = frame.get("session")
    if conversation and session.saver.user is not None:
        found = offload(session.bot.options.history_store.get, session.saver.user, conversation)
        kept = found.get("upload_key") if found else None
        if isinstance(kept, str) and issued(store, kept):  # issued() is False for a non-str or ""
            return kept
    return new_upload_key(store) if switching else own


def message_renderer(
    renderer: Renderer, render_content: Callable[[dict[str, Any]], str] | None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A stored message as the element shows it: rendered now (so today's sanitizer applies),
    within :data:`OPEN_RENDER_BUDGET` of CPU for the whole conversation: past it, the rest shows
    as typed (a saved chat full of costly text must not cost a second a message at every open)."""
    remaining = [OPEN_RENDER_BUDGET]

    def text_html(text: str, from_user: bool) -> str:
        start = time.thread_time()
        html = renderer.try_render(text, from_user=from_user, cpu_limit=remaining[0]) if remaining[0] > 0 else None
        remaining[0] -= time.thread_time() - start
        return html if html is not None else renderer.as_typed(text)

    def render(message: dict[str, Any]) -> dict[str, Any]:
        content = message["content"]
        if isinstance(content, dict):
            html = render_content(content) if render_content else ""
        else:
            html = text_html(str(content), message["role"] == "user")
        body = {**message, "html": html, "status": "done"}
        title = (message.get("metadata") or {}).get("title")
        if title:
            body["title_html"] = render_title(lambda text: renderer.render(text, from_user=False), title)
        return body

    return render


__all__ = ["ConversationSaver", "current_user", "hello_upload_key", "message_renderer", "register_history_routes"]
