"""Fixtures: an app factory with a live threaded server, and a real WebSocket client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live import Client, LiveServer, close_clients

from flask_chatbot import chat_bp
from flask_chatbot.files.store import FileStore


class ClosingClient(FlaskClient):
    """Flask's test client, reading each response whole and closing it, as a WSGI server closes
    a response once sent: a served file's handle (send_file) is closed then, not whenever the
    response is collected (a ResourceWarning). ``buffered=False`` keeps a response open."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture(autouse=True)
def closing_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app's test_client() is a ClosingClient."""
    monkeypatch.setattr(Flask, "test_client_class", ClosingClient)


@pytest.fixture(autouse=True)
def closing_clients() -> Iterator[None]:
    """The WebSocket clients a test opened and left open are closed when it ends."""
    yield
    close_clients()


@pytest.fixture
def serve_app() -> Iterator[Callable[[Flask], LiveServer]]:
    """serve_app(app) -> a live server for an app the test configured itself."""
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    close_clients()  # while their servers still answer the close
    for server in servers:
        server.stop()


@pytest.fixture
def serve(serve_app: Callable[[Flask], LiveServer]) -> Callable[..., LiveServer]:
    """serve(fn, **options) -> a live server with chat_bp(fn, **options) at /chat."""

    def start(fn: Callable[..., Any], **options: Any) -> LiveServer:
        app = Flask(__name__)
        app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
        return serve_app(app)

    return start


@pytest.fixture
def connect(serve: Callable[..., LiveServer]) -> Iterator[Callable[..., Client]]:
    """connect(fn, **options) -> a Client that has said hello to a live server."""
    clients: list[Client] = []

    def open_(fn: Callable[..., Any], **options: Any) -> Client:
        server = serve(fn, **options)
        client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
        clients.append(client)
        assert client.hello()["type"] == "welcome"
        return client

    yield open_
    for client in clients:
        client.close()


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    """A file store of its own in a temporary folder."""
    return FileStore(tmp_path / "store")
