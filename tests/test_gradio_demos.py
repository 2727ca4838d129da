"""Gradio's chat demos that display thoughts, nested thoughts, reasoning, options and files,
ported by changing imports (sample_app/gradio_demos/), run over a real socket."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from live import Client

from sample_app.gradio_demos import (
    artifacts,
    echo,
    editable,
    like,
    multimodal_echo,
    nested_thoughts,
    options,
    reasoning_tags,
    retry_undo_like,
    streaming_echo,
    system_prompt,
    thoughts,
    validator,
)


@pytest.fixture
def demo(serve_app: Callable[[Flask], Any], monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], Client]:
    def open_(module: Any) -> Client:
        for name in ("sleep_time", "long_sleep_time"):  # the demos pace themselves for people
            if hasattr(module, name):
                monkeypatch.setattr(module, name, 0)
        app = Flask(__name__)
        app.register_blueprint(module.blueprint(), url_prefix="/demo")
        server = serve_app(app)
        client = Client(f"ws://127.0.0.1:{server.port}/demo/socket")
        assert client.hello()["type"] == "welcome"
        return client

    return open_


def finals(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "done"]


def test_thoughts_demo_ends_with_a_done_thought_with_its_duration_then_the_answer(demo) -> None:
    done = finals(demo(thoughts).turn("Why?"))
    assert [d["status"] for d in done] == ["done", "done"]
    meta = done[0]["metadata"]
    assert meta["title"] == "_Thinking_ step-by-step" and meta["status"] == "done" and meta["duration"] >= 0
    assert done[0]["title_html"] == "<em>Thinking</em> step-by-step"
    assert done[0]["content"].startswith("- First, I need") and done[1]["content"].startswith("Based on my thoughts")


def test_nested_thoughts_demo_keeps_ids_parents_and_final_statuses(demo) -> None:
    done = finals(demo(nested_thoughts).turn("weather?"))
    metas = [d.get("metadata", {}) for d in done]
    assert [(m.get("id"), m.get("parent_id")) for m in metas] == [
        (None, None),
        (1, None),
        (2, 1),
        (3, 1),
        (4, 3),
        (None, None),
    ]
    assert metas[1]["status"] == "done" and metas[3]["status"] == "done"
    assert done[-1]["content"].startswith("Based on the data only from weather.com")


def test_options_demo_offers_choices_and_a_choice_runs_fn(demo) -> None:
    client = demo(options)
    [first] = finals(client.turn("hi", "u1"))
    assert first["options"] == [
        {"value": "Python", "label": "🐍 Python"},
        {"value": "JavaScript", "label": "JavaScript"},
    ]
    [second] = finals(client.turn("Python", "u2"))  # what clicking the option sends
    assert second["content"] == "Python it is. Good choice!"


def test_reasoning_tags_demo_shows_a_reasoning_thought_then_the_answer(demo) -> None:
    done = finals(demo(reasoning_tags).turn("hello"))
    assert [(d["content"].strip(), d.get("metadata")) for d in done] == [
        ("The user greets me. A short, friendly answer fits.", {"title": "Reasoning", "status": "done"}),
        ("Hello! How can I help you today?", None),
    ]


def test_multimodal_echo_demo_answers_the_text_of_a_message_with_a_file(serve_app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CHATBOT_UPLOAD_DIR", str(tmp_path))
    app = Flask(__name__)
    app.register_blueprint(multimodal_echo.blueprint(), url_prefix="/demo")
    server = serve_app(app)
    client = Client(f"ws://127.0.0.1:{server.port}/demo/socket")
    key = client.hello()["upload_key"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/demo/upload?name=cat.png", body=b"\x89PNG", headers={"X-Chatbot-Upload-Key": key})
    file_id = json.loads(connection.getresponse().read())["id"]
    client.send({"type": "submit", "id": "u1", "text": "meow", "files": [file_id]})
    frames = client.recv_until("idle")
    shown = [f["message"] for f in frames if f["type"] == "message"]
    assert [m["role"] for m in shown[:2]] == ["user", "user"] and shown[0]["content"]["component"] == "image"
    assert [d["content"] for d in finals(frames)] == ["meow"]
    client.close()


def test_like_demo_reports_votes_to_its_listener(demo, monkeypatch) -> None:
    monkeypatch.setattr(like, "votes", [])
    client = demo(like)
    [reply] = finals(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply["id"], "value": "Like"})
    client.send({"type": "like", "id": reply["id"], "value": "Dislike"})
    client.turn("bye", "u2")  # the likes before it are handled once this turn is over
    assert like.votes == ["You upvoted this response: You said: hi", "You downvoted this response: You said: hi"]


def test_gradio_5_s_like_demo_reading_value_value_ports_unchanged(demo, monkeypatch) -> None:
    def vote(data):  # as written for Gradio 5
        like.votes.append(("up" if data.liked else "down") + ": " + data.value["value"])

    monkeypatch.setattr(like, "votes", [])
    monkeypatch.setattr(like, "vote", vote)
    client = demo(like)
    [reply] = finals(client.turn("hi", "u1"))
    client.send({"type": "like", "id": reply["id"], "value": "Like"})
    client.turn("bye", "u2")
    assert like.votes == ["up: You said: hi"]


def test_retry_undo_like_demo_s_own_listeners_leave_retry_and_undo_to_chat_bp(demo, monkeypatch) -> None:
    monkeypatch.setattr(retry_undo_like, "printed", [])
    monkeypatch.setattr(retry_undo_like, "answers", {"n": 0})
    client = demo(retry_undo_like)
    client.turn("first", "u1")
    [reply] = finals(client.turn("second", "u2"))
    client.send({"type": "like", "id": reply["id"], "value": "Like"})
    client.send({"type": "retry"})
    frames = client.recv_until("idle")
    # handle_retry is a generator: no conversation of its own; chat_bp answered again.
    assert [f["type"] for f in frames if f["type"] in ("conversation", "error")] == []
    assert finals(frames)[-1]["content"] == "Answer 3: you asked 'second' after 2 messages."
    client.send({"type": "undo"})
    frames = client.recv_until("remove") + [client.recv()]
    # handle_undo returns what undo left, and the prompt: nothing more changes.
    assert [f["type"] for f in frames] == ["remove", "remove"]
    [again] = finals(client.turn("third", "u3"))
    assert again["content"] == "Answer 4: you asked 'third' after 2 messages."
    assert retry_undo_like.printed == ["You upvoted this response: Answer 2: you asked 'second' after 2 messages."]


def test_editable_demo_reports_each_edit_and_regenerates(demo, monkeypatch) -> None:
    monkeypatch.setattr(editable, "edited_messages", [])
    client = demo(editable)
    client.turn("I'm a user", "u1")
    client.send({"type": "edit", "id": "u1", "text": "I'm an editor", "new_id": "u1b"})
    frames = client.recv_until("idle")
    assert frames[0]["message"]["content"] == "I'm an editor"
    assert [f["content"] for f in finals(frames)] == ["I'm a bot"]
    assert editable.edited_messages == ["from I'm a user to I'm an editor at 0"]


def test_validator_demo_refuses_error_and_answers_the_rest(demo) -> None:
    client = demo(validator)
    client.send({"type": "submit", "id": "u1", "text": "error"})
    assert client.recv() == {"type": "error", "code": "invalid", "message": "Can't be error"}
    [reply] = finals(client.turn("hey", "u2"))
    assert reply["content"] == "You typed: hey"


def test_system_prompt_demo_gets_its_additional_inputs(demo) -> None:
    client = demo(system_prompt)
    client.send({"type": "submit", "id": "u1", "text": "Ahoy", "inputs": ["You are a pirate.", 100]})
    [reply] = finals(client.recv_until("idle"))
    assert reply["content"] == "System prompt: You are a pirate.\n Message: Ahoy."
    [short] = finals(client.turn("Hi", "u2"))  # the slider's value stays: still 100
    assert short["content"] == "System prompt: You are a pirate.\n Message: Hi."


def test_artifacts_demo_returns_code_beside_its_reply(demo) -> None:
    client = demo(artifacts)
    frames = client.turn("Python", "u1")
    [output] = [f for f in frames if f["type"] == "output"]
    assert output["index"] == 0 and "def fib(n):" in output["value"] and 'data-language="python"' in output["html"]
    assert finals(frames)[0]["content"] == "Type Python or JavaScript to see the code."
    [cleared] = [f for f in client.turn("Rust?", "u2") if f["type"] == "output"]
    assert cleared["html"] == ""


def test_echo_demo_of_the_docs_offers_its_examples_and_echoes(demo, serve_app) -> None:
    app = Flask(__name__)
    app.register_blueprint(echo.blueprint(), url_prefix="/demo")
    assert [e["text"] for e in app.test_client().get("/demo/config.json").json["examples"]] == [
        "hello",
        "hola",
        "merhaba",
    ]
    client = demo(echo)
    client.send({"type": "example", "index": 1})
    client.send({"type": "submit", "id": "u1", "text": "hola", "example": 1})
    assert [f["content"] for f in finals(client.recv_until("idle"))] == ["hola"]


def test_streaming_echo_demo_types_the_message_back(demo) -> None:
    assert finals(demo(streaming_echo).turn("hey"))[-1]["content"] == "You typed: hey"
