"""A worker asked to stop closes each chat with 1012 before it stops the chat's reply: the
element hears "service restart" (and says the server restarted), never a `done` with status
`stopped` first, which would look as if the reader had pressed Stop."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import websocket

from flask_chatbot.conversation.current_turn import CurrentTurn
from flask_chatbot.conversation.session import ChatSession
from flask_chatbot.runtime import shutdown


def test_shut_down_closes_with_1012_before_it_stops_the_reply() -> None:
    happened: list[object] = []
    turn = CurrentTurn()
    turn.start(SimpleNamespace(stop=lambda: happened.append("stop")))
    session = SimpleNamespace(
        ws=SimpleNamespace(close=lambda code, reason: happened.append(("close", code, reason))),
        turn=turn,
        following=None,
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


def test_a_socket_opened_on_a_stopping_worker_is_closed_1012_before_any_welcome(connect) -> None:
    """The element is online only after `welcome`: a worker that is stopping accepts a
    handshake (gunicorn may still hand it one) but closes it at once, so the element goes on
    to the next worker with what it holds."""
    client = connect(lambda message, history: "hi")  # the live server is up, said hello
    try:
        shutdown._stopping.set()
        host, port = client.ws.sock.getpeername()[:2]
        late = websocket.create_connection(f"ws://{host}:{port}/chat/socket", timeout=5)
        late.send('{"type": "hello", "version": 1, "history": []}')
        opcode, data = late.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == shutdown.CLOSE_RESTART
        late.shutdown()
    finally:
        shutdown._stopping.clear()
