"""Real gunicorn workers: every kind of fn, many conversations at once, on one worker.

gevent is what sample_app/gunicorn.conf.py and docs/deployment.md recommend; gthread
must keep working. The load figures themselves come from ``python -m bench.load``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import websocket
from harness import ChatController, Gunicorn
from playwright.sync_api import Page, expect

CONVERSATIONS_PER_KIND = 12
WORDS = 30


@pytest.fixture(scope="module", params=["gevent", "gthread"])
def server(request: pytest.FixtureRequest) -> Iterator[Gunicorn]:
    gunicorn = Gunicorn(
        "workers_app:create_app()", ready_path="/echo/", CHATBOT_WORKERS="1", CHATBOT_WORKER_CLASS=request.param
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


def converse(url: str, text: str) -> list[dict]:
    ws = websocket.create_connection(url, timeout=30)
    try:
        ws.send(json.dumps({"type": "hello", "version": 1, "history": []}))
        assert json.loads(ws.recv())["type"] == "welcome"
        ws.send(json.dumps({"type": "submit", "id": "u1", "text": text}))
        frames = []
        while not frames or frames[-1]["type"] != "idle":
            frames.append(json.loads(ws.recv()))
        return frames
    finally:
        ws.close()


def test_every_kind_of_fn_streams_to_many_conversations_at_once(server: Gunicorn) -> None:
    results: dict[str, list[dict]] = {}
    failures: list[str] = []

    def one(kind: str, i: int) -> None:
        try:
            results[f"{kind}{i}"] = converse(f"ws://127.0.0.1:{server.port}/{kind}/socket", str(WORDS))
        except Exception as exc:  # noqa: BLE001, reported below with the kind that failed
            failures.append(f"{kind}{i}: {exc!r}")

    threads = [
        threading.Thread(target=one, args=(kind, i))
        for kind in ("gen", "agen", "fn", "afn")
        for i in range(CONVERSATIONS_PER_KIND)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    expected = " ".join(f"w{i}" for i in range(WORDS))
    for name, frames in results.items():
        done = [f for f in frames if f["type"] == "done"]
        errors = [f for f in frames if f["type"] == "error"]
        assert errors == [] and [d["content"] for d in done] == [expected], name
    assert len(results) == 4 * CONVERSATIONS_PER_KIND


def worker_pids(master: int) -> set[int]:
    """The gunicorn workers (children) of ``master``."""
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.add(int(entry))
    return children


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_a_worker_asked_to_stop_closes_its_chats_at_once_and_they_go_on_elsewhere(
    page: Page, worker_class: str
) -> None:
    # gunicorn's default graceful timeout, 30 s: a worker holding chats used to wait it out.
    server = Gunicorn(CHATBOT_WORKERS="2", CHATBOT_WORKER_CLASS=worker_class, GUNICORN_CMD_ARGS="--graceful-timeout 30")
    server.start()
    try:
        assert server.process is not None
        chat = ChatController(page)
        chat.open(f"{server.url}/chat/")
        chat.send("What can you show?")
        chat.expect_idle()
        old = worker_pids(server.process.pid)
        assert len(old) == 2
        exits = {pid: os.pidfd_open(pid) for pid in old}  # readable once that process has exited
        try:
            deadline = time.monotonic() + 5
            os.kill(server.process.pid, signal.SIGHUP)  # a deploy: new workers, the old ones asked to stop
            for pid, fd in exits.items():
                ended, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
                assert ended, f"the old worker {pid} did not stop within 5 s"
        finally:
            for fd in exits.values():
                os.close(fd)
        expect(chat.element).to_have_attribute("data-connection", "online", timeout=5_000)
        chat.send("Write some Python")  # the conversation goes on, on a new worker
        expect(chat.latest_assistant()).to_contain_text("That makes 3 messages", timeout=15_000)
    finally:
        page.close()  # before the server goes: its reconnects, refused, are no problem of the page
        server.stop()
