"""A program's reply outlives its request (issue 20, item 9): every Server-Sent Event of a turn
carries an id, a request sent again with ``Last-Event-ID`` gets exactly the events after it, on
any worker of the host, and the Python Client does so by itself when its stream drops
(web/api_resume.py; docs/api.md, "Resuming a stream").

Two live servers of one chat share the host's turn log (the store's folder), as two gunicorn
workers do. Between the client and them a real TCP relay, like a load balancer, sends each new
connection to the next server and can cut every open one: the stream drops as a network or a
deploy drops it.
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
from live import Client as SocketClient
from live import LiveServer
from test_resume import endless

from flask_chatbot import Client, chat_bp

WORDS = [f"word{i}" for i in range(60)]
FULL = " ".join(WORDS)


class Relay:
    """A TCP relay in front of ``servers``: connection n goes to server n % len(servers)."""

    def __init__(self, servers: list[LiveServer], cut_after: dict[int, int] | None = None) -> None:
        self.ports = [server.port for server in servers]
        self.cut_after = cut_after or {}  # connection n's answer is cut after so many bytes
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.served: list[int] = []  # the upstream port of each connection, in order
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                port = self.ports[len(self.served) % len(self.ports)]
                self.served.append(port)
                upstream = socket.create_connection(("127.0.0.1", port))
                self._open += [downstream, upstream]
            limit = self.cut_after.get(len(self.served) - 1)
            threading.Thread(target=self._pipe, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream, limit), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, limit: int | None = None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: limit - sent])
                    break  # cut here
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass  # cut
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        source.close()  # each socket is one pipe's source: closed once, by it

    def cut(self) -> None:
        """Drop every open connection, as a network that fails does."""
        with self._lock:
            for end in self._open:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class Steps:
    """fn: 20 words, then waits until the test lets it go, then the rest."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.waiting = threading.Event()
        self.closed = threading.Event()
        self.calls = 0

    def fn(self, message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        self.calls += 1
        try:
            for i in range(1, len(WORDS) + 1):
                yield " ".join(WORDS[:i])
                if i == 20:
                    self.waiting.set()
                    self.go.wait(10)
        finally:
            self.closed.set()


@pytest.fixture
def two_workers(
    serve_app: Callable[[Flask], LiveServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., list[LiveServer]]:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "store"))  # one host: one turn log

    def start(fn: Callable[..., Any], **options: Any) -> list[LiveServer]:
        servers = []
        for _ in range(2):
            app = Flask(__name__)
            app.register_blueprint(chat_bp(fn, stream_interval=0.02, **options), url_prefix="/chat")
            servers.append(serve_app(app))
        return servers

    return start


@pytest.fixture
def relay() -> Iterator[Callable[..., Relay]]:
    relays: list[Relay] = []

    def start(servers: list[LiveServer], cut_after: dict[int, int] | None = None) -> Relay:
        relays.append(Relay(servers, cut_after))
        return relays[-1]

    yield start
    for one in relays:
        one.close()


