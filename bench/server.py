"""The app the live benchmark serves with gunicorn (gthread, one worker), as in production.

``fn`` streams a reply from :mod:`bench.text`, one word per yield; the user's message
is JSON naming it: ``{"words": 2000, "rate": 100, "seed": 1}`` (``rate`` in words per
second; 0 yields as fast as it can). Three blueprints share one fn: ``/chat`` with the
default options (``stream_interval=0.03``), ``/chat0`` with ``stream_interval=0`` (the
emitter makes a patch of every yield it sees) and ``/chat100`` with ``stream_interval=0.1``.

``GET /bench/stats`` answers the worker's CPU time (``time.process_time()``: every
thread, including the ones that have ended) and what the render and fn wrappers
counted. Wrapping costs two clock reads per render call and per reply (fn and emitter
threads), nothing per frame, so the totals are the library's own. With ``BENCH_NAGLE=1`` the
sockets keep Nagle's algorithm (the library turns it off), to measure what that is worth.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, jsonify

import flask_chatbot.conversation.outbox as outbox_module
from flask_chatbot import chat_bp
from flask_chatbot.conversation.reply import Reply
from flask_chatbot.rendering.renderer import Renderer

from .text import reply, word_ends

_lock = threading.Lock()
_counters: dict[str, float] = {
    "render_cpu": 0.0,
    "render_calls": 0,
    "render_chars": 0,
    "fn_cpu": 0.0,
    "emit_cpu": 0.0,
    "replies": 0,
}
_original_render = Renderer.render


def _counted_render(self: Renderer, text: str, *, from_user: bool) -> str:
    start = time.thread_time()
    out = _original_render(self, text, from_user=from_user)
    spent = time.thread_time() - start
    with _lock:
        _counters["render_cpu"] += spent
        _counters["render_calls"] += 1
        _counters["render_chars"] += len(text)
    return out


Renderer.render = _counted_render  # type: ignore[method-assign]
if os.environ.get("BENCH_NAGLE"):  # measure what TCP_NODELAY is for: leave Nagle's algorithm on
    outbox_module._set_nodelay = lambda ws: None
_original_emit = Reply._emit


def _counted_emit(self: Reply) -> None:
    start = time.thread_time()
    try:
        _original_emit(self)
    finally:
        spent = time.thread_time() - start
        with _lock:
            _counters["emit_cpu"] += spent
            _counters["replies"] += 1


Reply._emit = _counted_emit  # type: ignore[method-assign]

_ENDS: dict[tuple[int, int], list[int]] = {}


def bench_fn(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    spec = json.loads(message)
    words, seed, rate = int(spec["words"]), int(spec.get("seed", 1)), float(spec.get("rate", 0))
    text = reply(words, seed)
    ends = _ENDS.get((words, seed)) or _ENDS.setdefault((words, seed), word_ends(text))
    start_cpu, start = time.thread_time(), time.perf_counter()
    try:
        for i, end in enumerate(ends):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            yield text[:end]
    finally:
        spent = time.thread_time() - start_cpu
        with _lock:
            _counters["fn_cpu"] += spent


def _proc_cpu_ticks() -> int:
    with open(f"/proc/{os.getpid()}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(bench_fn, name="chat"), url_prefix="/chat")
    app.register_blueprint(chat_bp(bench_fn, name="chat0", stream_interval=0), url_prefix="/chat0")
    app.register_blueprint(chat_bp(bench_fn, name="chat100", stream_interval=0.1), url_prefix="/chat100")

    @app.get("/bench/stats")
    def stats() -> Any:
        cpu = time.process_time()
        with _lock:
            counters = dict(_counters)
        return jsonify(pid=os.getpid(), cpu=cpu, proc_ticks=_proc_cpu_ticks(), **counters)

    return app
