"""Claims of docs/security.md and docs/protocol.md that no other test checked, each against a
real Flask app and real WebSocket clients (the docs name these tests beside the claims)."""

from __future__ import annotations

import csv
import http.client
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import websocket
from flask import Flask
from live import Client, LiveServer, assistant_id, counting_bot, final_text

from flask_chatbot import Chatbot, Image, Markdown, chat_bp
from flask_chatbot.conversation.inbox import FrameBudget, InboxEvent
from flask_chatbot.files.uploads import KEY_HEADER

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201a5d0d1e10000000049454e44ae426082"
)


def socket_url(server: LiveServer, mount: str = "/chat") -> str:
    return f"ws://127.0.0.1:{server.port}{mount}/socket"


def close_code(client: Client) -> int:
    """Wait for the server's close frame (answering pings meanwhile) and return its code."""
    while True:
        opcode, data = client.ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big")
        assert opcode == websocket.ABNF.OPCODE_PING, f"a frame before the close: {data!r}"


def streaming_reply(client: Client, text: str = "go") -> str:
    """Submit ``text`` to a fn that yields, and wait until its reply streams: the reply's id."""
    client.send({"type": "submit", "id": "u1", "text": text})
    return client.recv_until("patch")[-1]["id"]


def held_fn() -> tuple[Any, threading.Event]:
    """A fn whose reply to "go" says "working", then waits for the event; others answer at once."""
    release = threading.Event()

    def fn(message: str, history: list[dict[str, Any]]) -> Any:
        if message != "go":
            yield f"re {message}"
            return
        yield "working"
        release.wait(10)
        yield "working done"

    return fn, release


def barrier(client: Client) -> dict[str, Any]:
    """A frame whose answer (unknown_message) comes after everything sent before it was handled."""
    client.send({"type": "copy", "id": "barrier"})
    return client.recv()


# -- security.md: the Origin check ---------------------------------------------------------------


def test_a_refused_handshake_gets_a_bare_403_and_one_warning_naming_origin_host_and_the_fix(serve, caplog) -> None:
    server = serve(lambda m, h: "ok")
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            Client(socket_url(server), origin="https://evil.example")
    assert refused.value.status_code == 403
    assert refused.value.resp_headers["content-type"].startswith("text/plain")
    assert b"evil" not in refused.value.resp_body
    warnings = [r.getMessage() for r in caplog.records if r.name == "flask_chatbot" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'https://evil.example'" in warnings[0] and f"'127.0.0.1:{server.port}'" in warnings[0]
    assert "allowed_origins" in warnings[0]


# -- security.md: headers and the page's policy ----------------------------------------------------


def test_the_chat_page_s_default_policy_is_strict() -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok"), url_prefix="/chat")
    csp = app.test_client().get("/chat/").headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}
    expected = {
        "default-src": "default-src 'self'",
        "script-src": "script-src 'self'",  # no inline script, no event handler attributes, no javascript: URLs
        "style-src": "style-src 'self'",
        "style-src-attr": "style-src-attr 'unsafe-inline'",  # style attributes, nothing else inline
        "img-src": "img-src 'self' data: blob:",
        "object-src": "object-src 'none'",  # no plugins
        "base-uri": "base-uri 'none'",
        "form-action": "form-action 'none'",
        "frame-ancestors": "frame-ancestors 'self'",  # framed only by the app's own pages
    }
    assert {name: directives.get(name) for name in expected} == expected
    assert not [d for d in directives.values() if "unsafe-inline" in d and not d.startswith("style-src-attr")]


# -- security.md: uploaded files -----------------------------------------------------------------


