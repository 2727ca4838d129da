"""fn in the WebSocket handshake's request context: ``flask.request``, ``session``, ``g``
(and so Flask-Login's ``current_user``) work inside it, as in a view (docs/options.md,
"Flask context").

A socket's frames are handled inside the handshake's request, where the developer's
``before_request`` hooks ran (a login check, ``g.user = ...``). fn runs on a thread of its own,
which starts with no context at all: :func:`capture` takes the request, its session and a copy
of ``g`` while they are there, and the context manager it returns enters them again on the
fn thread: the same request, the same session, a ``g`` with the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from flask import current_app, g, has_request_context, request, session
from flask.ctx import RequestContext

Enter = Callable[..., AbstractContextManager[Any]]


_CONVERSATION = "_flask_chatbot_conversation"


def conversation_id() -> str | None:
    """Inside fn: the id of the conversation being answered, the same across reconnects and
    reloads (the flag log's). Per-conversation state, as Gradio's ``gr.State`` keeps it, can be
    kept under it. None outside fn.

        state: dict[str, list[str]] = {}

        def respond(message, history):
            notes = state.setdefault(conversation_id(), [])
            notes.append(message)
            return f"{len(notes)} messages in this conversation"
    """
    return g.get(_CONVERSATION) if has_request_context() else None


def capture() -> Enter:
    """How to enter the current request's context again, on another thread (a no-op
    outside a request: the eager example cache, a test calling a session directly)."""
    if not has_request_context():
        return lambda conversation=None: nullcontext()
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as its object
    req = request._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as its object
    sess = session._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as its object
    values = dict(vars(g))  # what before_request put there: g.user, Flask-Login's user

    @contextmanager
    def enter(conversation: str | None = None) -> Iterator[None]:
        with app.app_context() as app_context:
            vars(app_context.g).update(values)  # a copy: what fn sets stays in its turn
            if conversation is not None:
                setattr(app_context.g, _CONVERSATION, conversation)
            with RequestContext(app, environ=req.environ, request=req, session=sess):
                yield

    return enter


__all__ = ["Enter", "capture", "conversation_id"]
