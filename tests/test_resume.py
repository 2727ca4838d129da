"""A turn outlives its socket: a socket that comes back for it (a reload, a reconnect) with the
number of the last frame it applied gets exactly what it missed, then the rest, on the worker
that runs it or on another one of the host (conversation/live_turn.py, turns.py, remote_turn.py,
resume.py; docs/protocol.md, "Following a turn again").

Two live servers of one fn share the host's turn log (the store's folder) as two gunicorn
workers do. fn waits on events the test sets, so each step happens where the test says.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, LiveServer

from flask_chatbot import chat_bp
from flask_chatbot.files.paths import TURN_LOG_DB
from flask_chatbot.stores.turn_log_sqlite import SQLiteTurnLog

WORDS = [f"word{i}" for i in range(60)]
FULL = " ".join(WORDS)


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The host's store folder (and so its turn log), shared by every server of the test."""
    folder = tmp_path / "store"
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def workers(serve_app: Callable[[Flask], LiveServer], store_dir: Path) -> Callable[..., list[LiveServer]]:
    """workers(fn, n, **options): ``n`` servers of one chat on one host (one turn log)."""

    def start(fn: Callable[..., Any], n: int = 1, **options: Any) -> list[LiveServer]:
        servers = []
        for _ in range(n):
            app = Flask(__name__)
            app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
            servers.append(serve_app(app))
        return servers

    return start


def open_client(server: LiveServer, **hello: Any) -> tuple[Client, dict[str, Any]]:
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", raw=True)
    client.send({"type": "hello", "version": 1, "history": [], **hello})
    welcome = client.recv()
    assert welcome["type"] == "welcome", welcome
    return client, welcome