def upload(
    port: int, body: bytes, key: str, name: str = "cat.png", content_type: str | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {KEY_HEADER: key} | ({"Content-Type": content_type} if content_type else {})
    connection.request("POST", f"/chat/upload?name={name}", body=body, headers=headers)
    response = connection.getresponse()
    data = json.loads(response.read())
    connection.close()
    return response.status, data


def test_the_upload_key_is_kept_only_as_a_hash_and_never_logged(serve, tmp_path: Path, monkeypatch, caplog) -> None:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(folder))
    caplog.set_level(logging.DEBUG)
    server = serve(lambda message, history: f"got {len(message['files'])} files", multimodal=True)
    client = Client(socket_url(server))
    key = client.hello()["upload_key"]
    status, info = upload(server.port, PNG, key)
    assert status == 201
    assert upload(server.port, b"x" * 10, key, name="page.html")[0] == 201
    client.send({"type": "submit", "id": "u1", "text": "look", "files": [info["id"]]})
    assert list(final_text(client.recv_until("idle")).values()) == ["got 1 files"]
    client.send({"type": "submit", "id": "u2", "text": "again", "files": ["B" * 24]})  # refused: not ours
    assert client.recv()["code"] == "file_refused"
    # Reconnecting with the key (as after a reload) keeps the files the conversation's.
    again = Client(socket_url(server))
    again.send({"type": "hello", "version": 1, "upload_key": key, "history": []})
    assert again.recv()["upload_key"] == key
    stored = [p for p in folder.rglob("*") if p.is_file()]
    assert stored, "nothing was stored"

    def holds_key(path: Path) -> bool:
        try:
            return key.encode() in path.read_bytes()
        except FileNotFoundError:  # an SQLite -shm or -wal file gone since it was listed
            return False

    assert not [p for p in stored if holds_key(p)], "the upload key is on disk"
    assert key not in caplog.text


def test_an_upload_s_type_comes_from_its_name_save_a_recording_called_audio_webm(
    serve, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "uploads"))
    server = serve(lambda message, history: "ok", multimodal=True)
    key = Client(socket_url(server)).hello()["upload_key"]
    said_and_kept = [
        ("cat.png", "text/html", "image/png"),
        ("rec.webm", "text/html", "video/webm"),
        ("rec.webm", "audio/webm", "audio/webm"),
        ("page.html", "image/png", "text/html"),
    ]
    for name, said, kept in said_and_kept:
        status, info = upload(server.port, b"bytes", key, name=name, content_type=said)
        assert (status, info["mime_type"]) == (201, kept), (name, said)


# -- security.md and protocol.md: the WebSocket layer's limit and backpressure -------------------


def test_the_app_s_own_websocket_limit_wins_and_still_gets_the_backpressure(serve_app) -> None:
    app = Flask(__name__)
    app.config["SOCK_SERVER_OPTIONS"] = {"max_message_size": 3000}
    app.register_blueprint(chat_bp(lambda m, h: "ok", max_frame_bytes=2048), url_prefix="/chat")
    assert app.config["SOCK_SERVER_OPTIONS"]["event_class"] is InboxEvent  # added to the app's options
    server = serve_app(app)
    client = Client(socket_url(server))
    client.hello()
    client.send("x" * 2500)  # over max_frame_bytes, under the app's limit: an error frame
    assert client.recv()["code"] == "too_large"
    client.send("x" * 3001)  # over the app's limit (4 x 2048 would have let it through)
    assert close_code(client) == 1009


def test_the_websocket_limit_holds_for_every_chat_at_four_times_the_largest(serve_app) -> None:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(lambda m, h: "big", name="big", max_frame_bytes=4096, ping_interval=30), url_prefix="/big"
    )
    app.register_blueprint(
        chat_bp(lambda m, h: "small", name="small", max_frame_bytes=1024, ping_interval=5), url_prefix="/small"
    )
    assert app.config["SOCK_SERVER_OPTIONS"]["ping_interval"] == 5  # the shortest, registered second
    server = serve_app(app)
    small = Client(socket_url(server, "/small"))
    small.hello()
    small.send(json.dumps({"type": "submit", "id": "u1", "text": "x" * 2000}))  # over small's own limit
    assert small.recv()["code"] == "too_large"  # an error frame: the connection goes on
    assert list(final_text(small.turn("x" * 500)).values()) == ["small"]
    big = Client(socket_url(server, "/big"))
    big.hello()
    assert list(final_text(big.turn("x" * 4000)).values()) == ["big"]  # within big's own limit
    big.send("x" * (4 * 4096 + 1))  # over 4 x the largest max_frame_bytes: the layer closes
    assert close_code(big) == 1009


