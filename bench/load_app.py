"""The app behind ``python -m bench.load``: one chat_bp per kind of fn, each paced like an LLM.

The user message is JSON ``{"words": 200, "delay": 0.01, "seed": 1}``.

- ``/gen``  a plain generator: yields the reply one word more per yield, ``time.sleep(delay)`` between words
- ``/agen`` an async generator: the same with ``await asyncio.sleep(delay)``
- ``/fn``   a plain function: ``time.sleep(words * delay)``, then the whole reply
- ``/afn``  an ``async def``: ``await asyncio.sleep(words * delay)``, then the whole reply

Only the public API is used, with default options except ``idle_timeout`` (idle sockets must
stay open for the whole benchmark).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from flask import Flask

from flask_chatbot import chat_bp

from .text import reply, word_ends

KINDS = ("gen", "agen", "fn", "afn")
IDLE_TIMEOUT = 24 * 3600.0


def _spec(message: str) -> tuple[str, list[int], float]:
    spec = json.loads(message)
    text = reply(int(spec.get("words", 200)), int(spec.get("seed", 1)))
    return text, word_ends(text), float(spec.get("delay", 0.01))


def gen(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    text, ends, delay = _spec(message)
    for i, end in enumerate(ends):
        if i:
            time.sleep(delay)
        yield text[:end]


async def agen(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
    text, ends, delay = _spec(message)
    for i, end in enumerate(ends):
        if i:
            await asyncio.sleep(delay)
        yield text[:end]


def fn(message: str, history: list[dict[str, Any]]) -> str:
    text, ends, delay = _spec(message)
    time.sleep(len(ends) * delay)
    return text


async def afn(message: str, history: list[dict[str, Any]]) -> str:
    text, ends, delay = _spec(message)
    await asyncio.sleep(len(ends) * delay)
    return text


def create_app() -> Flask:
    app = Flask(__name__)
    for name, func in (("gen", gen), ("agen", agen), ("fn", fn), ("afn", afn)):
        app.register_blueprint(chat_bp(func, name=name, idle_timeout=IDLE_TIMEOUT), url_prefix=f"/{name}")

    @app.get("/ping")
    def ping() -> str:
        return "ok"

    return app
