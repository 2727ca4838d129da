"""Bad input a hostile test run sent (issue 18): each gets a clear error or is kept safely, never a
500 or a traceback, and the server carries on. Real servers, HTTP and WebSocket clients."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, wait_until

from flask_chatbot import chat_bp


@pytest.fixture
def server(serve_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "store"))
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            lambda message, history: "ok",
            multimodal=True,
            openai_compatible=True,
            save_history=True,
            history_store=tmp_path / "h.sqlite3",
            history_user=lambda: "ada",
        ),
        url_prefix="/chat",
    )
    return serve_app(app)


def post(server, path: str, body: Any, raw: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST", path, body=raw if raw is not None else json.dumps(body), headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


@pytest.mark.parametrize(
    ("path", "body", "raw", "status"),
    [
        ("/chat/api/chat", {"message": {"text": "hi", "files": [{"name": "a.png", "data": "data:abc"}]}}, None, 400),
        ("/chat/api/chat", None, b"[" * 100_000 + b"]" * 100_000, 400),  # nested past Python's recursion limit
        ("/chat/v1/chat/completions", None, b"[" * 100_000 + b"]" * 100_000, 400),
        (
            "/chat/v1/chat/completions",
            {
                "model": "chat",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "hi"},
                            {"type": "image_url", "image_url": "not an object"},
                        ],
                    }
                ],
            },
            None,
            400,
        ),
        (
            "/chat/v1/chat/completions",
            {
                "model": "chat",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": ["a", "list"]}],
                    }
                ],
            },
            None,
            400,
        ),
    ],
)
def test_malformed_api_calls_get_a_clear_error(
    server, caplog, path: str, body: Any, raw: bytes | None, status: int
) -> None:
    got, data = post(server, path, body, raw)
    assert got == status and b"Traceback" not in data and json.loads(data)["error"]["message"]
    assert "Traceback" not in caplog.text
    assert post(server, "/chat/api/chat", {"message": "still here"})[0] == 200


def test_half_an_emoji_is_kept_escaped_in_every_store_and_stream(server, caplog) -> None:
    lone = "half \ud800 an emoji"
    status, data = post(server, "/chat/api/chat", {"message": lone})
    assert status == 200
    session = json.loads(data)["session_id"]
    status, data = post(server, "/chat/api/chat", {"message": "again", "session_id": session})  # kept, read back
    assert status == 200 and json.loads(data)["history"][0]["content"] == lone
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/api/chat",
        body=json.dumps({"message": lone}),
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
    )
    stream = connection.getresponse().read().decode()
    connection.close()
    assert "event: done" in stream
    # The page's socket, with the user's saved chats: saved, and opened again.
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    conversation = client.hello()["session"]
    client.send(json.dumps({"type": "submit", "id": "u1", "text": lone}))  # escaped, as a browser sends it
    client.recv_until("idle")
    client.close()

    def saved() -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", f"/chat/history/{conversation}")
        found = json.loads(connection.getresponse().read())
        connection.close()
        return found

    wait_until(lambda: len(saved().get("messages", [])) == 2, "the turn is kept on the server")
    assert saved()["messages"][0]["content"] == lone
    assert "Traceback" not in caplog.text and "failed" not in caplog.text


@pytest.mark.parametrize("files", [5, None, "x"])
def test_a_resent_gallery_with_bad_files_is_a_bad_frame(server, caplog, files: Any) -> None:
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.send(
        {
            "type": "hello",
            "version": 1,
            "history": [{"id": "g", "role": "assistant", "content": {"component": "gallery", "files": files}}],
        }
    )
    refusal = client.recv()
    assert refusal["type"] == "error" and refusal["code"] == "bad_frame"
    assert client.hello()["type"] == "welcome"
    assert "Traceback" not in caplog.text
