"""additional_outputs: fn returns (reply, *values); each value that changed reaches the element
as an `output` frame with its sanitized HTML, the reply goes on as usual (issue 8)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from flask_chatbot import HTML, JSON, Code, Markdown, OptionsError, Textbox, chat_bp
from flask_chatbot.protocol.frames import SERVER_SCHEMAS

OUTPUTS = [Code(language="python", label="Code"), Markdown(label="Notes"), Textbox(label="Plain"), JSON(label="Data")]


def outputs(frames: list[dict[str, Any]]) -> list[tuple[int, str, Any]]:
    for frame in frames:
        if frame["type"] == "output":
            assert SERVER_SCHEMAS["output"].validate(frame) == {}
    return [(f["index"], f["html"], f["value"]) for f in frames if f["type"] == "output"]


def test_each_value_is_shown_as_its_output_and_the_reply_goes_on(connect) -> None:
    def fn(message, history):
        return "Done.", "print('hi')", "**bold** <script>x</script>", "<b>not html</b>", {"a": [1, 2]}

    frames = connect(fn, additional_outputs=OUTPUTS).turn("go", "u1")
    code, notes, plain, data = outputs(frames)
    assert code[0] == 0 and 'data-language="python"' in code[1] and code[2] == "print('hi')"
    assert notes[1] == "<p><strong>bold</strong> </p>"  # Markdown, sanitized: the script and its text gone
    assert plain[1] == '<p class="output-text">&lt;b&gt;not html&lt;/b&gt;</p>'  # a Textbox shows text as text
    assert data[0] == 3 and 'data-language="json"' in data[1] and data[2] is None
    assert [f["content"] for f in frames if f["type"] == "done"] == ["Done."]


def test_only_values_that_changed_are_sent_and_none_clears_an_output(connect) -> None:
    seen_first, release = threading.Event(), threading.Event()

    def fn(message, history):
        yield "a", "x = 1", "first"
        release.wait(10)  # the test has seen the first outputs: each yield below is its own
        yield "ab", "x = 1", "second"  # the code is unchanged: only the notes go
        seen_first.wait(10)
        yield "abc", None, "second"

    client = connect(fn, additional_outputs=OUTPUTS[:2])
    client.send({"type": "submit", "id": "u1", "text": "go"})
    frames = []
    while len(outputs(frames)) < 2:
        frames.append(client.recv())
    release.set()
    while len(outputs(frames)) < 3:
        frames.append(client.recv())
    seen_first.set()
    frames += client.recv_until("idle")
    assert [(index, value) for index, _, value in outputs(frames)] == [
        (0, "x = 1"),
        (1, "first"),
        (1, "second"),
        (0, None),
    ]
    assert outputs(frames)[-1][1] == ""  # cleared


def test_a_component_fn_returns_is_shown_as_itself(connect) -> None:
    def fn(message, history):
        return "Here.", Code("SELECT 1", language="sql"), HTML("<em>hi</em>")

    frames = connect(fn, additional_outputs=[Code(label="Code"), HTML(label="Page")]).turn("go", "u1")
    (_, code, value), (_, page, _) = outputs(frames)
    assert 'data-language="sql"' in code and value == "SELECT 1"
    assert "<em>hi</em>" in page


def test_a_reply_without_the_outputs_leaves_them_as_they_were(connect) -> None:
    calls = []

    def fn(message, history):
        calls.append(message)
        return ("With code.", "x = 1") if message == "code" else "Just text."

    client = connect(fn, additional_outputs=[Code(label="Code")])
    assert [v for _, _, v in outputs(client.turn("code", "u1"))] == ["x = 1"]
    frames = client.turn("text", "u2")
    assert outputs(frames) == [] and [f["content"] for f in frames if f["type"] == "done"] == ["Just text."]


def test_config_lists_the_outputs_and_the_page_shows_them_beside_the_chat() -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", additional_outputs=OUTPUTS), url_prefix="/chat")
    app.register_blueprint(chat_bp(lambda m, h: "ok", name="plain"), url_prefix="/plain")
    client = app.test_client()
    assert client.get("/chat/config.json").json["additional_outputs"] == [
        {"type": "code", "label": "Code"},
        {"type": "markdown", "label": "Notes"},
        {"type": "textbox", "label": "Plain"},
        {"type": "json", "label": "Data"},
    ]
    assert b"show-outputs" in client.get("/chat/").data
    assert b"show-outputs" not in client.get("/plain/").data
    assert client.get("/plain/config.json").json["additional_outputs"] == []


def test_an_output_that_is_not_a_component_is_refused_at_start_up() -> None:
    with pytest.raises(OptionsError, match="additional_outputs takes"):
        chat_bp(lambda m, h: "ok", additional_outputs=["code"])
