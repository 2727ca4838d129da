"""textbox=Textbox(...): gr.Textbox's options for the message box, merged into chat_bp's."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_chatbot import OptionsError, Textbox, chat_bp


def config(**options: Any) -> dict[str, Any]:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: "ok", **options), url_prefix="/chat")
    return app.test_client().get("/chat/config.json").json


def test_a_gradio_textbox_ports_unchanged() -> None:
    got = config(
        textbox=Textbox(
            value="Hi",
            placeholder="Ask me",
            lines=2,
            max_lines=6,
            max_length=300,
            autofocus=False,
            submit_btn="Ask",
            stop_btn=False,
            label="ignored",
            scale=7,
        )
    )
    assert (got["textbox_value"], got["textbox_placeholder"], got["textbox_lines"], got["textbox_max_lines"]) == (
        "Hi",
        "Ask me",
        2,
        6,
    )
    assert (got["max_message_chars"], got["autofocus"], got["submit_btn"], got["stop_btn"]) == (
        300,
        False,
        "Ask",
        False,
    )


def test_defaults_without_a_textbox() -> None:
    got = config()
    assert (got["textbox_value"], got["textbox_lines"], got["textbox_max_lines"]) == ("", 1, None)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"textbox": Textbox(placeholder="a"), "textbox_placeholder": "b"}, "given both"),
        ({"textbox": "a textbox"}, "must be a flask_chatbot.Textbox"),
        ({"textbox": Textbox(lines=0)}, "textbox_lines must be a number of lines"),
        ({"textbox": Textbox(lines=4, max_lines=2)}, "less than textbox_lines"),
        ({"textbox": Textbox(max_length=0)}, "max_message_chars"),
    ],
)
def test_a_wrong_textbox_says_what_to_change(options: dict[str, Any], says: str) -> None:
    with pytest.raises(OptionsError, match=says):
        config(**options)


def test_a_textbox_of_the_wrong_type_is_refused_when_made() -> None:
    with pytest.raises(OptionsError, match="Textbox\\(value=...\\) must be a string"):
        Textbox(value=3)


def test_an_unknown_textbox_option_gets_a_hint() -> None:
    with pytest.raises(OptionsError, match="did you mean 'max_lines'"):
        Textbox(max_line=3)