# -- security.md: the rate ------------------------------------------------------------------------


def test_a_frame_costs_one_plus_one_per_65536_characters_and_bursts_are_four_seconds_worth() -> None:
    assert [FrameBudget.cost(n) for n in (1, 65_535, 65_536, 131_072)] == [1, 1, 2, 3]
    budget = FrameBudget(10)  # the default max_frames_per_second: bursts of 40 frames
    assert [budget.delay(100) for _ in range(40)] == [0.0] * 40
    assert budget.delay(100) > 0.05  # the 41st waits for its token (a tenth of a second)
    big = FrameBudget(10)
    assert [big.delay(65_536) for _ in range(20)] == [0.0] * 20  # each costs 2: 20 fill the burst
    assert big.delay(1) > 0


# -- protocol.md: Connection -------------------------------------------------------------------


def test_a_connection_that_does_not_answer_pings_is_closed(serve) -> None:
    server = serve(lambda m, h: "ok", ping_interval=0.2)
    silent = Client(socket_url(server))
    silent.hello()
    # A client that answers (websocket-client does, as browsers do) stays through many pings.
    answering = Client(socket_url(server))
    answering.hello()
    pings = 0
    while pings < 4:
        opcode, _ = answering.ws.recv_data(control_frame=True)  # answers each ping with a pong
        assert opcode == websocket.ABNF.OPCODE_PING
        pings += 1
    assert list(final_text(answering.turn("still open")).values()) == ["ok"]
    # The other one has read nothing meanwhile: its first ping went unanswered.
    assert silent.ws.recv_frame().opcode == websocket.ABNF.OPCODE_PING
    closing = silent.ws.recv_frame()
    assert closing.opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(closing.data[:2], "big") == 1008  # policy violation: "Ping/Pong timeout"
    silent.ws.shutdown()


def test_a_reply_that_runs_longer_than_idle_timeout_is_not_cut_off(connect) -> None:
    def fn(message: str, history: list[dict[str, Any]]) -> Any:
        yield "working"
        time.sleep(1.0)  # the reply's own pace: over three idle timeouts with nothing from the client
        yield "working done"

    client = connect(fn, idle_timeout=0.3, stream_interval=0)
    frames = client.turn("go")
    assert list(final_text(frames).values()) == ["working done"]
    assert close_code(client) == 4000  # and once it has ended, the idle close comes


# -- protocol.md: client frames ------------------------------------------------------------------


def test_stop_when_nothing_runs_is_ignored(connect) -> None:
    fn, _ = counting_bot()
    client = connect(fn)
    client.send({"type": "stop"})
    frames = client.turn("after", "u1")
    assert frames[0]["type"] == "message" and frames[0]["message"]["id"] == "u1"  # nothing came before the echo
    assert list(final_text(frames).values()) == ["reply 1 to after"]


def test_retry_and_undo_while_a_reply_runs_are_busy(connect) -> None:
    fn, release = held_fn()
    client = connect(fn, stream_interval=0)
    streaming_reply(client)
    for action in ("retry", "undo"):
        client.send({"type": action})
        assert client.recv_until("error")[-1]["code"] == "busy", action
    release.set()
    assert list(final_text(client.recv_until("idle")).values()) == ["working done"]


def test_a_like_of_a_message_still_streaming_is_an_unknown_message(connect) -> None:
    fn, release = held_fn()
    client = connect(fn, stream_interval=0)
    earlier = assistant_id(client.turn("earlier", "u0"))
    reply = streaming_reply(client)
    client.send({"type": "like", "id": earlier, "value": "Like"})  # accepted while a reply is generated
    client.send({"type": "like", "id": reply, "value": "Like"})
    frames = client.recv_until("error")
    assert frames[-1]["code"] == "unknown_message" and reply in frames[-1]["message"]
    assert [f for f in frames if f["type"] == "error"] == [frames[-1]]  # nothing for the first like
    release.set()
    client.recv_until("idle")
    client.send({"type": "like", "id": reply, "value": "Like"})  # done: now it is held, and nothing comes back
    assert barrier(client)["code"] == "unknown_message"


