"""cache_examples: the replies to the examples, computed once (at start-up or first use), kept
on disk for every worker, and shown at once without calling fn (issue 8)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from live import Client, final_text

from flask_chatbot import Image, OptionsError, Slider, chat_bp

ICON = Path(__file__).resolve().parent.parent / "sample_app" / "static" / "bot.png"


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file store (and so an example cache) of the test's own."""
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


def counting():
    calls: list[tuple[Any, ...]] = []

    def fn(message, history, *values):
        calls.append((message, len(history), *values))
        return f"answer to {message} #{len(calls)}"

    return fn, calls


def open_client(serve_app, fn, **options: Any) -> Client:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    assert client.hello()["type"] == "welcome"
    return client


def click(client: Client, index: int, text: str, message_id: str = "u1") -> list[dict[str, Any]]:
    client.send({"type": "submit", "id": message_id, "text": text, "example": index})
    return client.recv_until("idle")


def cached_files(store: Path) -> list[str]:
    return sorted(p.name for p in store.glob("cached-examples/*/*.json"))


def test_lazy_the_first_click_runs_fn_and_every_later_one_is_served_from_the_cache(serve_app, store) -> None:
    fn, calls = counting()
    options = {"examples": ["hello", "hola"], "cache_examples": True, "cache_mode": "lazy"}
    first = open_client(serve_app, fn, **options)
    assert list(final_text(click(first, 1, "hola")).values()) == ["answer to hola #1"]
    assert cached_files(store) == ["1.json"]
    # Another conversation, another app on the same store (another worker): no fn call.
    other = open_client(serve_app, fn, **options)
    frames = click(other, 1, "hola")
    assert [f["type"] for f in frames] == ["message", "message", "idle"]  # the echo, the reply at once
    assert frames[1]["message"]["content"] == "answer to hola #1" and frames[1]["message"]["status"] == "done"
    assert frames[1]["message"]["html"] == "<p>answer to hola #1</p>"
    assert len(calls) == 1
    other.turn("and then?", "u2")  # the cached reply is in the history fn gets next
    assert calls[-1] == ("and then?", 2)


def test_eager_replies_are_computed_at_start_up_in_the_background(serve_app, store) -> None:
    started, release = threading.Event(), threading.Event()
    calls = []

    def fn(message, history):
        calls.append(message)
        started.set()
        release.wait(10)
        return f"eager {message}"

    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(fn, examples=["a", "b"], cache_examples=True), url_prefix="/chat"
    )  # eager by default
    assert started.wait(10)  # the first example is computing, and registering did not wait for it
    release.set()
    server = serve_app(app)
    for thread in threading.enumerate():  # until the background computation has ended
        if thread.name == "flask_chatbot.examples":
            thread.join(10)
    assert cached_files(store) == ["0.json", "1.json"]
    client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
    client.hello()
    frames = click(client, 1, "b")
    assert frames[1]["message"]["content"] == "eager b"
    assert calls == ["a", "b"]  # nothing computed twice, nothing at the click


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"type": "submit", "id": "u0", "text": "before"}, None),  # not an empty conversation
        (None, {"inputs": [9]}),  # other values than the example's
    ],
)
def test_only_the_example_as_cached_comes_from_the_cache(serve_app, store, first, then) -> None:
    fn, calls = counting()
    options = {
        "examples": [["hola", 3]],
        "additional_inputs": [Slider(0, 10)],
        "cache_examples": True,
        "cache_mode": "lazy",
    }
    client = open_client(serve_app, fn, **options)
    click(client, 0, "hola")  # cached now
    assert len(calls) == 1
    other = open_client(serve_app, fn, **options)
    if first:
        other.send(first)
        other.recv_until("idle")
    other.send({"type": "submit", "id": "u1", "text": "hola", "example": 0, **(then or {})})
    other.recv_until("idle")
    assert len(calls) == 3 if first else len(calls) == 2  # fn ran for it


