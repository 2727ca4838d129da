"""The app bench/browser.py measures: an echo, and a 2,000-word reply streamed in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask

from flask_chatbot import chat_bp

from .text import reply

STREAM = reply(2000)


def bot(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    if message != "stream":
        yield f"echo {message}"
        return
    text = ""
    for word in STREAM.split(" "):
        text += word + " "
        yield text


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(bot, title="bench"), url_prefix="/chat")
    return app
