"""Integration: a real WebSocket client against a live server speaking docs/protocol.md."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

import pytest
import websocket
from live import Client, final_text, replay_text

import flask_chatbot

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "frames.json").read_text())


def words(message, history):
    text = ""
    for word in f"You said **{message}**. Here is a list:\n\n- one\n- two\n\nThe end.".split(" "):
        text += word + " "
        yield text


def close_code(client: Client) -> int:
    """Wait for the server's close frame and return its status code."""
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    return int.from_bytes(data[:2], "big")


def assistant_done(frames):
    return [f for f in frames if f["type"] == "done"]


def test_streamed_reply_arrives_as_patches_and_ends_exact(connect):
    halfway = threading.Event()
    yielded = []

    def fn(message, history):
        for value in words(message, history):
            yielded.append(value)
            yield value
        halfway.wait(10)  # the rest comes once the client has seen a patch
        for value in words(message + " again", history):
            yielded.append(value)
            yield value

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "hi"})
    frames = client.recv_until("patch")
    halfway.set()
    frames += client.recv_until("idle")
    assert frames[0]["type"] == "message" and frames[0]["message"]["role"] == "user"
    start = frames[1]
    assert start["type"] == "message" and start["message"]["status"] == "streaming"
    reply_id = start["message"]["id"]
    patches = [f for f in frames if f["type"] == "patch"]
    (done,) = assistant_done(frames)
    assert done["status"] == "done" and done["id"] == reply_id
    assert done["content"].startswith("You said **hi again**")
    assert replay_text(frames, reply_id) in yielded  # the patches rebuild a value fn gave
    assert "<strong>hi again</strong>" in done["html"] and "<li>two</li>" in done["html"]
    assert frames[-1] == {"type": "idle"}
    # No patch carries the whole message again: each sends only what is new or rewritten.
    assert patches[0]["append"].startswith("You said") and len(patches[0]["append"]) < len(done["content"])


def test_a_finished_reply_is_rendered_once_without_a_patch(connect):
    frames = connect(lambda m, h: f"**{m}**", stream_interval=0).turn("once")
    assert [f["type"] for f in frames] == ["message", "message", "done", "idle"]
    assert frames[2]["html"] == "<p><strong>once</strong></p>"


@pytest.mark.parametrize("kind", ["function", "generator", "async function", "async generator"])
def test_every_kind_of_fn_replies(connect, kind):
    def function(message, history):
        return f"echo {message}"

    def generator(message, history):
        yield "echo"
        yield f"echo {message}"

    async def async_function(message, history):
        await asyncio.sleep(0)
        return f"echo {message}"

    async def async_generator(message, history):
        yield "echo"
        await asyncio.sleep(0)
        yield f"echo {message}"

    fn = {
        "function": function,
        "generator": generator,
        "async function": async_function,
        "async generator": async_generator,
    }[kind]
    frames = connect(fn).turn("ping")
    assert list(final_text(frames).values()) == ["echo ping"]


def test_several_messages_from_a_list_and_dict_and_chatmessage(connect):
    def fn(message, history):
        return [
            "first",
            {"role": "assistant", "content": "second", "metadata": {"title": "Used a tool"}},
            flask_chatbot.ChatMessage(content="third"),
        ]

    frames = connect(fn).turn("go")
    assert list(final_text(frames).values()) == ["first", "second", "third"]
    starts = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert starts[1]["metadata"] == {"title": "Used a tool"}


def test_fn_gets_a_copy_of_the_history_in_openai_format(connect):
    seen = []

    def fn(message, history):
        seen.append([dict(m) for m in history])
        history.append({"role": "user", "content": "injected"})  # must change nothing
        if history:
            history[0]["content"] = "tampered"
        return f"reply to {message}"

    client = connect(fn)
    client.turn("one", "u1")
    client.turn("two", "u2")
    assert seen[0] == []
    assert seen[1] == [{"role": "user", "content": "one"}, {"role": "assistant", "content": "reply to one"}]


def test_hello_history_is_what_fn_receives(connect):
    seen = []

    def fn(message, history):
        seen.append(history)
        return "ok"

    client = connect(lambda m, h: "unused")
    client = connect(fn)
    client.hello(
        [{"id": "u0", "role": "user", "content": "earlier"}, {"id": "a0", "role": "assistant", "content": "before"}]
    )
    client.turn("now", "u1")
    assert seen[0] == [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "before"}]


def test_stop_closes_the_generator_keeps_the_partial_reply_and_history(connect):
    release, closed = threading.Event(), threading.Event()
    seen = []

    def fn(message, history):
        seen.append(history)
        if message == "second":
            yield "fine"
            return
        try:
            yield "partial"
            release.wait(10)
            yield "partial and more"
            yield "never shown"
        finally:
            closed.set()

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "first"})
    frames = client.recv_until("patch")
    reply_id = frames[-1]["id"]
    client.send({"type": "stop"})
    frames += client.recv_until("idle")
    (done,) = assistant_done(frames)
    assert done == {"type": "done", "id": reply_id, "content": "partial", "html": "<p>partial</p>", "status": "stopped"}
    release.set()
    assert closed.wait(10), "the generator's finally ran at its next yield"
    frames = client.turn("second", "u2")
    assert list(final_text(frames).values()) == ["fine"]
    assert seen[1] == [{"role": "user", "content": "first"}, {"role": "assistant", "content": "partial"}]


