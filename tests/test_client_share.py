"""One client's share of the line (issue 18, item 8): a client (its signed-in user, else its
address) may have at most CHATBOT_MAX_TURNS_PER_CLIENT turns running or waiting in a group, on
every door and across the host's workers, and the line has a default size. Real sockets and
HTTP against live servers; the address comes from X-Forwarded-For through werkzeug's ProxyFix,
as behind a proxy."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, LiveServer, wait_until
from test_queue import Gate, next_status, submit
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_chatbot import chat_bp
from flask_chatbot.conversation.fn_queue import DEFAULT_MAX_QUEUE_SIZE


@pytest.fixture
def gate() -> Gate:
    return Gate()


def app_of(gate: Gate, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.register_blueprint(chat_bp(gate.fn, concurrency_limit=1), url_prefix="/chat")
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    return app


def reader(server: LiveServer, address: str) -> Client:
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", header=[f"X-Forwarded-For: {address}"])
    assert client.hello()["type"] == "welcome"
    return client


def test_a_client_with_many_sockets_gets_its_share_and_the_next_reader_is_served_soon(serve_app, gate) -> None:
    server = serve_app(app_of(gate, CHATBOT_MAX_TURNS_PER_CLIENT=2))
    mallory = [reader(server, "203.0.113.9") for _ in range(4)]
    submit(mallory[0], "m0")
    gate.wait_started("m0")
    submit(mallory[1], "m1")
    next_status(mallory[1])  # waiting in line: her second turn
    for index in (2, 3):  # her third and fourth are refused before they enter the conversation
        submit(mallory[index], f"m{index}")
        refusal = mallory[index].recv()
        assert refusal["type"] == "error" and refusal["code"] == "queue_full"
        assert "already have replies" in refusal["message"]
    # Alice, at another address, waits behind two turns, not four.
    alice = reader(server, "198.51.100.7")
    submit(alice, "alice")
    assert next_status(alice)["position"] == 2
    for text in ("m0", "m1", "alice"):
        gate.release(text)
    assert alice.recv_until("idle")[-2]["content"] == "answered alice"
    # Her turns ended: Mallory's share is free again, on any of her sockets.
    mallory[0].recv_until("idle")
    mallory[1].recv_until("idle")
    gate.release("again")
    assert mallory[3].turn("again", "id-again")[-2]["content"] == "answered again"


def test_a_refused_frame_does_not_keep_a_claim(serve_app, gate) -> None:
    server = serve_app(app_of(gate, CHATBOT_MAX_TURNS_PER_CLIENT=1))
    client = reader(server, "203.0.113.9")
    for _ in range(3):  # edits of a message that does not exist: each refused after the check
        client.send({"type": "edit", "id": "nope", "text": "x"})
        assert client.recv()["type"] == "error"
    gate.release("hello")
    assert client.turn("hello", "u1")[-2]["content"] == "answered hello"
    gate.release("second")
    assert client.turn("second", "u2")[-2]["content"] == "answered second"  # the first turn's claim went


def test_the_share_holds_across_the_workers_of_a_host(serve_app, gate, tmp_path: Path) -> None:
    config = {
        "CHATBOT_MAX_TURNS_PER_CLIENT": 2,
        "CHATBOT_QUEUE_SCOPE": "host",
        "CHATBOT_QUEUE_DIR": str(tmp_path / "queues"),
    }
    first, second = serve_app(app_of(gate, **config)), serve_app(app_of(gate, **config))  # two workers
    a, b, c = reader(first, "203.0.113.9"), reader(second, "203.0.113.9"), reader(second, "203.0.113.9")
    submit(a, "a")
    gate.wait_started("a")
    submit(b, "b")
    next_status(b)
    submit(c, "c")
    assert c.recv()["code"] == "queue_full"
    for text in ("a", "b"):
        gate.release(text)
    a.recv_until("idle")
    b.recv_until("idle")


def test_the_http_api_counts_in_the_same_share(serve_app, gate) -> None:
    server = serve_app(app_of(gate, CHATBOT_MAX_TURNS_PER_CLIENT=1))
    socket = reader(server, "203.0.113.9")
    submit(socket, "busy")
    gate.wait_started("busy")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/api/chat",
        body=json.dumps({"message": "more"}),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
    )
    response = connection.getresponse()
    assert response.status == 429 and json.loads(response.read())["error"]["code"] == "queue_full"
    connection.close()
    gate.release("busy")
    socket.recv_until("idle")


def test_the_line_has_a_default_size(serve_app, gate) -> None:
    # The app sets no CHATBOT_MAX_QUEUE_SIZE: one turn runs, 100 wait, and the next is refused.
    server = serve_app(app_of(gate, CHATBOT_MAX_TURNS_PER_CLIENT=None))
    readers = [reader(server, f"10.0.{i // 250}.{i % 250}") for i in range(DEFAULT_MAX_QUEUE_SIZE + 2)]
    submit(readers[0], "first")
    gate.wait_started("first")
    for index, client in enumerate(readers[1:-1], 1):
        submit(client, f"t{index}")
        next_status(client)
    submit(readers[-1], "last")
    refusal = readers[-1].recv()
    assert refusal["code"] == "queue_full" and "busy" in refusal["message"]
    assert DEFAULT_MAX_QUEUE_SIZE == 100
    for client in readers[1:-1]:  # leaving gives the places up; the running turn ends
        client.send({"type": "stop"})
    gate.release("first")
    readers[0].recv_until("idle")


def test_a_stopped_turn_keeps_its_share_until_its_fn_has_returned(serve_app) -> None:
    """Stop ends the reply at once, but a plain fn runs on until it returns: until then it still
    holds its place, so stopping and sending again cannot run more fns than the share."""
    release = threading.Event()

    def slow(message: str, history: list[Any]) -> str:
        release.wait(30)
        return "done"

    app = Flask(__name__)
    app.config["CHATBOT_MAX_TURNS_PER_CLIENT"] = 1
    app.register_blueprint(chat_bp(slow, concurrency_limit=8), url_prefix="/chat")
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    server = serve_app(app)
    first, second = reader(server, "203.0.113.9"), reader(server, "203.0.113.9")
    submit(first, "a")
    first.send({"type": "stop"})
    first.recv_until("idle")  # the reply ended; fn has not
    submit(second, "b")
    assert second.recv()["code"] == "queue_full"
    release.set()  # fn returns: its place goes
    wait_until(lambda: try_turn(second), "the share is free once fn has returned")


def try_turn(client: Client) -> bool:
    submit(client, "again", f"id-{time.monotonic_ns()}")
    frame = client.recv()
    if frame["type"] == "error":
        return False
    client.recv_until("idle")
    return True
