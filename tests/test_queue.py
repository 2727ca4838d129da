"""The queue, progress and toasts (issue 9, item 5): concurrency_limit and concurrency_id, the
waiting turns' places in line, a full line refused before the message enters the
conversation, and Progress, Info, Warning and Success from inside fn. Real sockets against a
live server; also run under gevent (Makefile)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from live import Client, LiveServer

from flask_chatbot import Info, OptionsError, Progress, Success, Warning, chat_bp


class Gate:
    """fn waits here until the test lets each message through, and says when it has started."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.released: set[str] = set()
        self.started: list[str] = []

    def fn(self, message: str, history: list[dict[str, Any]]) -> str:
        with self.cond:
            self.started.append(message)
            self.cond.notify_all()
            while message not in self.released:
                self.cond.wait()
        return f"answered {message}"

    def release(self, message: str) -> None:
        with self.cond:
            self.released.add(message)
            self.cond.notify_all()

    def wait_started(self, *messages: str) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: all(m in self.started for m in messages), timeout=10), self.started


def serve(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


def connect(server: LiveServer, mount: str = "/chat") -> Client:
    client = Client(f"ws://127.0.0.1:{server.port}{mount}/socket")
    assert client.hello()["type"] == "welcome"
    return client


def submit(client: Client, text: str, message_id: str | None = None) -> None:
    client.send({"type": "submit", "id": message_id or f"id-{text}", "text": text})


def next_status(client: Client) -> dict[str, Any]:
    """The next status frame, past the echo of the user's message."""
    while True:
        frame = client.recv()
        if frame["type"] == "status":
            return frame
        assert frame["type"] == "message" and frame["message"]["role"] == "user", frame


def status_where(client: Client, **expected: Any) -> dict[str, Any]:
    """The first status frame with these values (the size of the line changes in between)."""
    while True:
        frame = next_status(client)
        if all(frame.get(key) == value for key, value in expected.items()):
            return frame


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def one_at_a_time(gate: Gate) -> Iterator[LiveServer]:
    app = Flask(__name__)
    # Every socket of these tests is one client (127.0.0.1): its share of the line is not under test here.
    app.config["CHATBOT_MAX_TURNS_PER_CLIENT"] = None
    # A turn left waiting keeps its place for min(5 s, resume_window): a reload comes back for it.
    app.register_blueprint(chat_bp(gate.fn, concurrency_limit=1, resume_window=0.5), url_prefix="/chat")
    yield from serve(app)


def test_waiting_users_see_their_place_in_line_and_it_moves_up(one_at_a_time: LiveServer, gate: Gate) -> None:
    first, second, third = (connect(one_at_a_time) for _ in range(3))
    submit(first, "a")
    gate.wait_started("a")
    submit(second, "b")
    assert next_status(second) == {"type": "status", "state": "queued", "position": 1, "size": 1, "eta": None}
    submit(third, "c")
    assert next_status(third) == {"type": "status", "state": "queued", "position": 2, "size": 2, "eta": None}
    assert next_status(second)["size"] == 2  # the line grew behind it

    gate.release("a")
    assert first.recv_until("idle")[-2]["content"] == "answered a"
    assert next_status(second) == {"type": "status", "state": "running"}
    moved = next_status(third)
    assert (moved["position"], moved["size"]) == (1, 1)
    assert moved["eta"] is not None and moved["eta"] >= 0  # one run measured: an estimate
    gate.wait_started("b")
    assert gate.started == ["a", "b"]  # one at a time: c has not started

    gate.release("b")
    assert second.recv_until("idle")[-2]["content"] == "answered b"
    assert next_status(third) == {"type": "status", "state": "running"}
    gate.release("c")
    assert third.recv_until("idle")[-2]["content"] == "answered c"
    for client in (first, second, third):
        client.close()


def test_a_turn_that_did_not_wait_sends_no_status(one_at_a_time: LiveServer, gate: Gate) -> None:
    client = connect(one_at_a_time)
    gate.release("alone")
    frames = client.turn("alone")
    assert [f["type"] for f in frames if f["type"] == "status"] == []
    client.close()


def test_stop_or_leaving_while_waiting_gives_the_place_up(one_at_a_time: LiveServer, gate: Gate) -> None:
    first, second, third, fourth = (connect(one_at_a_time) for _ in range(4))
    submit(first, "a")
    gate.wait_started("a")
    submit(second, "b")
    next_status(second)
    submit(third, "c")
    assert next_status(third)["position"] == 2
    submit(fourth, "d")
    assert next_status(fourth)["position"] == 3
    status_where(third, size=3)

    second.send({"type": "stop"})
    assert second.recv_until("idle")[-1] == {"type": "idle"}  # stopped in line: no reply, the turn is over
    assert next_status(third) == {"type": "status", "state": "queued", "position": 1, "size": 2, "eta": None}
    assert next_status(fourth) == {"type": "status", "state": "queued", "position": 2, "size": 2, "eta": None}
    third.close()  # the reader went away while waiting, and did not come back within resume_window
    assert next_status(fourth) == {"type": "status", "state": "queued", "position": 1, "size": 1, "eta": None}

    gate.release("a")
    first.recv_until("idle")
    assert next_status(fourth)["state"] == "running"
    gate.release("d")
    assert fourth.recv_until("idle")[-2]["content"] == "answered d"
    assert "b" not in gate.started and "c" not in gate.started
    for client in (first, second, fourth):
        client.close()


def test_a_full_line_refuses_the_message_before_it_enters_the_conversation(gate: Gate) -> None:
    app = Flask(__name__)
    app.config["CHATBOT_MAX_QUEUE_SIZE"] = 1
    app.register_blueprint(chat_bp(gate.fn, concurrency_limit=1), url_prefix="/chat")
    for server in serve(app):
        first, second, third = (connect(server) for _ in range(3))
        submit(first, "a")
        gate.wait_started("a")
        submit(second, "b")
        next_status(second)
        submit(third, "c")
        refusal = third.recv()
        assert refusal["type"] == "error" and refusal["code"] == "queue_full"
        assert "busy" in refusal["message"] and "try again" in refusal["message"]
        for message in ("a", "b"):
            gate.release(message)
        first.recv_until("idle")
        second.recv_until("idle")
        # Nothing of the refused message stayed: the same id goes through now.
        gate.release("c")
        frames = third.turn("c", "id-c")
        assert [
            f["message"]["content"] for f in frames if f["type"] == "message" and f["message"]["role"] == "user"
        ] == ["c"]
        assert frames[-2]["content"] == "answered c"
        retry = third.send({"type": "retry"}) or third.recv_until("idle")  # the conversation goes on
        assert retry[-2]["content"] == "answered c"
        for client in (first, second, third):
            client.close()


def test_blueprints_with_one_concurrency_id_share_the_limit(gate: Gate) -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(gate.fn, name="one", concurrency_limit=1, concurrency_id="gpu"), url_prefix="/one")
    app.register_blueprint(chat_bp(gate.fn, name="two", concurrency_limit=3, concurrency_id="gpu"), url_prefix="/two")
    for server in serve(app):
        first, second = connect(server, "/one"), connect(server, "/two")
        submit(first, "a")
        gate.wait_started("a")
        submit(second, "b")
        assert next_status(second)["state"] == "queued"  # the lower limit, 1, is the group's
        gate.release("a")
        gate.release("b")
        assert next_status(second)["state"] == "running"
        assert second.recv_until("idle")[-2]["content"] == "answered b"
        first.close()
        second.close()


