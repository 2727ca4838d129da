"""fn runs in the WebSocket handshake's request context (issue 9, item 6): flask.request,
session and g, as the host app's before_request left them; and a login check on the
blueprint protects the page, the socket and the files alike."""

from __future__ import annotations

import asyncio
import http.client
import json

import pytest
import websocket
from flask import Flask, abort, g, request, session
from live import Client, app_with_login, cookie_for

from flask_chatbot import chat_bp


def who() -> str:
    return f"{request.headers.get('X-Team')}/{g.user}/{session.get('name')}"


def sync_fn(message, history):
    return who()


def generator_fn(message, history):
    yield "…"
    yield who()


async def async_fn(message, history):
    await asyncio.sleep(0)
    return who()


async def async_generator_fn(message, history):
    await asyncio.sleep(0)
    yield who()


@pytest.fixture
def app() -> Flask:
    return app_with_login("name")


@pytest.mark.parametrize("fn", [sync_fn, generator_fn, async_fn, async_generator_fn])
def test_fn_sees_the_request_the_session_and_g_of_the_handshake(app, serve_app, fn) -> None:
    bp = chat_bp(fn)

    @bp.before_request
    def load_user() -> None:
        g.user = "user-" + (session.get("name") or "anonymous")

    app.register_blueprint(bp, url_prefix="/chat")
    server = serve_app(app)
    client = Client(
        f"ws://127.0.0.1:{server.port}/chat/socket",
        header=["X-Team: blue", f"Cookie: {cookie_for(server.port, 'ada')}"],
    )
    client.hello()
    done = [f["content"] for f in client.turn("who am I?") if f["type"] == "done"]
    assert done[-1] == "blue/user-ada/ada"
    client.close()


def test_one_before_request_line_protects_the_page_the_socket_and_the_files(app, serve_app) -> None:
    bp = chat_bp(lambda message, history: f"hello {session['name']}")
    bp.before_request(lambda: None if session.get("name") else abort(401))  # the host app's login
    app.register_blueprint(bp, url_prefix="/chat")
    server = serve_app(app)
    for path in ("/chat/", "/chat/config.json", "/chat/files/" + "A" * 24):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", path)
        assert connection.getresponse().status == 401, path
        connection.close()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://127.0.0.1:{server.port}/chat/socket", timeout=10)
    assert refused.value.status_code == 401
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket", header=[f"Cookie: {cookie_for(server.port, 'grace')}"])
    client.hello()
    assert [f["content"] for f in client.turn("hi") if f["type"] == "done"] == ["hello grace"]
    client.close()


def test_what_fn_puts_in_g_stays_in_its_turn(app, serve_app) -> None:
    turns = []

    def fn(message, history):
        turns.append(getattr(g, "counter", 0))
        g.counter = getattr(g, "counter", 0) + 1
        return json.dumps(turns)

    bp = chat_bp(fn)
    app.register_blueprint(bp, url_prefix="/chat")
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    client.turn("one", "u1")
    client.turn("two", "u2")
    assert turns == [0, 0]  # each turn starts from g as the handshake left it
    client.close()


def test_the_validator_and_listeners_see_the_same_context(app, serve_app) -> None:
    from flask_chatbot import Chatbot, validate

    seen = []
    chatbot = Chatbot()
    chatbot.like(lambda data: seen.append(("like", who())))
    bp = chat_bp(
        lambda message, history: "ok",
        chatbot=chatbot,
        validator=lambda message: seen.append(("validator", who())) or validate(True),
    )

    @bp.before_request
    def load_user() -> None:
        g.user = "user-" + (session.get("name") or "anonymous")

    app.register_blueprint(bp, url_prefix="/chat")
    server = serve_app(app)
    client = Client(
        f"ws://127.0.0.1:{server.port}/chat/socket", header=["X-Team: red", f"Cookie: {cookie_for(server.port, 'lin')}"]
    )
    client.hello()
    reply = next(f["id"] for f in client.turn("hi") if f["type"] == "done")
    client.send({"type": "like", "id": reply, "value": "Like"})
    client.turn("again", "u2")  # the like is handled before this turn
    assert seen[:3] == [
        ("validator", "red/user-lin/lin"),
        ("like", "red/user-lin/lin"),
        ("validator", "red/user-lin/lin"),
    ]
    client.close()


def test_conversation_id_keys_per_conversation_state_across_reconnects(app, serve_app) -> None:
    from flask_chatbot import conversation_id

    state: dict[str, list[str]] = {}

    def fn(message, history):
        notes = state.setdefault(conversation_id(), [])
        notes.append(message)
        return f"{len(notes)} in this conversation"

    app.register_blueprint(chat_bp(fn), url_prefix="/chat")
    server = serve_app(app)
    url = f"ws://127.0.0.1:{server.port}/chat/socket"
    first, second = Client(url), Client(url)
    session_id = first.hello()["session"]
    second.hello()
    assert [f["content"] for f in first.turn("a", "u1") if f["type"] == "done"] == ["1 in this conversation"]
    assert [f["content"] for f in second.turn("b", "u1") if f["type"] == "done"] == ["1 in this conversation"]
    first.close()
    again = Client(url)  # a reconnect (or a reload) names its conversation in hello
    again.send({"type": "hello", "version": 1, "session": session_id, "history": []})
    again.recv()
    assert [f["content"] for f in again.turn("c", "u2") if f["type"] == "done"] == ["2 in this conversation"]
    assert sorted(len(v) for v in state.values()) == [1, 2] and session_id in state
    second.close()
    again.close()