def test_a_stopped_or_failed_reply_is_not_cached(serve_app, store) -> None:
    def fn(message, history):
        raise RuntimeError("down")

    client = open_client(serve_app, fn, examples=["x"], cache_examples=True, cache_mode="lazy")
    frames = click(client, 0, "x")
    assert any(f["type"] == "error" and f["code"] == "fn_error" for f in frames)
    assert cached_files(store) == []


def test_a_cached_reply_with_a_file_shows_it_again(serve_app, store) -> None:
    def fn(message, history):
        return Image(str(ICON))

    options = {"examples": ["picture"], "cache_examples": True, "cache_mode": "lazy"}
    click(open_client(serve_app, fn, **options), 0, "picture")
    frames = click(open_client(serve_app, fn, **options), 0, "picture")
    reply = frames[1]["message"]
    assert reply["content"]["component"] == "image" and "/chat/files/" in reply["html"]
    saved = json.loads(next(store.glob("cached-examples/*/0.json")).read_text())
    assert saved["messages"][0]["content"]["component"] == "image"


def test_a_submit_that_names_an_example_must_carry_its_text(serve_app) -> None:
    fn, calls = counting()
    client = open_client(serve_app, fn, examples=["hello"], cache_examples=True, cache_mode="lazy")
    client.send({"type": "submit", "id": "u1", "text": "not hello", "example": 0})
    assert client.recv()["code"] == "bad_frame"
    client.send({"type": "submit", "id": "u1", "text": "hello", "example": 5})
    assert client.recv()["code"] == "bad_frame"
    assert calls == []


def test_cache_mode_takes_gradio_s_values_and_environment_variable(monkeypatch) -> None:
    with pytest.raises(OptionsError, match="cache_mode must be 'eager' or 'lazy'"):
        chat_bp(lambda m, h: "ok", examples=["a"], cache_examples=True, cache_mode="sometimes")
    monkeypatch.setenv("GRADIO_CACHE_MODE", "later")
    with pytest.raises(OptionsError, match="not 'later'"):
        chat_bp(lambda m, h: "ok", examples=["a"], cache_examples=True)
    monkeypatch.setenv("GRADIO_CACHE_MODE", "lazy")
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", examples=["a"], cache_examples=True), url_prefix="/chat")
    assert app.test_client().get("/chat/config.json").json["cache_examples"] is True


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_multimodal_example_with_a_file_is_cached_and_its_file_shown(serve_app, store, tmp_path, mode) -> None:
    # Gradio 6.31 crashes caching examples with files; here they cache like any other.
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    calls = []

    def fn(message, history):
        calls.append(message)
        return f"{message['text']}: {[Path(p).name for p in message['files']]} of {Path(message['files'][0]).stat().st_size} bytes"

    options = {
        "multimodal": True,
        "examples": [{"text": "what is it?", "files": [str(picture)]}],
        "cache_examples": True,
        "cache_mode": mode,
    }
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
    for thread in threading.enumerate():  # an eager cache computes in the background
        if thread.name == "flask_chatbot.examples":
            thread.join(10)
    server = serve_app(app)
    for _conversation in range(2):
        client = Client(f"ws://127.0.0.1:{server.port}/chat/socket")
        client.hello()
        frames = click(client, 0, "what is it?")
        shown = [f["message"] for f in frames if f["type"] == "message"]
        assert shown[0]["role"] == "user" and shown[0]["content"]["component"] == "image"  # the example's file
        assert shown[1]["content"] == "what is it?" and shown[1]["id"] == "u1"
        # Computed here (lazy, first time): streamed, ending in a done frame; else shown at once.
        replies = list(final_text(frames).values()) or [shown[-1]["content"]]
        assert replies == ["what is it?: ['cat.png'] of 8 bytes"]
        client.close()
    assert len(calls) == 1 and cached_files(store) == ["0.json"]