def endless(closed: threading.Event) -> Callable[..., Iterator[str]]:
    def fn(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        try:
            text = ""
            while True:
                text += "x"
                yield text
                time.sleep(0.01)  # the model's pace, a character every 10 ms (fn's, not the test's)
        finally:
            closed.set()

    return fn


def submit_and_leave(server: LiveServer) -> dict[str, Any]:
    client, _ = open_client(server)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    client.recv_until("patch")
    followed = dict(client.followed or {})
    client.close()
    return followed


class Steps:
    """fn's three parts, each let go by the test: 20 words, then 20 more, then the rest."""

    def __init__(self) -> None:
        self.go = [threading.Event(), threading.Event()]
        self.waiting = [threading.Event(), threading.Event()]
        self.closed = threading.Event()
        self.histories: list[list[dict[str, Any]]] = []

    def fn(self, message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        self.histories.append(history)
        if message != "tell me":
            yield "short answer"
            return
        try:
            for i in range(1, len(WORDS) + 1):
                yield " ".join(WORDS[:i])
                if i in (20, 40):
                    part = i // 20 - 1
                    self.waiting[part].set()
                    self.go[part].wait(10)
        finally:
            self.closed.set()


def shown(frames: list[dict[str, Any]], text: dict[str, str] | None = None) -> dict[str, str]:
    """What the element's copy of each message's text is after applying ``frames`` in order."""
    text = dict(text or {})
    for frame in frames:
        if frame["type"] == "message" and frame["message"]["role"] == "assistant":
            text[frame["message"]["id"]] = frame["message"]["content"]
        elif frame["type"] == "patch":
            text[frame["id"]] = text[frame["id"]][: frame["keep"]] + frame["append"]
        elif frame["type"] == "done":  # the final text: the element shows it as it came
            text[frame["id"]] = frame["content"]
    return text


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["seq"] for f in frames if "seq" in f]


def start_and_leave(
    server: LiveServer, steps: Steps
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Submit "tell me", read up to the first 20 words, and drop the socket: what a reload
    leaves (the turn it followed, the frames it applied, the history it shows)."""
    client, _ = open_client(server)
    client.send({"type": "submit", "id": "u1", "text": "tell me"})
    steps.waiting[0].wait(10)
    frames = client.recv_until("patch")
    while shown(frames).get(frames[-1].get("id", ""), "").count(" ") < 19:
        frames.append(client.recv())
    followed = dict(client.followed or {})
    client.close()
    text = shown(frames)
    (reply_id,) = text
    history = [
        {"id": "u1", "role": "user", "content": "tell me"},
        {"id": reply_id, "role": "assistant", "content": text[reply_id]},
    ]
    return followed, frames, history


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_a_socket_back_mid_reply_gets_exactly_what_it_missed_then_the_rest(workers, n: int) -> None:
    steps = Steps()
    servers = workers(steps.fn, n, stream_interval=0)
    followed, before, history = start_and_leave(servers[0], steps)
    assert before[1]["type"] == "turn" and before[1]["seq"] == 1  # after the echo of the user's message
    steps.go[0].set()  # 20 more words while nobody reads
    steps.waiting[1].wait(10)

    client, welcome = open_client(servers[-1], history=history, turn=followed)
    assert welcome["turn"] == {"id": followed["id"], "resumed": True}
    steps.go[1].set()
    after = client.recv_until("idle")

    assert seqs(before + after) == list(range(1, seqs(after)[-1] + 1))  # none missed, none twice
    text = shown(after, shown(before))
    assert list(text.values()) == [FULL]  # byte-identical to a run nobody left
    done = [f for f in after if f["type"] == "done"]
    assert [d["status"] for d in done] == ["done"] and done[0]["content"] == FULL

    # The reply joined this socket's history once, as the server has it.
    client.send({"type": "submit", "id": "u2", "text": "and then?"})
    client.recv_until("idle")
    assert steps.histories[-1] == [
        {"role": "user", "content": "tell me"},
        {"role": "assistant", "content": FULL},
    ]


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_stop_pressed_after_a_reload_stops_fn_wherever_it_runs(workers, n: int) -> None:
    closed = threading.Event()
    servers = workers(endless(closed), n)
    followed = submit_and_leave(servers[0])
    client, welcome = open_client(servers[-1], turn=followed)
    assert welcome["turn"]["resumed"] is True
    client.send({"type": "stop"})
    frames = client.recv_until("idle")
    assert [f["status"] for f in frames if f["type"] == "done"] == ["stopped"]
    assert closed.wait(10)  # fn itself, at its next yield


def test_a_reader_back_after_the_end_gets_the_end(workers) -> None:
    steps = Steps()
    (server,) = workers(steps.fn, 1, stream_interval=0)
    followed, before, history = start_and_leave(server, steps)
    steps.go[0].set()
    steps.go[1].set()
    assert steps.closed.wait(10)  # fn ended while nobody read
    client, welcome = open_client(server, history=history, turn=followed)
    assert welcome["turn"]["resumed"] is True
    after = client.recv_until("idle")
    assert list(shown(after, shown(before)).values()) == [FULL]


def test_a_turn_is_followed_only_with_its_key(workers) -> None:
    steps = Steps()
    servers = workers(steps.fn, 2, stream_interval=0)
    followed, _, history = start_and_leave(servers[0], steps)
    for server in servers:
        wrong = {**followed, "key": "0" * 32}
        client, welcome = open_client(server, history=history, turn=wrong)
        assert welcome["turn"] == {"id": followed["id"], "resumed": False}
        client.send({"type": "submit", "id": "u9", "text": "hi"})  # the conversation goes on as its own
        assert [f["content"] for f in client.recv_until("idle") if f["type"] == "done"] == ["short answer"]
    steps.go[0].set()
    steps.go[1].set()


def test_a_turn_is_followed_only_by_a_socket_of_its_own_chat(serve_app, store_dir: Path) -> None:
    steps = Steps()
    app = Flask(__name__)  # two chats of one app: one store folder, so one turn log
    app.register_blueprint(chat_bp(steps.fn, stream_interval=0), url_prefix="/chat")
    app.register_blueprint(chat_bp(steps.fn, name="other", stream_interval=0), url_prefix="/other")
    server = serve_app(app)
    followed, _, history = start_and_leave(server, steps)
    client = Client(f"ws://127.0.0.1:{server.port}/other/socket", raw=True)
    client.send({"type": "hello", "version": 1, "history": history, "turn": followed})
    assert client.recv()["turn"] == {"id": followed["id"], "resumed": False}  # the key alone is not enough
    steps.go[0].set()
    steps.go[1].set()


def test_bad_turns_in_hello_are_refused_with_a_clear_error(workers) -> None:
    (server,) = workers(lambda m, h: "ok", 1)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", raw=True)
    for turn in ({"id": "x", "key": "0" * 32, "seq": 1}, {"id": "0" * 32, "key": "0" * 32, "seq": -1}, "t"):
        client.send({"type": "hello", "version": 1, "history": [], "turn": turn})
        error = client.recv()
        assert error["type"] == "error" and error["code"] == "bad_frame" and "turn" in error["message"]
    assert open_client(server)[1]["type"] == "welcome"  # the server carries on


def cut_off(frames: list[dict[str, Any]]) -> bool:
    """Whether a turn's frames end it cut off, as a dropped connection shows it: the reply kept
    with status ``error``, then error ``interrupted`` naming it, then ``idle``."""
    done = [f for f in frames if f["type"] == "done"]
    error = frames[-2]
    return (
        [d["status"] for d in done] == ["error"]
        and error["type"] == "error"
        and error["code"] == "interrupted"
        and error["id"] == done[0]["id"]
        and frames[-1]["type"] == "idle"
    )


def test_with_nobody_back_within_resume_window_fn_is_stopped_and_the_reply_kept_cut_off(workers) -> None:
    closed = threading.Event()
    (server,) = workers(endless(closed), 1, resume_window=0.2)
    followed = submit_and_leave(server)
    assert closed.wait(10)
    client, welcome = open_client(server, turn={**followed, "seq": 0})
    assert welcome["turn"]["resumed"] is True  # the reader back later sees what became of it
    assert cut_off(client.recv_until("idle"))


def test_on_disconnect_cancel_is_gradio_s_way_the_reply_ends_with_its_socket(workers) -> None:
    closed = threading.Event()
    (server,) = workers(endless(closed), 1, on_disconnect="cancel")  # resume_window stays 30 s
    client, _ = open_client(server)
    client.send({"type": "submit", "id": "u1", "text": "go"})
    frames = client.recv_until("patch")
    assert "turn" not in [f["type"] for f in frames] and not seqs(frames)  # nothing to follow again
    client.close()
    assert closed.wait(10)


def test_a_reader_on_another_worker_keeps_the_turn_running_past_the_window(workers) -> None:
    closed = threading.Event()
    servers = workers(endless(closed), 2, resume_window=0.5)
    followed = submit_and_leave(servers[0])
    client, welcome = open_client(servers[1], turn=followed)
    assert welcome["turn"]["resumed"] is True
    # Read on the other worker until fn has yielded 150 characters, 10 ms each: three times the
    # window after its own socket left, the reply still grows.
    length = 0
    while length < 150:
        frame = client.recv()
        assert frame["type"] == "patch"
        length = frame["keep"] + len(frame["append"])
    assert not closed.is_set()
    client.send({"type": "stop"})
    client.recv_until("idle")
    assert closed.wait(10)


def test_on_disconnect_continue_lets_fn_finish_for_a_reader_who_comes_back(workers) -> None:
    steps = Steps()
    (server,) = workers(steps.fn, 1, stream_interval=0, on_disconnect="continue", resume_window=0.1)
    followed, before, history = start_and_leave(server, steps)
    steps.go[0].set()
    steps.go[1].set()
    assert steps.closed.wait(10)
    client, welcome = open_client(server, history=history, turn=followed)
    assert welcome["turn"]["resumed"] is True
    assert list(shown(client.recv_until("idle"), shown(before)).values()) == [FULL]


def dead_runner_s_turn(store_dir: Path) -> tuple[str, str]:
    """What a worker killed mid-reply leaves in the host's log: a running turn whose lease ran
    out, with the frames it wrote (it may have sent its readers more)."""
    log = SQLiteTurnLog(store_dir / TURN_LOG_DB)
    turn_id, key = "a" * 32, "b" * 32
    log.begin(turn_id, f"chat/{turn_id}", lease=0.0)  # filed under its chat (the blueprint's name)
    message = {"id": "r1", "role": "assistant", "content": "", "html": "", "status": "streaming"}
    log.write(
        turn_id,
        [
            json.dumps({"type": "turn", "id": turn_id, "key": key, "seq": 1}),
            json.dumps({"type": "message", "message": message, "seq": 2}),
            json.dumps({"type": "patch", "id": "r1", "keep": 0, "append": "half a rep", "seq": 3}),
        ],
        lease=0.0,
    )
    log.close()
    return turn_id, key


def test_a_reader_ahead_of_a_dead_runner_s_log_is_told_after_the_last_frame_it_has(workers, store_dir: Path) -> None:
    (server,) = workers(lambda message, history: "ok", 1)
    turn_id, key = dead_runner_s_turn(store_dir)
    # The runner sent this reader frames 4 and 5 and died before writing them.
    client, welcome = open_client(server, turn={"id": turn_id, "key": key, "seq": 5})
    assert welcome["turn"]["resumed"] is True
    frames = client.recv_until("idle")
    assert [(f["type"], f["seq"]) for f in frames] == [("error", 6), ("idle", 7)]
    assert frames[0]["code"] == "interrupted" and frames[0]["id"] == "r1"
    other, _ = open_client(server, turn={"id": turn_id, "key": key, "seq": 3})  # the log says so to the next
    assert [f["type"] for f in other.recv_until("idle")] == ["error", "idle"]


def test_a_turn_whose_worker_died_ends_interrupted_for_its_reader(workers, store_dir: Path) -> None:
    histories: list[list[dict[str, Any]]] = []
    (server,) = workers(lambda message, history: histories.append(history) or "ok", 1)
    turn_id, key = dead_runner_s_turn(store_dir)
    history = [{"id": "u1", "role": "user", "content": "q"}, {"id": "r1", "role": "assistant", "content": "half a"}]
    client, welcome = open_client(server, history=history, turn={"id": turn_id, "key": key, "seq": 2})
    assert welcome["turn"]["resumed"] is True
    frames = client.recv_until("idle")
    assert [f["type"] for f in frames] == ["patch", "error", "idle"]
    assert frames[1]["code"] == "interrupted" and seqs(frames) == [3, 4, 5]
    # The partial reply stays in the conversation, as a stopped one does.
    client.send({"type": "submit", "id": "u2", "text": "again"})
    client.recv_until("idle")
    assert histories == [[{"role": "user", "content": "q"}, {"role": "assistant", "content": "half a rep"}]]


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_a_clear_during_a_reply_followed_again_is_not_undone_by_the_socket_that_left(
    serve_app: Callable[[Flask], LiveServer], store_dir: Path, tmp_path: Path, n: int
) -> None:
    steps = Steps()
    servers = []
    for _ in range(n):  # saved chats: the server keeps the signed-in user's conversation
        app = Flask(__name__)
        app.register_blueprint(
            chat_bp(
                steps.fn,
                stream_interval=0,
                save_history=True,
                history_store=tmp_path / "history.sqlite3",
                history_user=lambda: "ada",
            ),
            url_prefix="/chat",
        )
        servers.append(serve_app(app))
    first, welcome = open_client(servers[0])
    first.send({"type": "submit", "id": "u1", "text": "tell me"})
    steps.waiting[0].wait(10)
    first.recv_until("patch")
    followed = dict(first.followed or {})
    first.close()  # a reload
    history = [{"id": "u1", "role": "user", "content": "tell me"}]
    client, _ = open_client(servers[-1], session=welcome["session"], history=history, turn=followed)
    client.send({"type": "clear"})
    client.recv_until("idle")  # the cleared turn's end, fn still where it was
    steps.go[0].set()
    assert steps.closed.wait(10)  # fn closed at its next yield
    # The starter's session ended the reply after the clear: its old copy is not saved again.
    connection = http.client.HTTPConnection("127.0.0.1", servers[0].port, timeout=10)
    connection.request("GET", f"/chat/history/{welcome['session']}")
    response = connection.getresponse()
    assert response.status == 404, response.read()  # as after a clear nobody reloaded around
    connection.close()
    client.send({"type": "submit", "id": "u2", "text": "hi"})  # the conversation goes on, cleared
    client.recv_until("idle")
    assert steps.histories[-1] == []


def test_a_socket_that_stops_reading_holds_up_its_own_turn_only(workers) -> None:
    steps = Steps()
    chunk = "x" * 40_000 + "\n\n"  # a paragraph each: a patch renders only its own

    def fn(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        if message != "flood":
            yield from steps.fn(message, history)
            return
        text = ""
        for _ in range(300):  # 12 MB of patches: far more than the kernel's buffers hold
            text += chunk
            yield text
            time.sleep(0.001)  # the model's pace (fn's, not the test's): its values go out as patches

    servers = workers(fn, 2, stream_interval=0)
    stalled = Client(
        f"ws://127.0.0.1:{servers[0].port}/chat/socket",
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
    )
    stalled.send({"type": "hello", "version": 1, "history": []})
    stalled.recv()
    stalled.send({"type": "submit", "id": "f1", "text": "flood"})
    stalled.recv_until("message")  # its echo; it never reads again
    # Another conversation on the same worker: its reply is still written to the host's log, so a
    # reload onto the other worker follows it.
    followed, before, history = start_and_leave(servers[0], steps)
    client, welcome = open_client(servers[1], history=history, turn=followed)
    assert welcome["turn"]["resumed"] is True
    steps.go[0].set()
    steps.go[1].set()
    assert list(shown(client.recv_until("idle"), shown(before)).values()) == [FULL]


@pytest.mark.parametrize("n", [1, 2], ids=["same worker", "another worker"])
def test_a_reload_while_waiting_in_line_keeps_the_place(workers, n: int) -> None:
    steps = Steps()
    servers = workers(steps.fn, n, stream_interval=0, concurrency_limit=1)
    first, _ = open_client(servers[0])
    first.send({"type": "submit", "id": "u1", "text": "tell me"})
    steps.waiting[0].wait(10)  # fn runs for the first reader: the line is full
    second, welcome = open_client(servers[0])
    second.send({"type": "submit", "id": "w1", "text": "tell me"})
    queued = second.recv_until("status")[-1]
    assert queued["state"] == "queued" and queued["position"] == 1
    followed = dict(second.followed or {})
    second.close()  # a reload while waiting
    back, again = open_client(
        servers[-1],
        session=welcome["session"],
        history=[{"id": "w1", "role": "user", "content": "tell me"}],
        turn=followed,
    )
    assert again["turn"] == {"id": followed["id"], "resumed": True}
    for step in (*steps.go,):
        step.set()  # the first reply ends; the one that waited runs, and runs through
    frames = back.recv_until("idle")
    assert [f["state"] for f in frames if f["type"] == "status"][-1] == "running"
    assert FULL in shown(frames).values()
    first.recv_until("idle")