@pytest.mark.parametrize("config, waits", [({}, False), ({"CHATBOT_DEFAULT_CONCURRENCY_LIMIT": 1}, True)])
def test_the_default_limit_comes_from_the_app_config(gate: Gate, config: dict[str, int], waits: bool) -> None:
    app = Flask(__name__)
    app.config.update(config)
    app.register_blueprint(chat_bp(gate.fn), url_prefix="/chat")  # concurrency_limit="default"
    for server in serve(app):
        first, second = connect(server), connect(server)
        submit(first, "a")
        gate.wait_started("a")
        submit(second, "b")
        if waits:
            assert next_status(second)["state"] == "queued"
        else:
            gate.wait_started("b")  # no limit: both run at once
        for message in ("a", "b"):
            gate.release(message)
        assert first.recv_until("idle")[-2]["content"] == "answered a"
        assert second.recv_until("idle")[-2]["content"] == "answered b"
        first.close()
        second.close()


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"concurrency_limit": 0}, "concurrency_limit"),
        ({"concurrency_limit": "two"}, "concurrency_limit"),
        ({"concurrency_limit": True}, "concurrency_limit"),
        ({"concurrency_id": ""}, "concurrency_id"),
        ({"show_progress": "loud"}, "show_progress"),
    ],
)
def test_bad_queue_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: "", **options)


def test_a_bad_app_config_is_refused_when_the_blueprint_is_registered() -> None:
    app = Flask(__name__)
    app.config["CHATBOT_MAX_QUEUE_SIZE"] = "ten"
    with pytest.raises(OptionsError, match="CHATBOT_MAX_QUEUE_SIZE"):
        app.register_blueprint(chat_bp(lambda message, history: ""), url_prefix="/chat")


