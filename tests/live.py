"""Test helpers: a live threaded server and a real WebSocket client."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import websocket
from flask import Flask
from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()  # the listening socket: shutdown() only ends the loop


class Client:
    """A real WebSocket client speaking the protocol (docs/protocol.md).

    Like the element, it keeps what it needs to follow a turn again (``followed``: the last
    ``turn`` frame's id and key, and the last ``seq``) and, unless ``raw``, hands the tests the
    frames without them: most tests are about what a turn shows, not how it is numbered
    (tests/test_resume.py is about that, with ``raw=True``).

    Each is closed when its test ends (tests/conftest.py), if the test has not closed it.
    """

    opened: list[Client] = []  # since the test began

    def __init__(self, url: str, raw: bool = False, **kwargs: Any) -> None:
        self.ws = websocket.create_connection(url, timeout=10, **kwargs)
        self.raw = raw
        self.followed: dict[str, Any] | None = None
        Client.opened.append(self)

    def send(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))

    def recv(self) -> dict[str, Any]:
        while True:
            frame = json.loads(self.ws.recv())
            if frame["type"] == "turn":
                self.followed = {"id": frame["id"], "key": frame["key"], "seq": frame["seq"]}
            elif "seq" in frame and self.followed is not None:
                self.followed["seq"] = frame["seq"]
            if self.raw:
                return frame
            if frame["type"] != "turn":
                frame.pop("seq", None)
                return frame

    def recv_until(self, frame_type: str) -> list[dict[str, Any]]:
        """Frames up to and including the first of ``frame_type``."""
        frames = []
        while True:
            frame = self.recv()
            frames.append(frame)
            if frame["type"] == frame_type:
                return frames

    def hello(self, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        self.send({"type": "hello", "version": 1, "history": history or []})
        return self.recv()

    def turn(self, text: str, message_id: str = "u1") -> list[dict[str, Any]]:
        """Submit and collect every frame of the turn, up to ``idle``."""
        self.send({"type": "submit", "id": message_id, "text": text})
        return self.recv_until("idle")

    def close(self) -> None:
        self.ws.close()
        # websocket-client's close() does nothing once a close frame came from the server (it
        # answered that one itself), and its abort() only shuts the socket: close it here.
        self.ws.shutdown()


def close_clients() -> None:
    """Close every Client opened since the test began."""
    while Client.opened:
        Client.opened.pop().close()


def final_text(frames: list[dict[str, Any]]) -> dict[str, str]:
    """The content each message ended with, by id, from its done frame."""
    return {f["id"]: f["content"] for f in frames if f["type"] == "done"}


def replay_text(frames: list[dict[str, Any]], message_id: str) -> str:
    """What the element's copy of the raw text is after applying the patches."""
    text = ""
    for f in frames:
        if f["type"] == "patch" and f["id"] == message_id:
            text = text[: f["keep"]] + f["append"]
    return text


def counting_bot() -> tuple[Any, list[tuple[str, list[dict[str, Any]]]]]:
    """A fn answering "reply N to <message>", and the (message, history) of each call."""
    turns: list[tuple[str, list[dict[str, Any]]]] = []

    def fn(message: str, history: list[dict[str, Any]]) -> str:
        turns.append((message, history))
        return f"reply {len(turns)} to {message}"

    return fn, turns


def assistant_id(frames: list[dict[str, Any]]) -> str:
    """The id of the last reply a turn's frames finished."""
    return [f["id"] for f in frames if f["type"] == "done"][-1]


def app_with_login(session_key: str = "user") -> Flask:
    """A Flask app whose ``POST /login/<name>`` signs in as ``name`` (``session[session_key]``):
    the host app's login, for chats that read who is signed in."""
    from flask import session

    app = Flask(__name__)
    app.secret_key = "test"

    @app.post("/login/<name>")
    def login(name: str) -> str:
        session[session_key] = name
        return "ok"

    return app


def cookie_for(port: int, name: str) -> str:
    """The session cookie of ``name`` signed in on the live server at ``port`` (app_with_login)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", f"/login/{name}")
        response = connection.getresponse()
        response.read()
        return response.getheader("Set-Cookie").split(";", 1)[0]
    finally:
        connection.close()


def wait_until(condition: Any, what: str, timeout: float = 10.0) -> None:
    """Wait for ``condition()`` to hold, checking every 10 ms, for state nothing signals
    (files on disk); fails with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)
