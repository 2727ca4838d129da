"""load_chat (issue 10, item 4): a chat in front of an OpenAI-compatible server, tested end to
end against a second flask-chatbot app serving item 3, so the whole loop runs here: a program
(flask_chatbot.Client) -> the loaded chat's API -> load_chat's fn -> the model server's
v1/chat/completions -> its fn."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client as SocketClient
from live import LiveServer

from flask_chatbot import Client, ClientError, Error, OptionsError, chat_bp, load_chat

PACE = threading.Event()  # never set: the model waits on it as it takes time per token
KEY = "sk-model"


def model(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    """The model: repeats the message and tells what came before, a word at a time."""
    if message == "fail":
        raise Error("The model is overloaded.")
    text = ""
    for word in f"{message} | {' / '.join(m['role'] + ':' + str(m['content']) for m in history)}".split(" "):
        text += word + " "
        PACE.wait(0.005)
        yield text.strip()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[LiveServer, LiveServer]]:
    upstream = Flask("model")
    upstream.register_blueprint(
        chat_bp(
            model, name="model", openai_compatible=True, openai_model="tiny-1", openai_api_key=KEY, stream_interval=0
        ),
        url_prefix="/m",
    )
    model_server = LiveServer(upstream)
    app = Flask("front")
    base = f"{model_server.url}/m/v1"
    app.register_blueprint(
        load_chat(base, "tiny-1", KEY, system_message="Be brief.", file_types=None, stream_interval=0),
        url_prefix="/chat",
    )
    app.register_blueprint(
        load_chat(base, "tiny-1", KEY, name="whole", streaming=False, file_types=None), url_prefix="/whole"
    )
    app.register_blueprint(load_chat(base, "tiny-1", "sk-wrong", name="wrong", file_types=None), url_prefix="/wrong")
    app.register_blueprint(
        load_chat("http://127.0.0.1:9/v1", "tiny-1", name="down", file_types=None), url_prefix="/down"
    )
    front = LiveServer(app)
    yield front, model_server
    front.stop()
    model_server.stop()


def test_a_loaded_chat_streams_the_model_s_answer_with_the_conversation(servers: tuple[LiveServer, LiveServer]) -> None:
    front, _ = servers
    client = Client(f"{front.url}/chat/")
    job = client.submit("Hello")
    seen = list(job)
    assert len(seen) > 2  # streamed through both servers as the model wrote it
    assert job.result() == "Hello | system:Be brief."
    # The next turn sends the conversation so far.
    assert client.predict("Again") == "Again | system:Be brief. / user:Hello / assistant:Hello | system:Be brief."


def test_streaming_false_and_the_socket_work_too(servers: tuple[LiveServer, LiveServer]) -> None:
    front, _ = servers
    assert Client(f"{front.url}/whole/").predict("Hi") == "Hi |"
    socket = SocketClient(f"ws://127.0.0.1:{front.port}/chat/socket")
    socket.hello()
    frames = socket.turn("From the page")
    assert frames[-2]["content"] == "From the page | system:Be brief."
    socket.close()


def test_the_model_server_s_errors_reach_the_reader(servers: tuple[LiveServer, LiveServer]) -> None:
    front, _ = servers
    with pytest.raises(ClientError, match="The model is overloaded."):
        Client(f"{front.url}/chat/").predict("fail")
    with pytest.raises(ClientError, match="401: Incorrect API key"):
        Client(f"{front.url}/wrong/").predict("hi")
    with pytest.raises(ClientError, match="Could not reach the model's server"):
        Client(f"{front.url}/down/").predict("hi")


def test_bad_load_chat_arguments_are_options_errors() -> None:
    with pytest.raises(OptionsError, match="base URL"):
        load_chat("localhost:1234", "m")
    with pytest.raises(OptionsError, match="file_types"):
        load_chat("http://localhost:1234/v1", "m", file_types="video")


def describe_images(message: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """A model that sees images: it says what it was sent."""
    sizes = [Path(path).stat().st_size for path in message["files"]]
    return f"{message['text']} with {len(sizes)} image(s) of {sizes} bytes"


def test_images_reach_a_model_that_takes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_app: Any) -> None:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "files"))
    upstream = Flask("vision")
    upstream.register_blueprint(
        chat_bp(
            describe_images,
            name="vision",
            multimodal=True,
            file_types=["image"],
            openai_compatible=True,
            openai_model="eyes-1",
        ),
        url_prefix="/v",
    )
    model_server = serve_app(upstream)
    front = Flask("front")
    front.register_blueprint(load_chat(f"{model_server.url}/v/v1", "eyes-1", file_types="image"), url_prefix="/chat")
    server = serve_app(front)
    socket = SocketClient(f"ws://127.0.0.1:{server.port}/chat/socket")
    key = socket.hello()["upload_key"]
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST",
        "/chat/upload?name=dot.png",
        body=png,
        headers={"Content-Type": "image/png", "X-Chatbot-Upload-Key": key},
    )
    uploaded = json.loads(connection.getresponse().read())
    socket.send({"type": "submit", "id": "u1", "text": "What is this?", "files": [uploaded["id"]]})
    assert socket.recv_until("idle")[-2]["content"] == f"What is this? with 1 image(s) of [{len(png)}] bytes"
    socket.close()


def test_the_sample_app_talks_to_a_model_server_named_by_openai_base_url(
    servers: tuple[LiveServer, LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, model_server = servers
    monkeypatch.setenv("OPENAI_BASE_URL", f"{model_server.url}/m/v1")
    monkeypatch.setenv("OPENAI_MODEL", "tiny-1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    import sample_app

    front = LiveServer(sample_app.create_app())
    try:
        assert Client(f"{front.url}/chat/").predict("Hi there") == "Hi there |"
    finally:
        front.stop()
