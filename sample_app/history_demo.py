"""Saved chats (``save_history``): a side panel of past conversations, kept in the browser,
and on the server for a signed-in user (``history_store``, ``history_user``).

The demo's "sign-in" is ``?user=<name>`` in the address (a real app reads its own login, e.g.
Flask-Login's ``current_user``): open /history-demo/?user=ada in two browsers and both list
the same chats.
"""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request, session

from flask_chatbot import chat_bp

# The demo's store: CHATBOT_HISTORY_DB, else a file of this user's in the temp folder.
STORE = os.environ.get("CHATBOT_HISTORY_DB") or os.path.join(
    tempfile.gettempdir(), f"flask-chatbot-demo-{getpass.getuser()}", "history.sqlite3"
)


def history_blueprint(fn: Callable[..., Any]) -> Blueprint:
    bp = chat_bp(
        fn,
        name="history_demo",
        title="Saved chats",
        description="Your chats stay in the panel, across reloads and server restarts. "
        "Add `?user=ada` to the address to keep them on the server for *ada*, and open that in another browser.",
        save_history=True,
        history_store=STORE,
        history_user=lambda: session.get("demo_user"),
        examples=["What can you show?", "Explain WSGI in a table"],
    )

    @bp.before_request
    def sign_in() -> None:
        if request.endpoint == "history_demo.page" and request.args.get("user"):
            session["demo_user"] = request.args["user"][:40]

    return bp
