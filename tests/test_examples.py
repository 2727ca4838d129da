"""Examples (issue 7's example_select; the cards themselves are issue 8's foundation): the
forms Gradio takes, what config.json gives the element, and what example_select receives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_chatbot import Chatbot, OptionsError, SelectData, Slider, Textbox, chat_bp

ICON = Path(__file__).resolve().parent.parent / "sample_app" / "static" / "bot.png"


def config(fn: Any = lambda m, h: "ok", **options: Any) -> dict[str, Any]:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
    return app.test_client().get("/chat/config.json").json


def test_chat_interface_examples_with_labels_and_icons_reach_the_element() -> None:
    got = config(examples=["hello", "hola"], example_labels=["Say hello", None], example_icons=[str(ICON), None])
    first, second = got["examples"]
    assert first["text"] == "hello" and first["label"] == "Say hello"
    assert first["icon"].startswith("/chat/files/")  # served by id, never by path
    assert second == {"text": "hola", "label": None, "icon": None}
    assert got["run_examples_on_click"] is True
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", examples=["x"], example_icons=[str(ICON)]), url_prefix="/chat")
    client = app.test_client()
    icon = client.get(client.get("/chat/config.json").json["examples"][0]["icon"])
    assert icon.status_code == 200 and icon.data == ICON.read_bytes()


def test_gradio_5_s_forms_port_unchanged() -> None:
    multimodal_dicts = config(examples=[{"text": "hi", "files": []}], run_examples_on_click=False)
    assert multimodal_dicts["examples"] == [{"text": "hi", "label": None, "icon": None}]
    assert multimodal_dicts["run_examples_on_click"] is False
    chatbot = Chatbot(
        examples=[{"text": "What is 2+2?", "display_text": "Arithmetic", "icon": "https://example.com/i.png"}]
    )
    assert config(chatbot=chatbot)["examples"] == [
        {"text": "What is 2+2?", "label": "Arithmetic", "icon": "https://example.com/i.png"}
    ]
    assert config()["examples"] == []


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"examples": "hello"}, "must be a list"),
        ({"examples": ["a", "b"], "example_labels": ["one"]}, "1 entries for 2 examples"),
        ({"examples": ["a"], "example_icons": "x.png"}, "example_icons must be a list"),
        ({"examples": [{"text": "see", "files": ["cat.png"]}]}, "examples with files need a multimodal chat"),
        ({"examples": [["hi", 0.5]]}, "this chat has none"),
        (
            {"examples": [["hi", 50]], "additional_inputs": [Slider(0, 10)], "fn": lambda m, h, x: "ok"},
            "50 is outside 0–10",
        ),
        (
            {"examples": [["hi"]], "additional_inputs": [Slider(0, 10)], "fn": lambda m, h, x: "ok"},
            "needs a message and 1 values",
        ),
        ({"examples": [{"txt": "typo"}]}, "'text'"),
        ({"examples": ["a"], "example_icons": ["/no/such/icon.png"]}, "example_icons: cannot use"),
        ({"examples": ["a"], "run_examples_on_click": "yes"}, "run_examples_on_click"),
    ],
)
def test_a_wrong_example_option_says_what_to_change(options: dict[str, Any], says: str) -> None:
    with pytest.raises(OptionsError, match=says):
        config(**options)


def test_clicking_an_example_tells_example_select_which_and_what(connect) -> None:
    chatbot, seen = Chatbot(), []
    chatbot.example_select(lambda data: seen.append(data))
    client = connect(lambda m, h: f"re {m}", chatbot=chatbot, examples=["hello", "hola"])
    client.send({"type": "example", "index": 1})
    client.send({"type": "example", "index": 2})
    assert client.recv() == {
        "type": "error",
        "code": "bad_frame",
        "message": "example.index: there are 2 examples, not 3",
    }
    client.send({"type": "example", "index": -1})
    assert client.recv()["code"] == "bad_frame"
    assert seen == [SelectData(1, {"text": "hola", "files": []}, True)]
    client.turn("hola", "u1")  # the element sends the text next: an ordinary message


def test_with_additional_inputs_an_example_carries_a_value_for_each() -> None:
    got = config(
        lambda m, h, prompt, tokens: "ok",
        additional_inputs=[Textbox(label="Prompt"), Slider(10, 100)],
        examples=[["Ahoy", "You are a pirate.", 60], "Plain"],
    )
    assert got["examples"] == [
        {"text": "Ahoy", "label": None, "icon": None, "inputs": ["You are a pirate.", 60]},
        {"text": "Plain", "label": None, "icon": None},
    ]