def test_a_copy_or_a_preset_reply_naming_no_message_is_an_unknown_message(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn)
    client.send({"type": "copy", "id": "nope"})
    assert client.recv()["code"] == "unknown_message"
    client.send({"type": "submit", "id": "u1", "text": "blue", "option_of": "nope"})
    assert client.recv()["code"] == "unknown_message"
    assert turns == []
    client.turn("still here", "u1")  # the refused submit's id was not taken


def test_feedback_sent_back_in_hello_is_kept_and_never_given_to_fn(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn, editable="all")
    shown = [
        {"id": "u0", "role": "user", "content": "hi"},
        {"id": "a0", "role": "assistant", "content": "hello", "feedback": "Like"},
    ]
    assert client.hello(shown)["type"] == "welcome"
    client.turn("next", "u1")
    assert turns[0][1] == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    client.send({"type": "edit", "id": "a0", "text": "hello!"})  # an edit in place shows what the server holds
    assert client.recv()["message"]["feedback"] == "Like"


def test_taking_feedback_back_writes_no_flag(connect, tmp_path: Path) -> None:
    fn, _ = counting_bot()
    client = connect(fn, flagging_mode="manual", flagging_dir=str(tmp_path))
    reply = assistant_id(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply, "value": "Like"})
    client.send({"type": "like", "id": reply, "value": None})
    assert barrier(client)["code"] == "unknown_message"  # both handled, and neither answered
    with open(tmp_path / "flags.csv", encoding="utf-8-sig", newline="") as flags:
        rows = list(csv.reader(flags))
    assert [row[3] for row in rows[1:]] == ["Like"]


def test_a_refused_hello_keeps_the_previous_history(connect) -> None:
    fn, turns = counting_bot()
    client = connect(fn)
    client.turn("one", "u1")
    client.send(
        {
            "type": "hello",
            "version": 1,
            "history": [{"id": "x", "role": "assistant", "content": "hi", "metadata": {"duration": -1}}],
        }
    )
    assert client.recv()["code"] == "bad_frame"
    client.turn("two", "u2")
    assert turns[1][1] == [{"role": "user", "content": "one"}, {"role": "assistant", "content": "reply 1 to one"}]


def test_clear_ends_a_running_reply_as_stopped_and_otherwise_sends_nothing(connect) -> None:
    fn, release = held_fn()
    client = connect(fn, stream_interval=0)
    reply = streaming_reply(client)
    client.send({"type": "clear"})
    frames = client.recv_until("idle")
    assert [(f["type"], f.get("status")) for f in frames if f["type"] != "patch"] == [
        ("done", "stopped"),
        ("idle", None),
    ]
    assert frames[-2]["id"] == reply
    release.set()
    client.send({"type": "clear"})  # nothing runs: no frame at all
    assert barrier(client)["code"] == "unknown_message"


def test_an_edit_of_a_file_message_is_refused(connect, tmp_path: Path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    client = connect(lambda m, h: {"path": str(picture)} if m == "picture" else "text", editable="all")
    reply = assistant_id(client.turn("picture", "u1"))
    client.send({"type": "edit", "id": reply, "text": "a cat"})
    answer = client.recv()
    assert (answer["type"], answer["code"]) == ("error", "bad_frame")
    text_reply = assistant_id(client.turn("words", "u2"))
    client.send({"type": "edit", "id": text_reply, "text": "other words"})  # a text reply may be
    assert client.recv()["message"]["content"] == "other words"


def test_a_file_fn_made_cannot_be_sent_as_the_reader_s_upload(serve, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "uploads"))
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    calls = []

    def fn(message: dict[str, Any], history: list[dict[str, Any]]) -> Any:
        calls.append(message)
        return {"path": str(picture)}

    server = serve(fn, multimodal=True)
    client = Client(socket_url(server))
    client.hello()
    frames = client.turn("draw", "u1")
    [done] = [f for f in frames if f["type"] == "done"]
    client.send({"type": "submit", "id": "u2", "text": "mine now", "files": [done["content"]["file"]["id"]]})
    assert client.recv()["code"] == "file_refused"
    assert len(calls) == 1


