"""``python -m bench.resume``: what a reply that outlives its socket costs (issue 20).

Two servers of one chat in this process share the host's turn log, as two workers of a host do
(threaded werkzeug servers, real WebSocket clients). The reply is 200 words, one yielded every
10 ms. Four figures:

- **log**: the frames and bytes one reply leaves in the turn log (``turns.sqlite3``);
- **runner CPU**: the process's CPU per reply with replies that outlive their socket (frames kept,
  written to the log every interval) against ``on_disconnect="cancel"`` (Gradio's way: none of that);
- **follower CPU**: the same with a second socket following each reply from the other server
  (polling the log), against none;
- **follower lag**: for every frame, the time it reached the follower on the other server minus
  the time it reached the socket on the server that runs the reply: p50 and p95;
- **a second tab**: the same with a second tab of the conversation open on the other server
  (every tab live: it gets the question and follows the reply through the channel log), its CPU
  and lag;
- **idle tabs**: the CPU a server spends per second on idle sockets, each in a conversation of
  its own (the channel log read every interval, once per worker).

CPU is the whole process's (servers and clients): the differences are what the feature adds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import websocket
from flask import Flask
from werkzeug.serving import make_server

from . import doc_sections

WORDS = 200
DELAY = 0.01


def fn(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    text = ""
    for i in range(WORDS):
        text += f"word{i} " if i % 20 else f"\n\n**Part {i // 20}.** "
        time.sleep(DELAY)  # the model's pace
        yield text


class Servers:
    """``n`` threaded servers of one chat (the same fn and name: one host's turn log)."""

    def __init__(self, n: int, **options: Any) -> None:
        self.servers = []
        for _ in range(n):
            app = Flask(__name__)
            from flask_chatbot import chat_bp

            app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            self.servers.append(server)

    def url(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.servers[i].server_port}/chat/socket"

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def hello(url: str, **extra: Any) -> websocket.WebSocket:
    ws = websocket.create_connection(url, timeout=30)
    ws.send(json.dumps({"type": "hello", "version": 1, "history": [], **extra}))
    assert json.loads(ws.recv())["type"] == "welcome"
    return ws


def read_turn(ws: websocket.WebSocket, arrivals: dict[int, float], first: list[dict[str, Any]] | None = None) -> None:
    """Read up to the turn's idle, noting when each numbered frame arrived."""
    while True:
        frame = json.loads(ws.recv())
        if "seq" in frame:
            arrivals[frame["seq"]] = time.perf_counter()
        if frame["type"] == "turn" and first is not None:
            first.append(frame)
        if frame["type"] == "idle":
            return


def run(servers: Servers, conversations: int, follow: bool, tab: bool = False) -> tuple[float, list[float]]:
    """``conversations`` replies at once (each followed from the other server if ``follow``, or
    shown in a second tab of its conversation there if ``tab``): CPU per reply, and the
    follower's (or tab's) lag per frame."""
    lags: list[float] = []
    lock = threading.Lock()

    def one(k: int) -> None:
        ws = websocket.create_connection(servers.url(0), timeout=30)
        ws.send(json.dumps({"type": "hello", "version": 1, "history": []}))
        welcome = json.loads(ws.recv())
        if tab:
            second = hello(servers.url(1), session=welcome["session"], live=welcome["live"])
            tab_arrivals: dict[int, float] = {}
            other_tab = threading.Thread(target=lambda: read_turn(second, tab_arrivals))
            other_tab.start()
        ws.send(json.dumps({"type": "submit", "id": f"u{k}", "text": "go"}))
        if tab:
            runner_at: dict[int, float] = {}
            read_turn(ws, runner_at)
            other_tab.join()
            second.close()
            ws.close()
            with lock:
                lags.extend(tab_arrivals[seq] - runner_at[seq] for seq in tab_arrivals if seq in runner_at and seq > 1)
            return
        started: list[dict[str, Any]] = []
        runner: dict[int, float] = {}
        if not follow:
            read_turn(ws, runner)
            ws.close()
            return
        while not started:  # the echo, then the turn frame that names the turn
            frame = json.loads(ws.recv())
            if frame["type"] == "turn":
                started.append(frame)
                runner[1] = time.perf_counter()
        turn = {"id": started[0]["id"], "key": started[0]["key"], "seq": 1}
        follower: dict[int, float] = {}
        other = threading.Thread(target=lambda: read_turn(hello(servers.url(1), turn=turn), follower))
        other.start()
        read_turn(ws, runner)
        other.join()
        ws.close()
        with lock:
            lags.extend(follower[seq] - runner[seq] for seq in follower if seq in runner and seq > 1)

    cpu = time.process_time()
    threads = [threading.Thread(target=one, args=(k,)) for k in range(conversations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.process_time() - cpu) / conversations, lags


def idle_cpu(servers: Servers, sockets: int, seconds: float) -> float:
    """CPU per second of the process while ``sockets`` sockets, each its own conversation, sit idle."""
    opened = [hello(servers.url(0)) for _ in range(sockets)]
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(seconds)  # the measurement's span: nothing happens, which is what is measured
    spent = (time.process_time() - cpu) / (time.monotonic() - wall)
    for ws in opened:
        ws.close()
    return spent


def log_size(store: Path) -> tuple[float, float]:
    """Frames and bytes per turn in the host's turn log."""
    db = sqlite3.connect(store / "turns.sqlite3")
    turns, frames, size = db.execute("SELECT COUNT(DISTINCT turn), COUNT(*), SUM(LENGTH(frame)) FROM frames").fetchone()
    db.close()
    return frames / turns, size / turns


def report(conversations: int, rounds: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["CHATBOT_UPLOAD_DIR"] = folder
        resumable, cancel = Servers(2), Servers(1, on_disconnect="cancel")
        try:
            run(resumable, 2, True)  # warm up: imports, first renders, the log's file
            run(cancel, 2, False)
            base, alone, followed, lags, tabbed, tab_lags = [], [], [], [], [], []
            for _ in range(rounds):
                base.append(run(cancel, conversations, False)[0])
                alone.append(run(resumable, conversations, False)[0])
                cpu, lag = run(resumable, conversations, True)
                followed.append(cpu)
                lags.extend(lag)
                cpu, lag = run(resumable, conversations, False, tab=True)
                tabbed.append(cpu)
                tab_lags.extend(lag)
            frames, size = log_size(Path(folder))
            idle = idle_cpu(resumable, 100, 5.0)
        finally:
            resumable.close()
            cancel.close()
    ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731 (a local formatter)
    base_cpu, alone_cpu, followed_cpu, tab_cpu = (statistics.median(x) for x in (base, alone, followed, tabbed))
    lag = statistics.quantiles(lags, n=20)
    tab_lag = statistics.quantiles(tab_lags, n=20)
    return "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; a {WORDS}-word reply at "
            f"{DELAY * 1000:.0f} ms a word, {conversations} at once, median of {rounds} rounds "
            "(CPU: the whole process, servers and clients).",
            "",
            "| figure | value |",
            "| --- | --- |",
            f"| frames and bytes one reply leaves in the turn log | {frames:.0f} frames, {size / 1024:.1f} KB |",
            f'| CPU per reply, `on_disconnect="cancel"` (nothing kept or logged) | {ms(base_cpu)} |',
            f"| CPU per reply, outliving its socket (kept, logged every interval) | {ms(alone_cpu)} "
            f"(+{ms(alone_cpu - base_cpu)}) |",
            f"| CPU per reply, with a follower on the other server | {ms(followed_cpu)} "
            f"(+{ms(followed_cpu - alone_cpu)}, {100 * (followed_cpu - alone_cpu) / alone_cpu:.0f}% of the reply) |",
            f"| a frame's lag at the follower on the other server, p50 / p95 | {ms(statistics.median(lags))} / "
            f"{ms(lag[18])} |",
            f"| CPU per reply, with a second tab of the conversation on the other server | {ms(tab_cpu)} "
            f"(+{ms(tab_cpu - alone_cpu)}) |",
            f"| a frame's lag in that second tab, p50 / p95 | {ms(statistics.median(tab_lags))} / {ms(tab_lag[18])} |",
            f"| CPU of 100 idle sockets (each its own conversation), per second | {ms(idle)} |",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the result to docs/performance.md")
    args = parser.parse_args(argv)
    result = report(args.conversations, args.rounds)
    print(result)
    if args.write:
        doc_sections.write_section(
            "resume", f"### A reply that outlives its socket (`python -m bench.resume`)\n\n{result}"
        )


if __name__ == "__main__":
    main()
