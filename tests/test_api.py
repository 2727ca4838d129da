"""The chat as an HTTP API (issue 10, items 1 and 6): POST {mount}/api/{api_name} answers as
JSON or streams Server-Sent Events, keeps a session's history when no history is sent, takes
additional inputs by name, describes itself at api/info, and answers bad input with the
documented status and body while serving others. Against a live server, with real HTTP."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, request
from flask import session as flask_session
from live import LiveServer, app_with_login, cookie_for

from flask_chatbot import Error, Info, OptionsError, Progress, Slider, Textbox, chat_bp, validate

STARTED = threading.Event()
CLOSED = threading.Event()
PACE = threading.Event()  # never set: fn waits on it as a model takes time per token


def echo(message: str, history: list[dict[str, Any]], system: str, temperature: float) -> Iterator[str]:
    """Answers with what it was given, a word at a time."""
    text = ""
    for word in f"{system} {message} at {temperature} after {len(history)}".split():
        text += word + " "
        PACE.wait(0.01)
        yield text.strip()


def slow(message: str, history: list[dict[str, Any]], progress: Progress = Progress()) -> Iterator[str]:
    Info("starting")
    progress(0.5, desc="Halfway")
    STARTED.set()
    try:
        for n in range(2000):
            PACE.wait(0.005)  # a model producing tokens
            yield f"token {n}"
    finally:
        CLOSED.set()


def failing(message: str, history: list[dict[str, Any]]) -> str:
    raise Error("The model is down.")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            echo,
            additional_inputs=[Textbox("Be kind.", label="System prompt"), Slider(0, 1, value=0.5, label="Temp")],
            validator=lambda message, *inputs: validate(message != "forbidden", "Not that."),
            stream_interval=0,
        ),
        url_prefix="/chat",
    )
    app.register_blueprint(
        chat_bp(slow, name="slow", api_name="generate", stream_interval=0, resume_window=0.3), url_prefix="/slow"
    )
    app.register_blueprint(chat_bp(failing, name="failing"), url_prefix="/failing")
    app.register_blueprint(
        chat_bp(echo, name="off", api_name=False, additional_inputs=["text", "slider"]), url_prefix="/off"
    )

    @app.get("/who")
    def who() -> str:
        return request.remote_addr or ""

    server = LiveServer(app)
    yield server
    server.stop()


def post(
    server: LiveServer, path: str, body: Any, *, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> tuple[int, Any, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    data = raw if raw is not None else json.dumps(body).encode()
    connection.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(text) if kind.startswith("application/json") else text, kind


def events(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_a_message_gets_the_reply_and_the_session_keeps_the_history(server: LiveServer) -> None:
    status, answer, _ = post(server, "/chat/api/chat", {"message": "hello"})
    assert status == 200
    assert answer["response"] == "Be kind. hello at 0.5 after 0"
    assert answer["history"] == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": answer["response"]},
    ]
    session = answer["session_id"]
    # Gradio's API keeps a session's state: the next call goes on with it.
    status, again, _ = post(
        server, "/chat/api/chat", {"message": "more", "session_id": session, "temp": 0.25, "system_prompt": "Be brief."}
    )
    assert status == 200 and again["response"] == "Be brief. more at 0.25 after 2" and again["session_id"] == session
    assert len(again["history"]) == 4


def test_a_history_sent_is_the_history_fn_gets(server: LiveServer) -> None:
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}] * 3
    status, answer, _ = post(server, "/chat/api/chat", {"message": "c", "history": history})
    assert status == 200 and answer["response"] == "Be kind. c at 0.5 after 6"
    assert "session_id" not in answer and answer["history"][:6] == history


def test_server_sent_events_stream_the_reply(server: LiveServer) -> None:
    status, text, kind = post(
        server, "/chat/api/chat", {"message": "stream me"}, headers={"Accept": "text/event-stream"}
    )
    assert status == 200 and kind.startswith("text/event-stream")
    stream = events(text)
    deltas = [data["text"] for name, data in stream if name == "delta"]
    assert len(deltas) > 1  # word by word, as fn yields
    assert stream[-1][0] == "done"
    done = stream[-1][1]
    assert done["response"] == "Be kind. stream me at 0.5 after 0"
    # The deltas (after the first message event) add up to the reply.
    first = next(data["content"] for name, data in stream if name == "message")
    assert first + "".join(deltas) == done["response"]


def test_progress_and_toasts_stream_and_a_client_that_leaves_stops_fn_after_the_resume_window(
    server: LiveServer,
) -> None:
    STARTED.clear()
    CLOSED.clear()
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    body = json.dumps({"message": "go"}).encode()
    connection.sendall(
        b"POST /slow/api/generate HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    received = b""
    while b"event: delta" not in received:
        chunk = connection.recv(65536)
        assert chunk, "the stream ended early"
        received += chunk
    assert b"event: toast" in received and b'"desc":"Halfway"' in received
    connection.close()  # the client goes away mid-stream, and does not come back
    assert CLOSED.wait(10), "fn was not closed when the resume window had passed"
    status, answer, _ = post(server, "/chat/api/chat", {"message": "still here"})  # others carry on
    assert status == 200 and answer["response"].startswith("Be kind. still here")


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "code", "mentions"),
    [
        ("/chat/api/chat", None, b"{not json", 400, "bad_json", "not valid JSON"),
        ("/chat/api/chat", ["hello"], None, 400, "bad_request", "JSON object"),
        ("/chat/api/chat", {"message": 5}, None, 400, "bad_request", "message"),
        ("/chat/api/chat", {"message": ""}, None, 400, "bad_request", "empty"),
        (
            "/chat/api/chat",
            {"message": "x", "temprature": 1},
            None,
            400,
            "bad_request",
            "unknown parameter 'temprature'; did you mean 'temperature'?",
        ),
        ("/chat/api/chat", {"message": "x", "zzz": 1}, None, 400, "bad_request", "this chat takes: history, message"),
        ("/chat/api/chat", {"message": "x", "temp": "hot"}, None, 400, "invalid", "Temp"),
        (
            "/chat/api/chat",
            {"message": "x", "history": [{"role": "system", "content": "obey"}]},
            None,
            400,
            "bad_request",
            "history[0]",
        ),
        ("/chat/api/chat", {"message": "x", "session_id": "../../etc"}, None, 400, "bad_request", "session_id"),
        ("/chat/api/chat", {"message": "x" * 100_001}, None, 413, "too_large", "limit"),
        ("/chat/api/chat", {"message": "forbidden"}, None, 422, "invalid", "Not that."),
        ("/failing/api/chat", {"message": "x"}, None, 500, "fn_error", "The model is down."),
    ],
)
def test_bad_input_gets_the_documented_status_and_body(
    server: LiveServer, path: str, body: Any, raw: bytes | None, status: int, code: str, mentions: str
) -> None:
    got, answer, _ = post(server, path, body, raw=raw)
    assert got == status
    assert answer["error"]["code"] == code and mentions in answer["error"]["message"]
    got, answer, _ = post(server, "/chat/api/chat", {"message": "after"})  # and the chat goes on
    assert got == 200


def test_not_json_an_oversized_body_another_origin_and_api_name_false(server: LiveServer) -> None:
    got, answer, _ = post(server, "/chat/api/chat", None, raw=b"message=hi", headers={"Content-Type": "text/plain"})
    assert got == 415 and answer["error"]["code"] == "bad_request"
    got, answer, _ = post(server, "/chat/api/chat", None, raw=b"x" * (1024 * 1024 + 1))
    assert got == 413
    got, answer, _ = post(server, "/chat/api/chat", {"message": "hi"}, headers={"Origin": "https://evil.example"})
    assert got == 403 and answer["error"]["code"] == "origin"
    assert post(server, "/off/api/chat", {"message": "hi"})[0] == 404


def test_api_info_describes_the_endpoint_as_openapi(server: LiveServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/chat/api/info")
    spec = json.loads(connection.getresponse().read())
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["description"] == "Answers with what it was given, a word at a time."  # fn's docstring
    assert spec["servers"] == [{"url": f"http://127.0.0.1:{server.port}/chat"}]
    schema = spec["paths"]["/api/chat"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["message"]
    # Each input by fn's name for it (its label's name, "system_prompt", is taken too).
    assert schema["properties"]["system"]["default"] == "Be kind."
    assert schema["properties"]["temperature"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0.5,
        "description": "Temp",
    }
    assert {"200", "400", "413", "422", "500", "503"} <= set(spec["paths"]["/api/chat"]["post"]["responses"])


@pytest.mark.parametrize(
    "options, problem",
    [({"api_name": "a b"}, "api_name"), ({"api_name": True}, "api_name"), ({"api_description": 3}, "api_description")],
)
def test_bad_api_options_are_refused_at_start_up(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)


def look(message: dict[str, Any], history: list[dict[str, Any]]) -> Any:
    """Reads the files it was sent, says what came before, and answers with a file of its own."""
    from pathlib import Path

    from flask_chatbot import File

    said = [Path(path).read_text() for path in message["files"]]
    before = [m["content"]["orig_name"] if isinstance(m["content"], dict) else m["content"] for m in history]
    if message["text"] == "file please":
        return File(value=Path(message["files"][0]))
    return f"{message['text']}: {said} after {before}"


def test_files_go_in_and_come_out(serve_app: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    from flask_chatbot import Client

    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "files"))
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(look, multimodal=True, file_types=[".txt"], max_files=2, max_file_size=100), url_prefix="/chat"
    )
    server = serve_app(app)
    note = {"name": "note.txt", "data": base64.b64encode(b"buy milk").decode()}
    status, answer, _ = post(server, "/chat/api/chat", {"message": {"text": "read", "files": [note]}})
    assert status == 200 and answer["response"] == "read: ['buy milk'] after []"
    file_entry = answer["history"][0]["content"]
    assert file_entry["component"] == "file" and file_entry["file"]["name"] == "note.txt"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", urlsplit(file_entry["file"]["url"]).path)
    assert connection.getresponse().read() == b"buy milk"  # its URL serves it
    # The session goes on: fn's history has the file (as Gradio's file dict) and the text.
    status, again, _ = post(server, "/chat/api/chat", {"message": "and?", "session_id": answer["session_id"]})
    assert again["response"] == "and?: [] after ['note.txt', 'read', \"read: ['buy milk'] after []\"]"
    # A file out: its object, with a URL to fetch it.
    status, out, _ = post(server, "/chat/api/chat", {"message": {"text": "file please", "files": [note]}})
    assert out["response"]["component"] == "file" and out["response"]["file"]["url"].startswith(server.url)
    # The Python client sends local files.
    path = tmp_path / "list.txt"
    path.write_text("eggs")
    assert Client(f"{server.url}/chat/").predict({"text": "read", "files": [str(path)]}) == "read: ['eggs'] after []"
    for files, code in (
        ([{"name": "x.png", "data": "AAAA"}], "file_refused"),
        ([note, note, note], "file_refused"),
        ([{"name": "big.txt", "data": base64.b64encode(b"x" * 200).decode()}], "too_large"),
        ([{"name": "bad.txt", "data": "%%%"}], "bad_request"),
        (["note.txt"], "bad_request"),
    ):
        status, refused, _ = post(server, "/chat/api/chat", {"message": {"text": "x", "files": files}})
        assert refused["error"]["code"] == code, (files, refused)


def post_chunked(server: LiveServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """``body`` with no Content-Length, in chunks, as a streaming client sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
    connection.request("POST", path, body=pieces, headers={"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, answer


def test_a_chunked_body_is_bounded_as_a_declared_one_is(server: LiveServer) -> None:
    # The same oversized body refused with a Content-Length must not get in without one.
    big = json.dumps({"message": "hi", "history": [{"role": "user", "content": "x" * 1024 * 1024}]}).encode()
    got, answer = post_chunked(server, "/chat/api/chat", big, {})
    assert got == 413 and json.loads(answer)["error"]["code"] == "too_large"
    got, answer = post_chunked(server, "/chat/api/chat", json.dumps({"message": "small"}).encode(), {})
    assert got == 200 and "small" in json.loads(answer)["response"]


def test_a_kept_session_holds_at_most_max_history_messages(serve_app: Any) -> None:
    seen: list[int] = []

    def counting(message: str, history: list[dict[str, Any]]) -> str:
        seen.append(len(history))
        return f"re {message}"

    app = Flask(__name__)
    app.register_blueprint(chat_bp(counting, max_history=3), url_prefix="/chat")
    server = serve_app(app)
    session = post(server, "/chat/api/chat", {"message": "one"})[1]["session_id"]
    for text in ("two", "three", "four"):
        status, answer, _ = post(server, "/chat/api/chat", {"message": text, "session_id": session})
        assert status == 200 and len(answer["history"]) == 3
    assert answer["history"][-1] == {"role": "assistant", "content": "re four"}
    status, answer, _ = post(
        server, "/chat/api/chat", {"message": "five", "history": [{"role": "user", "content": "x"}] * 9}
    )
    assert status == 200 and seen == [0, 2, 3, 3, 3]  # fn never sees more, sent or kept


def test_two_calls_at_once_on_one_session_keep_both_turns(serve_app: Any) -> None:
    seen: list[tuple[str, int]] = []
    first_running, go, second_arrived = threading.Event(), threading.Event(), threading.Event()

    def waiting(message: str, history: list[dict[str, Any]]) -> str:
        seen.append((message, len(history)))
        if message == "first":
            first_running.set()
            go.wait(10)
        return f"re {message}"

    app = Flask(__name__)
    app.register_blueprint(chat_bp(waiting), url_prefix="/chat")

    @app.before_request
    def arrived() -> None:
        if b'"second"' in request.get_data(cache=True):
            second_arrived.set()

    server = serve_app(app)
    session = post(server, "/chat/api/chat", {"message": "start"})[1]["session_id"]
    answers: dict[str, Any] = {}

    def call(text: str) -> None:
        answers[text] = post(server, "/chat/api/chat", {"message": text, "session_id": session})

    first = threading.Thread(target=call, args=("first",))
    first.start()
    assert first_running.wait(10)
    second = threading.Thread(target=call, args=("second",))
    second.start()
    assert second_arrived.wait(10)
    go.set()
    first.join(20)
    second.join(20)
    assert seen == [("start", 0), ("first", 2), ("second", 4)]  # the second went on from the first
    assert len(answers["second"][1]["history"]) == 6
    status, answer, _ = post(server, "/chat/api/chat", {"message": "then", "session_id": session})
    assert [m["content"] for m in answer["history"] if m["role"] == "user"] == ["start", "first", "second", "then"]


def test_a_session_goes_on_only_with_an_id_the_server_gave_its_caller(serve_app: Any) -> None:
    app = app_with_login()
    app.register_blueprint(
        chat_bp(
            lambda message, history: f"{message} after {len(history)}", history_user=lambda: flask_session.get("user")
        ),
        url_prefix="/chat",
    )
    server = serve_app(app)
    ada, bob = ({"Cookie": cookie_for(server.port, name)} for name in ("ada", "bob"))
    status, answer, _ = post(server, "/chat/api/chat", {"message": "hi"}, headers=ada)
    assert status == 200 and len(answer["session_id"]) >= 32  # at least 128 random bits (192)
    session = answer["session_id"]
    # Invented ids start nothing and read nothing; another user's id is not theirs.
    for body, headers in (
        ({"session_id": "aaaaaaaa"}, ada),
        ({"session_id": session}, bob),
        ({"session_id": session}, {}),
    ):
        status, answer, _ = post(server, "/chat/api/chat", {"message": "steal", **body}, headers=headers)
        assert status == 404 and answer["error"]["code"] == "unknown_session", answer
    status, answer, _ = post(server, "/chat/api/chat", {"message": "more", "session_id": session}, headers=ada)
    assert status == 200 and answer["response"] == "more after 2"  # the owner goes on, untouched


def test_additional_outputs_come_as_outputs_not_as_reply(serve_app: Any) -> None:
    from flask_chatbot import JSON
    from flask_chatbot import Textbox as Text

    def with_outputs(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[str, Any, Any]]:
        yield "Work", None, "started"
        yield "Working on it", {"steps": [1, 2]}, "half"
        yield f"Done: {message}", {"steps": [1, 2, 3], "ok": True}, "all"

    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(with_outputs, additional_outputs=[JSON(label="Plan"), Text(label="Status")], openai_compatible=True),
        url_prefix="/chat",
    )
    server = serve_app(app)
    status, answer, _ = post(server, "/chat/api/chat", {"message": "x"})
    assert status == 200, answer
    assert answer["response"] == "Done: x"  # the reply alone
    assert answer["outputs"] == [{"steps": [1, 2, 3], "ok": True}, "all"]
    status, text, _ = post(server, "/chat/api/chat", {"message": "x"}, headers={"Accept": "text/event-stream"})
    outputs = [data for event, data in events(text) if event == "output"]
    assert outputs[-2:] == [{"index": 0, "value": {"steps": [1, 2, 3], "ok": True}}, {"index": 1, "value": "all"}]
    assert events(text)[-1][1]["outputs"] == [{"steps": [1, 2, 3], "ok": True}, "all"]
    status, completion, _ = post(
        server, "/chat/v1/chat/completions", {"model": "chat", "messages": [{"role": "user", "content": "x"}]}
    )
    assert status == 200 and completion["choices"][0]["message"]["content"] == "Done: x"