# -- Progress and toasts --------------------------------------------------------------------


def notices_bot(message: str, history: list[dict[str, Any]], progress: Progress = Progress()) -> str:
    progress(0.25, desc="Reading")
    Info("Found 3 documents")
    Warning("One was empty", duration=None, title="Heads up")
    Success("Summarised", duration=3)
    for _ in progress.tqdm(range(1000), desc="Summarising", unit="pages"):
        pass
    return "summary"


async def async_notices_bot(message: str, history: list[dict[str, Any]], progress: Progress = Progress()) -> str:
    await asyncio.sleep(0)
    progress((2, 4), desc="Halfway")
    Info("from an async fn")
    return "async summary"


def toast_flood(message: str, history: list[dict[str, Any]]) -> str:
    for i in range(500):
        Info(f"toast {i}")
    return "flooded"


@pytest.fixture
def notices_server() -> Iterator[LiveServer]:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(notices_bot, stream_interval=0.05), url_prefix="/chat")
    app.register_blueprint(chat_bp(async_notices_bot, name="async"), url_prefix="/async")
    app.register_blueprint(chat_bp(toast_flood, name="flood"), url_prefix="/flood")
    yield from serve(app)


def test_fn_shows_progress_and_toasts(notices_server: LiveServer) -> None:
    client = connect(notices_server)
    frames = client.turn("summarise")
    toasts = [f for f in frames if f["type"] == "toast"]
    assert toasts == [
        {"type": "toast", "level": "info", "message": "Found 3 documents", "duration": 10.0},
        {"type": "toast", "level": "warning", "message": "One was empty", "duration": None, "title": "Heads up"},
        {"type": "toast", "level": "success", "message": "Summarised", "duration": 3},
    ]
    progress = [f["progress"] for f in frames if f["type"] == "status"]
    assert progress, "no progress frame"
    # 1,002 progress() calls, coalesced: a few frames at most one per stream_interval.
    assert len(progress) < 20
    assert all(set(p) <= {"value", "index", "length", "desc", "unit"} for p in progress)
    assert frames[-2]["content"] == "summary"
    client.close()


def test_progress_steps_and_toasts_work_from_an_async_fn(notices_server: LiveServer) -> None:
    client = connect(notices_server, "/async")
    frames = client.turn("go")
    assert {
        "type": "status",
        "state": "running",
        "progress": {"index": 2, "length": 4, "value": 0.5, "desc": "Halfway", "unit": "steps"},
    } in frames
    assert [f["message"] for f in frames if f["type"] == "toast"] == ["from an async fn"]
    client.close()


def test_a_flood_of_toasts_is_capped_per_turn(notices_server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    client = connect(notices_server, "/flood")
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        frames = client.turn("go")
    assert [f["message"] for f in frames if f["type"] == "toast"] == [f"toast {i}" for i in range(20)]
    assert frames[-2]["content"] == "flooded"
    assert "more than 20 toasts" in caplog.text
    client.close()


def test_notices_outside_fn_do_nothing_but_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="flask_chatbot"):
        Info("nobody hears this")
        assert Progress()(0.5) == 0.5
    assert "nobody hears this" in caplog.text
    with pytest.raises(ValueError, match="duration"):
        Info("bad", duration=-1)
    with pytest.raises(TypeError, match="progress"):
        Progress()("half")


def test_a_listener_s_toasts_reach_its_reader(serve_app: Any) -> None:
    from flask_chatbot import Chatbot, LikeData

    chatbot = Chatbot()

    @chatbot.like
    def thanks(data: LikeData) -> None:
        for n in range(8):
            Info(f"Thanks for the vote {n}" if data.liked else "Noted")

    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda message, history: "ok", chatbot=chatbot), url_prefix="/chat")
    client = connect(serve_app(app))
    reply_id = [f["id"] for f in client.turn("hi") if f["type"] == "done"][-1]
    client.send({"type": "like", "id": reply_id, "value": "Like"})
    toasts = [client.recv() for _ in range(5)]  # at most five from one listener's call
    assert [t["message"] for t in toasts] == [f"Thanks for the vote {n}" for n in range(5)]
    assert all(t["type"] == "toast" and t["level"] == "info" for t in toasts)
    client.send({"type": "like", "id": reply_id, "value": "Dislike"})
    assert client.recv()["message"] == "Noted"  # the sixth to eighth of the first call never came
    client.close()
