"""An app with one chat per kind of fn, for e2e/test_workers.py under real gunicorn workers.

The message is the number of words to stream; each generator sleeps 10 ms a word, each
function sleeps as long in one go, so every conversation of a test overlaps the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

from flask import Flask

from flask_chatbot import chat_bp

DELAY = 0.01


def words(n: int) -> list[str]:
    return [f"w{i}" for i in range(n)]


def gen(message: str, history: list[dict]) -> Iterator[str]:
    for i in range(1, int(message) + 1):
        time.sleep(DELAY)
        yield " ".join(words(i))


async def agen(message: str, history: list[dict]) -> AsyncIterator[str]:
    for i in range(1, int(message) + 1):
        await asyncio.sleep(DELAY)
        yield " ".join(words(i))


def fn(message: str, history: list[dict]) -> str:
    time.sleep(DELAY * int(message))
    return " ".join(words(int(message)))


async def afn(message: str, history: list[dict]) -> str:
    await asyncio.sleep(DELAY * int(message))
    return " ".join(words(int(message)))


def echo(message: str, history: list[dict]) -> str:
    return f"echo {len(message)}"


KINDS = {"gen": gen, "agen": agen, "fn": fn, "afn": afn}


def create_app() -> Flask:
    app = Flask(__name__)
    for name, func in {**KINDS, "echo": echo}.items():
        app.register_blueprint(chat_bp(func, name=name), url_prefix=f"/{name}")
    return app