def sse(
    port: int,
    body: dict[str, Any] | None = None,
    *,
    last: str | None = None,
    until: Callable[[list[tuple[str | None, str, Any]]], bool] | None = None,
) -> tuple[int, list[tuple[str | None, str, Any]]]:
    """POST the chat's API asking for a stream; its (id, event, data) until ``until`` holds or it ends."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=20)
    data = json.dumps(body or {"message": "tell me"}).encode()
    head = "POST /chat/api/chat HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    head += "Content-Type: application/json\r\n" + (f"Last-Event-ID: {last}\r\n" if last else "")
    connection.sendall(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    raw, seen = b"", []
    while True:
        chunk = connection.recv(65536)
        raw += chunk
        head_end = raw.find(b"\r\n\r\n")
        body_text = raw[head_end + 4 :].decode() if head_end >= 0 else ""
        seen = [_parse(block) for block in body_text.split("\n\n")[:-1] if block.strip()]
        if not chunk or (until is not None and until(seen)):
            break
    connection.close()
    status = int(raw.split(b" ", 2)[1])
    return status, seen


def _parse(block: str) -> tuple[str | None, str, Any]:
    lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
    return lines.get("id"), lines.get("event", ""), json.loads(lines["data"]) if "data" in lines else None


def reply_text(events: list[tuple[str | None, str, Any]]) -> str:
    text = ""
    for _id, event, data in events:
        if event == "message":
            text = data["content"]
        elif event == "delta":
            text += data["text"]
    return text


def test_a_stream_sent_again_with_last_event_id_gets_exactly_what_it_missed_on_the_other_worker(
    two_workers: Callable[..., list[LiveServer]],
) -> None:
    steps = Steps()
    a, b = two_workers(steps.fn)
    status, before = sse(a.port, until=lambda seen: steps.waiting.is_set() and "word19" in reply_text(seen))
    assert status == 200
    ids = [event_id for event_id, _e, _d in before]
    assert all(ids), "every event of a resumable stream has an id"
    key = ids[0].split(":")[0]
    assert all(i.startswith(key + ":") for i in ids) and len(set(ids)) == len(ids)
    middle = len(before) // 2  # say the connection dropped after this event
    steps.go.set()
    status, after = sse(b.port, last=ids[middle])  # another worker: it follows the turn in the log
    assert status == 200
    assert after[-1][1] == "done" and after[-1][2]["response"] == FULL
    # Nothing missed, nothing twice: what the client had, then what it got, is the whole reply.
    assert reply_text(before[: middle + 1] + after) == FULL
    # And from the very start, the same events in the same order, ids and all.
    _, whole = sse(b.port, last=f"{key}:0")
    assert whole[: middle + 1] == before[: middle + 1] and whole[middle + 1 :] == after
    assert steps.calls == 1, "fn ran once"
    # An id past the stream's end was never sent: said so, rather than a stream that never ends.
    _, past = sse(b.port, last=f"{key}:999999")
    assert [(e, d["error"]["code"]) for _i, e, d in past] == [("error", "bad_request")]


def test_the_python_client_resumes_by_itself_when_its_stream_drops(
    two_workers: Callable[..., list[LiveServer]], relay: Callable[..., Relay]
) -> None:
    steps = Steps()
    servers = two_workers(steps.fn)
    front = relay(servers)
    client = Client(f"{front.url}/chat/")
    job = client.submit("tell me")
    seen = []
    for text in job:
        seen.append(text)
        if text.endswith("word19") and not steps.go.is_set():
            front.cut()  # the network drops mid-reply; the next connection reaches the other worker
            steps.go.set()
    assert job.result(timeout=10) == FULL
    assert seen[-1] == FULL and all(
        later.startswith(now) and later != now for now, later in zip(seen, seen[1:], strict=False)
    )
    assert front.served[:2] == [servers[0].port, servers[1].port], "the stream came back on the other worker"
    assert steps.calls == 1
    # The session kept the whole turn, once: the next call goes on after it.
    steps.go.clear()
    assert client.session_id is not None and len(client.history) == 2
    assert client.history[1]["content"] == FULL


def test_stop_from_another_worker_with_the_streams_event_id(two_workers: Callable[..., list[LiveServer]]) -> None:
    closed = threading.Event()
    a, b = two_workers(endless(closed))
    _, before = sse(a.port, until=lambda seen: len(reply_text(seen)) >= 5)
    connection = http.client.HTTPConnection("127.0.0.1", b.port, timeout=10)
    connection.request("DELETE", "/chat/api/chat", headers={"Last-Event-ID": before[-1][0] or ""})
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read()) == {"stopped": True}
    assert closed.wait(10), "fn was not closed"
    # Whoever comes back for it finds the reply as it was stopped: done, and kept whole.
    _, after = sse(b.port, last=before[-1][0])
    assert after[-1][1] == "done"
    assert reply_text(before + after) == after[-1][2]["response"] and len(after[-1][2]["response"]) >= 5


@pytest.mark.parametrize(
    ("last", "status", "code"),
    [
        ("0123456789abcdef0123456789abcdef:3", 404, "unknown_turn"),  # a key no turn has
        ("not an id", 400, "bad_request"),
        ("", 400, "bad_request"),
    ],
)
def test_a_last_event_id_that_names_no_turn_gets_a_clear_error(
    two_workers: Callable[..., list[LiveServer]], last: str, status: int, code: str
) -> None:
    a, _ = two_workers(lambda message, history: "fine")
    connection = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    connection.request(
        "POST",
        "/chat/api/chat",
        body=b'{"message": "x"}',
        headers={"Content-Type": "application/json", "Last-Event-ID": last},
    )
    response = connection.getresponse()
    assert response.status == status and json.loads(response.read())["error"]["code"] == code
    _, events = sse(a.port, {"message": "and the chat goes on"})
    assert events[-1][2]["response"] == "fine"


def test_a_pages_turn_cannot_be_followed_through_the_api(two_workers: Callable[..., list[LiveServer]]) -> None:
    steps = Steps()
    a, b = two_workers(steps.fn)
    page = SocketClient(f"ws://127.0.0.1:{a.port}/chat/socket")
    page.send({"type": "hello", "version": 1, "history": []})
    page.recv_until("welcome")
    page.send({"type": "submit", "id": "u1", "text": "tell me"})
    page.recv_until("patch")
    assert page.followed is not None
    for server in (a, b):  # the page's key, on either worker: a program's turns are another chat's
        status, events = sse(server.port, last=f"{page.followed['key']}:1")
        assert status == 404, events
    steps.go.set()


def test_with_on_disconnect_cancel_a_stream_has_no_ids_and_a_client_that_leaves_stops_fn(
    two_workers: Callable[..., list[LiveServer]],
) -> None:
    steps = Steps()
    a, _ = two_workers(steps.fn, on_disconnect="cancel")
    _, before = sse(a.port, until=lambda seen: steps.waiting.is_set() and "word19" in reply_text(seen))
    assert before and all(event_id is None for event_id, _e, _d in before)
    steps.go.set()  # the socket closed: fn is closed at its next yield
    assert steps.closed.wait(10)


def test_the_client_tries_again_when_the_answer_to_its_resume_is_cut_in_its_headers(
    two_workers: Callable[..., list[LiveServer]], relay: Callable[..., Relay]
) -> None:
    def paced(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        for i in range(1, len(WORDS) + 1):
            yield " ".join(WORDS[:i])
            time.sleep(0.01)  # the model's pace, a word every 10 ms (fn's, not the test's)

    servers = two_workers(paced)
    # The stream drops after 2,000 bytes (events with ids came), the resume's answer after 40
    # (inside its headers: a status line and no Content-Type), the next try goes through.
    front = relay(servers, cut_after={0: 2000, 1: 40})
    job = Client(f"{front.url}/chat/").submit("tell me")
    assert job.result(timeout=30) == FULL
    assert len(front.served) >= 3