def test_user_error_is_shown_and_the_conversation_goes_on(connect):
    def fn(message, history):
        if message == "bad":
            raise flask_chatbot.Error("Please ask about Flask.")
        return "good"

    client = connect(fn)
    frames = client.turn("bad", "u1")
    errors = [f for f in frames if f["type"] == "error"]
    assert errors == [{"type": "error", "code": "fn_error", "message": "Please ask about Flask."}]
    assert list(final_text(client.turn("fine", "u2")).values()) == ["good"]


def test_unexpected_exception_shows_a_generic_error_and_is_logged(connect, caplog):
    def fn(message, history):
        yield "half"
        raise RuntimeError("database password is hunter2")

    client = connect(fn, stream_interval=0)
    with caplog.at_level(logging.ERROR, logger="flask_chatbot"):
        frames = client.turn("x")
    (error,) = [f for f in frames if f["type"] == "error"]
    assert error["code"] == "fn_error"
    assert "hunter2" not in json.dumps(frames) and "Traceback" not in json.dumps(frames)
    (done,) = assistant_done(frames)
    assert done["status"] == "error" and done["content"] == "half" and error["id"] == done["id"]
    assert "hunter2" in caplog.text
    assert frames[-1] == {"type": "idle"}


def test_user_text_is_never_html(connect):
    frames = connect(lambda m, h: "ok").turn("<img src=x onerror=alert(1)> **hi**")
    echo = frames[0]["message"]
    assert "<img" not in echo["html"] and "&lt;img" in echo["html"] and "<strong>hi</strong>" in echo["html"]


@pytest.mark.parametrize("case", FIXTURE["client_invalid"], ids=lambda c: c.get("mentions", c["code"]))
def test_malformed_frames_get_an_error_and_the_connection_goes_on(connect, case):
    client = connect(lambda m, h: f"echo {m}")
    client.send(case.get("raw") or json.dumps(case["frame"]))
    error = client.recv()
    assert error["type"] == "error" and error["code"] == case["code"]
    assert case.get("mentions", "") in error["message"]
    assert list(final_text(client.turn("still here")).values()) == ["echo still here"]


def test_oversized_frame_gets_an_error_and_a_huge_one_closes(connect):
    client = connect(lambda m, h: "ok", max_frame_bytes=2048)
    client.send({"type": "submit", "id": "u1", "text": "é" * 1500})  # 3,000 bytes of UTF-8
    error = client.recv()
    assert error["code"] == "too_large" and "2048" in error["message"]
    assert list(final_text(client.turn("small")).values()) == ["ok"]
    client.send("x" * (4 * 2048 + 1))  # past the WebSocket layer's hard cap: memory first
    assert close_code(client) == 1009


def test_a_bad_client_does_not_disturb_another_session(serve):
    server = serve(lambda m, h: f"echo {m}")
    good, bad = (Client(f"ws://127.0.0.1:{server.port}/chat/socket") for _ in range(2))
    good.hello()
    bad.hello()
    for junk in ("{", '{"type": 1}', json.dumps({"type": "submit", "id": "!", "text": ""})):
        bad.send(junk)
        assert bad.recv()["type"] == "error"
    assert list(final_text(good.turn("hi")).values()) == ["echo hi"]
    good.close()
    bad.close()


def test_protocol_order_and_limits(connect):
    client = connect(lambda m, h: "ok", max_history=2, max_message_chars=10)
    client.send({"type": "submit", "id": "u1", "text": "x" * 11})
    assert client.recv()["code"] == "too_large"
    client.send({"type": "submit", "id": "u1", "text": "   "})
    assert client.recv()["code"] == "bad_frame"
    client.send({"type": "hello", "version": 2, "history": []})
    assert client.recv()["code"] == "version"


def test_frames_before_hello_are_refused(serve):
    server = serve(lambda m, h: "ok")
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.send({"type": "submit", "id": "u1", "text": "hi"})
    assert client.recv()["code"] == "hello_required"
    assert client.hello()["type"] == "welcome"
    client.close()


def test_submit_while_generating_is_busy(connect):
    release = threading.Event()

    def fn(message, history):
        yield "working"
        release.wait(10)
        yield "working done"

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "a"})
    client.recv_until("patch")
    client.send({"type": "submit", "id": "u2", "text": "b"})
    frames = client.recv_until("error")
    assert frames[-1]["code"] == "busy"
    release.set()
    assert list(final_text(client.recv_until("idle")).values()) == ["working done"]


def test_foreign_origin_is_refused_at_the_handshake(serve):
    server = serve(lambda m, h: "ok")
    url = f"ws://127.0.0.1:{server.port}/chat/socket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        Client(url, origin="https://evil.example")
    assert refused.value.status_code == 403
    same = Client(url, origin=f"http://127.0.0.1:{server.port}")
    assert same.hello()["type"] == "welcome"
    same.close()


def test_allowed_origins_lets_a_listed_site_embed_the_chat(serve):
    server = serve(lambda m, h: "ok", allowed_origins=["https://docs.example"])
    url = f"ws://127.0.0.1:{server.port}/chat/socket"
    client = Client(url, origin="https://docs.example")
    assert client.hello()["type"] == "welcome"
    client.close()
    with pytest.raises(websocket.WebSocketBadStatusException):
        Client(url, origin="https://other.example")


def test_idle_connection_is_closed_with_4000(connect):
    client = connect(lambda m, h: "ok", idle_timeout=0.3)
    assert close_code(client) == 4000