def test_a_preset_reply_whose_listener_returns_a_conversation_runs_no_fn(connect) -> None:
    chatbot = Chatbot()
    chatbot.option_select(
        lambda data: [{"role": "user", "content": "picked"}, {"role": "assistant", "content": "noted"}]
    )
    calls = []

    def fn(message: str, history: list[dict[str, Any]]) -> Any:
        calls.append(message)
        return {"content": "Pick", "options": [{"value": "blue"}]}

    client = connect(fn, chatbot=chatbot)
    reply = assistant_id(client.turn("go", "u1"))
    client.send({"type": "submit", "id": "u2", "text": "blue", "option_of": reply})
    frames = client.recv_until("idle")
    assert [f["type"] for f in frames] == ["conversation", "idle"]
    assert calls == ["go"]


def test_queue_full_refuses_a_retry_and_an_edit_too(serve_app) -> None:
    started, release = threading.Event(), threading.Event()

    def fn(message: str, history: list[dict[str, Any]]) -> str:
        if message == "hold":
            started.set()
            release.wait(10)
        return f"re {message}"

    app = Flask(__name__)
    app.config["CHATBOT_MAX_QUEUE_SIZE"] = 1
    app.register_blueprint(chat_bp(fn, concurrency_limit=1, editable=True), url_prefix="/chat")
    server = serve_app(app)
    running, waiting, third = (Client(socket_url(server)) for _ in range(3))
    for client in (running, waiting, third):
        client.hello()
    third.turn("earlier", "u1")  # a conversation to retry and edit
    running.send({"type": "submit", "id": "u1", "text": "hold"})
    assert started.wait(10)
    waiting.send({"type": "submit", "id": "u1", "text": "wait"})
    assert waiting.recv_until("status")[-1]["state"] == "queued"  # the line is full now
    third.send({"type": "retry"})
    assert third.recv()["code"] == "queue_full"
    third.send({"type": "edit", "id": "u1", "text": "changed", "new_id": "u1b"})
    assert third.recv()["code"] == "queue_full"
    release.set()
    running.recv_until("idle")
    waiting.recv_until("idle")
    third.send({"type": "retry"})  # room again: taken
    assert list(final_text(third.recv_until("idle")).values()) == ["re earlier"]


# -- protocol.md: server frames ------------------------------------------------------------------


def test_outputs_are_sent_before_the_reply_s_done(connect) -> None:
    frames = connect(lambda m, h: ("Done.", "**notes**"), additional_outputs=[Markdown()]).turn("go")
    kinds = [f["type"] for f in frames]
    assert "output" in kinds and kinds.index("output") < kinds.index("done")


def test_a_message_that_turns_into_a_file_is_sent_again_with_its_id(connect, tmp_path: Path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    shown = threading.Event()

    def fn(message: str, history: list[dict[str, Any]]) -> Any:
        yield "Drawing a cat"
        shown.wait(10)
        yield Image(str(picture), alt_text="A cat")

    client = connect(fn, stream_interval=0)
    client.send({"type": "submit", "id": "u1", "text": "cat"})
    frames = client.recv_until("patch")
    shown.set()
    frames += client.recv_until("idle")
    starts = [f["message"] for f in frames if f["type"] == "message" and f["message"]["role"] == "assistant"]
    assert len(starts) == 2 and starts[0]["id"] == starts[1]["id"]
    assert starts[0]["content"] == "" and starts[1]["content"]["component"] == "image"
    assert [f["content"]["component"] for f in frames if f["type"] == "done"] == ["image"]
