"""flask_chatbot.Client (issue 10, item 2): predict() returns the reply and keeps the
conversation like gradio_client, submit() streams it and can be cancelled, errors raise
ClientError. Against a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from live import LiveServer

from flask_chatbot import Client, ClientError, Error, Slider, chat_bp

PACE = threading.Event()  # never set: fn waits on it as a model takes time per token
CLOSED = threading.Event()


def counter(message: str, history: list[dict[str, Any]], temperature: float) -> Iterator[str]:
    """Counts the messages before, a word at a time."""
    text = ""
    for word in f"{message} after {len(history)} at {temperature}".split():
        text += word + " "
        PACE.wait(0.01)
        yield text.strip()


def endless(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    try:
        for n in range(100_000):
            PACE.wait(0.005)
            yield f"token {n}"
    finally:
        CLOSED.set()


def refusing(message: str, history: list[dict[str, Any]]) -> str:
    raise Error("No budget left.")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(counter, additional_inputs=[Slider(0, 1, value=0.5, label="Temperature")], stream_interval=0),
        url_prefix="/chat",
    )
    app.register_blueprint(chat_bp(endless, name="endless", stream_interval=0), url_prefix="/endless")
    app.register_blueprint(chat_bp(refusing, name="refusing"), url_prefix="/refusing")
    server = LiveServer(app)
    yield server
    server.stop()


def test_predict_returns_the_reply_and_keeps_the_conversation(server: LiveServer) -> None:
    client = Client(f"{server.url}/chat/")
    assert client.predict("one") == "one after 0 at 0.5"
    assert client.predict("two", temperature=0.25) == "two after 2 at 0.25"
    assert [m["content"] for m in client.history] == ["one", "one after 0 at 0.5", "two", "two after 2 at 0.25"]
    client.reset()
    assert client.predict("three") == "three after 0 at 0.5"
    other = Client(f"{server.url}/chat")  # another client: a conversation of its own
    assert other.predict("four") == "four after 0 at 0.5"


def test_submit_streams_the_reply_as_it_grows(server: LiveServer) -> None:
    job = Client(f"{server.url}/chat/").submit("stream this")
    seen = list(job)
    assert len(seen) > 2 and seen[-1] == job.result() == "stream this after 0 at 0.5"
    assert all(
        later.startswith(earlier) for earlier, later in zip(seen, seen[1:], strict=False)
    )  # each the reply so far
    assert job.done() and job.outputs() == seen


def test_cancel_stops_fn_on_the_server(server: LiveServer) -> None:
    CLOSED.clear()
    job = Client(f"{server.url}/endless/").submit("go")
    for text in job:
        if text.startswith("token 3"):
            job.cancel()
            break
    assert CLOSED.wait(10), "fn was not closed"
    with pytest.raises(ClientError, match="cancelled"):
        job.result(timeout=10)


def test_errors_raise_client_error(server: LiveServer) -> None:
    with pytest.raises(ClientError) as refused:
        Client(f"{server.url}/refusing/").predict("hi")
    assert refused.value.code == "fn_error" and refused.value.message == "No budget left."
    with pytest.raises(ClientError) as bad:
        Client(f"{server.url}/chat/").predict("hi", temperature=7)
    assert bad.value.status == 400 and "Temperature" in bad.value.message
    with pytest.raises(ClientError) as missing:
        Client(f"{server.url}/nowhere/").predict("hi")
    assert missing.value.status == 404
    with pytest.raises(ValueError, match="chat's URL"):
        Client("localhost:8000")


def test_info_describes_the_chat(server: LiveServer) -> None:
    spec = Client(f"{server.url}/chat/").info()
    assert spec["info"]["description"] == "Counts the messages before, a word at a time."
    assert (
        "temperature"
        in spec["paths"]["/api/chat"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
