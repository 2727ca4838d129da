"""A worker asked to stop closes each chat with 1012 before it stops the chat's reply: the
element hears "service restart" (and says the server restarted), never a `done` with status
`stopped` first, which would look as if the reader had pressed Stop."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import websocket

from flask_chatbot import shutdown
from flask_chatbot.session import ChatSession


def test_shut_down_closes_with_1012_before_it_stops_the_reply() -> None:
    happened: list[object] = []
    session = SimpleNamespace(
        ws=SimpleNamespace(close=lambda code, reason: happened.append(("close", code, reason))),
        reply=SimpleNamespace(stop=lambda: happened.append("stop")),
    )
    ChatSession.shut_down(session)  # type: ignore[arg-type]
    assert happened == [("close", 1012, "server restart"), "stop"]


def test_a_reply_cut_by_the_worker_stopping_ends_with_the_close_not_a_stop(connect) -> None:
    release = threading.Event()

    def fn(message, history):
        yield "partial"
        release.wait(10)
        yield "partial and more"

    client = connect(fn, stream_interval=0)
    try:
        client.send({"type": "submit", "id": "u1", "text": "go"})
        client.recv_until("patch")  # the reply streams
        shutdown.close_all()
        frames = []
        while True:
            opcode, data = client.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            frames.append(data)
        assert int.from_bytes(data[:2], "big") == shutdown.CLOSE_RESTART
        assert not any(b'"done"' in frame or b'"idle"' in frame for frame in frames)
    finally:
        release.set()
        client.ws.shutdown()  # the server closed it: no closing handshake to wait for

