"""concurrency_limit across the workers of a host (``CHATBOT_QUEUE_SCOPE = "host"``,
flask_chatbot/conversation/host_line.py): one line and one set of places for every worker process, a
dead worker's places and tickets freed by the kernel. Real processes and real sockets: two
apps with the same queue folder stand for two workers of one gunicorn."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import LiveServer
from test_queue import Gate, connect, next_status, submit

from flask_chatbot import OptionsError, chat_bp
from flask_chatbot.conversation.host_line import HostLine
from flask_chatbot.runtime.runner import Cancel

SPAWN = multiprocessing.get_context("spawn")


def hold_a_place(directory: str, holding: Any, release: Any) -> None:
    place = HostLine(Path(directory), 1).enter(Cancel(), lambda position, size: None)
    assert place is not None
    holding.set()
    release.wait(60)
    place.release()


def wait_in_line(directory: str, waiting: Any) -> None:
    HostLine(Path(directory), 1).enter(Cancel(), lambda position, size: waiting.set())


class Reports:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.seen: list[tuple[int, int]] = []

    def __call__(self, position: int, size: int) -> None:
        with self.cond:
            self.seen.append((position, size))
            self.cond.notify_all()

    def wait_for(self, report: tuple[int, int]) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: report in self.seen, timeout=10), self.seen


def enter_in_thread(
    line: HostLine, reports: Reports, cancel: Cancel | None = None
) -> tuple[threading.Thread, list[Any]]:
    got: list[Any] = []
    thread = threading.Thread(target=lambda: got.append(line.enter(cancel or Cancel(), reports)))
    thread.start()
    return thread, got


def test_a_place_held_by_another_process_makes_this_one_wait_until_it_is_let_go(tmp_path: Path) -> None:
    holding, release = SPAWN.Event(), SPAWN.Event()
    other = SPAWN.Process(target=hold_a_place, args=(str(tmp_path), holding, release))
    other.start()
    assert holding.wait(30)
    reports = Reports()
    thread, got = enter_in_thread(HostLine(tmp_path, 1), reports)
    reports.wait_for((1, 1))  # first in a line of one: the other process runs
    assert thread.is_alive() and got == []
    release.set()
    thread.join(10)
    assert got and got[0] is not None  # the place, once the other let it go
    got[0].release()
    other.join(10)
    assert other.exitcode == 0


def test_a_killed_worker_s_place_and_ticket_are_freed(tmp_path: Path) -> None:
    holding, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_a_place, args=(str(tmp_path), holding, release))
    holder.start()
    assert holding.wait(30)
    waiting = SPAWN.Event()
    waiter = SPAWN.Process(target=wait_in_line, args=(str(tmp_path), waiting))
    waiter.start()
    assert waiting.wait(30)  # the waiter's ticket is in the line, ahead of ours

    reports = Reports()
    thread, got = enter_in_thread(HostLine(tmp_path, 1), reports)
    reports.wait_for((2, 2))
    os.kill(waiter.pid, signal.SIGKILL)  # dies waiting: its ticket must not block the line
    reports.wait_for((1, 1))
    os.kill(holder.pid, signal.SIGKILL)  # dies running: the kernel lets its place go
    thread.join(10)
    assert got and got[0] is not None
    got[0].release()
    holder.join(10)
    waiter.join(10)
    assert [name for name in os.listdir(tmp_path) if name.startswith("t-")] == []


def test_stop_while_waiting_leaves_the_host_s_line(tmp_path: Path) -> None:
    line = HostLine(tmp_path, 1)
    place = line.enter(Cancel(), lambda position, size: None)
    assert place is not None
    reports, cancel = Reports(), Cancel()
    thread, got = enter_in_thread(line, reports, cancel)
    reports.wait_for((1, 1))
    cancel.set()
    thread.join(10)
    assert got == [None] and line.waiting() == 0
    place.release()


@pytest.fixture
def two_workers(tmp_path: Path, gate: Gate) -> Iterator[tuple[LiveServer, LiveServer]]:
    servers = []
    for _ in range(2):
        app = Flask(__name__)
        app.config["CHATBOT_QUEUE_SCOPE"] = "host"
        app.config["CHATBOT_QUEUE_DIR"] = tmp_path
        app.register_blueprint(chat_bp(gate.fn, concurrency_limit=1), url_prefix="/chat")
        servers.append(LiveServer(app))
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


@pytest.fixture
def gate() -> Gate:
    return Gate()


def test_one_at_a_time_holds_across_the_workers_of_a_host(
    two_workers: tuple[LiveServer, LiveServer], gate: Gate
) -> None:
    one, other = two_workers
    first, second, third = connect(one), connect(other), connect(one)
    submit(first, "a")
    gate.wait_started("a")
    submit(second, "b")  # another worker: it waits all the same
    assert next_status(second) == {"type": "status", "state": "queued", "position": 1, "size": 1, "eta": None}
    submit(third, "c")
    third_place = next_status(third)
    assert (third_place["position"], third_place["size"]) == (2, 2)

    gate.release("a")
    assert first.recv_until("idle")[-2]["content"] == "answered a"
    assert next_status(second) == {"type": "status", "state": "running"}
    gate.wait_started("b")
    assert gate.started == ["a", "b"]  # in order of arrival, one at a time on the host
    gate.release("b")
    second.recv_until("idle")
    gate.release("c")
    assert third.recv_until("idle")[-2]["content"] == "answered c"
    for client in (first, second, third):
        client.close()


def test_an_unknown_queue_scope_is_refused_at_start_up(gate: Gate) -> None:
    app = Flask(__name__)
    app.config["CHATBOT_QUEUE_SCOPE"] = "cluster"
    with pytest.raises(OptionsError, match="CHATBOT_QUEUE_SCOPE"):
        app.register_blueprint(chat_bp(gate.fn, concurrency_limit=1), url_prefix="/chat")
