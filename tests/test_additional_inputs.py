"""additional_inputs: the values of controls beside the message box reach fn after the history,
checked on the server; a wrong value is refused with the input's name (issue 8)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_chatbot import (
    Accordion,
    Checkbox,
    CheckboxGroup,
    Dropdown,
    Number,
    OptionsError,
    Radio,
    Slider,
    Textbox,
    chat_bp,
    validate,
)

ALL = [
    Textbox("You are helpful.", label="System prompt", max_length=50),
    Slider(0, 1, value=0.7, step=0.1, label="Temperature"),
    Number(3, minimum=1, maximum=10, precision=0),
    Checkbox(True, label="Stream"),
    Dropdown(["fast", "slow"], value="fast", label="Model"),
    Radio([("Short", "s"), ("Long", "l")], value="s", label="Length", type="index"),
    CheckboxGroup(["web", "docs"], value=["docs"], label="Sources"),
]


def recorder():
    calls: list[tuple[Any, ...]] = []

    def fn(message, history, *values):
        calls.append((message, *values))
        return "ok"

    return fn, calls


def config(fn, **options: Any) -> dict[str, Any]:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(fn, **options), url_prefix="/chat")
    return app.test_client().get("/chat/config.json").json


def test_the_values_reach_fn_after_the_history_in_order(connect) -> None:
    fn, calls = recorder()
    client = connect(fn, additional_inputs=ALL)
    client.send(
        {
            "type": "submit",
            "id": "u1",
            "text": "hi",
            "inputs": ["Be brief.", 0.2, 7.4, False, "slow", "l", ["web", "docs"]],
        }
    )
    client.recv_until("idle")
    assert calls == [("hi", "Be brief.", 0.2, 7, False, "slow", 1, ["web", "docs"])]  # precision 0, type="index"
    client.turn("again", "u2")  # no inputs in the frame: those of the last message
    assert calls[-1] == ("again", "Be brief.", 0.2, 7, False, "slow", 1, ["web", "docs"])


def test_before_any_value_is_sent_fn_gets_the_defaults(connect) -> None:
    fn, calls = recorder()
    client = connect(fn, additional_inputs=ALL)
    client.turn("hi", "u1")
    assert calls == [("hi", "You are helpful.", 0.7, 3, True, "fast", 0, ["docs"])]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (["x" * 51, 0.5, 3, True, "fast", "s", []], "System prompt: has 51 characters; the limit is 50"),
        (["ok", 1.5, 3, True, "fast", "s", []], "Temperature: 1.5 is outside 0–1"),
        (["ok", "0.5", 3, True, "fast", "s", []], "Temperature: must be a number, not '0.5'"),
        (["ok", 0.5, 11, True, "fast", "s", []], "input 3: 11 is outside 1–10"),
        (["ok", 0.5, 3, "yes", "fast", "s", []], "Stream: must be true or false, not 'yes'"),
        (["ok", 0.5, 3, True, "medium", "s", []], "Model: 'medium' is not one of the choices"),
        (["ok", 0.5, 3, True, "fast", "Short", []], "Length: 'Short' is not one of the choices"),
        (["ok", 0.5, 3, True, "fast", "s", ["web", "web"]], "Sources: holds a choice twice"),
        (["ok", 0.5, 3, True, "fast", "s", "web"], "Sources: must be a list of choices, not 'web'"),
        (["ok"], "there are 7 additional inputs, not 1 values"),
    ],
)
def test_a_wrong_value_is_refused_with_the_input_s_name_and_fn_is_not_called(connect, values, reason) -> None:
    fn, calls = recorder()
    client = connect(fn, additional_inputs=ALL)
    client.send({"type": "submit", "id": "u1", "text": "hi", "inputs": values})
    assert client.recv() == {"type": "error", "code": "invalid", "message": reason}
    assert calls == []
    client.turn("next", "u2")  # the conversation goes on, with the defaults
    assert calls == [("next", "You are helpful.", 0.7, 3, True, "fast", 0, ["docs"])]


def test_retry_and_edit_send_the_values_of_now_and_the_validator_gets_them(connect) -> None:
    fn, calls = recorder()
    seen = []

    def check(message, prompt):
        seen.append((message, prompt))
        return validate(prompt != "forbidden", "Not that prompt.")

    client = connect(fn, additional_inputs=[Textbox("start")], validator=check, editable=True)
    client.turn("hi", "u1")
    client.send({"type": "retry", "inputs": ["changed"]})
    client.recv_until("idle")
    client.send({"type": "edit", "id": "u1", "text": "hello", "new_id": "u1b", "inputs": ["edited"]})
    client.recv_until("idle")
    client.send({"type": "submit", "id": "u2", "text": "x", "inputs": ["forbidden"]})
    assert client.recv() == {"type": "error", "code": "invalid", "message": "Not that prompt."}
    assert calls == [("hi", "start"), ("hi", "changed"), ("hello", "edited")]
    assert seen == [("hi", "start"), ("hello", "edited"), ("x", "forbidden")]


def test_a_refused_message_leaves_the_values_of_the_last_one(connect) -> None:
    fn, calls = recorder()

    def check(message, prompt):
        return validate(message != "no", "Not that.")

    client = connect(fn, additional_inputs=[Textbox("start")], validator=check, editable=True)
    client.turn("hi", "u1")
    client.send({"type": "submit", "id": "u2", "text": "no", "inputs": ["from the refused submit"]})
    assert client.recv()["code"] == "invalid"
    client.send({"type": "edit", "id": "u1", "text": "no", "new_id": "u1b", "inputs": ["from the refused edit"]})
    assert client.recv()["code"] == "invalid"
    client.send({"type": "submit", "id": "u1", "text": "taken id", "inputs": ["from a duplicate id"]})
    assert client.recv()["code"] == "bad_frame"
    client.turn("again", "u3")  # no values sent: those of the last message taken
    assert calls == [("hi", "start"), ("again", "start")]


def test_config_describes_each_input_and_names_unlabelled_ones_after_fn_s_parameters() -> None:
    def respond(message, history, system_prompt, max_tokens, flag):
        return "ok"

    got = config(
        respond,
        additional_inputs=["textbox", Slider(10, 100), Checkbox(label="Flag it")],
        additional_inputs_accordion=Accordion("Settings", open=True),
    )
    textbox, slider, checkbox = got["additional_inputs"]
    assert textbox == {
        "type": "textbox",
        "label": "System prompt",
        "info": None,
        "value": "",
        "placeholder": None,
        "lines": 1,
        "max_lines": None,
    }
    assert slider == {
        "type": "slider",
        "label": "Max tokens",
        "info": None,
        "value": 10,
        "minimum": 10,
        "maximum": 100,
        "step": 1,
    }
    assert checkbox["label"] == "Flag it"
    assert got["additional_inputs_accordion"] == {"label": "Settings", "open": True}
    assert config(lambda m, h: "ok")["additional_inputs"] == []
    assert config(respond, additional_inputs=["text", "slider", "checkbox"], additional_inputs_accordion="More")[
        "additional_inputs_accordion"
    ] == {"label": "More", "open": False}


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (
            lambda: chat_bp(lambda m, h: "ok", additional_inputs=["slider"]),
            r"fn must accept 3 arguments, \(message, history, input1\)",
        ),
        (lambda: chat_bp(lambda m, h, x: "ok", additional_inputs=["sliders"]), "did you mean 'slider'"),
        (lambda: chat_bp(lambda m, h, x: "ok", additional_inputs=[object()]), "additional_inputs takes Textbox"),
        (lambda: Slider(5, 5), "maximum"),
        (lambda: Slider(0, 10, value=11), "outside"),
        (lambda: Dropdown(["a"], value="b"), "not one of the choices"),
        (lambda: Dropdown(["a"], allow_custom_value=True), "allow_custom_value"),
        (lambda: Radio([{"no": "dicts"}]), "a choice is a string or number"),
        (lambda: Checkbox("yes"), "True or False"),
        (lambda: Number(precision=-1), "precision"),
        (lambda: Slider(0, 10, colour="red"), "'colour'"),
        (
            lambda: chat_bp(lambda m, h, x: "ok", additional_inputs=["slider"], additional_inputs_accordion=3),
            "Accordion",
        ),
    ],
)
def test_a_wrong_input_says_what_to_change_at_start_up(make, says) -> None:
    with pytest.raises(OptionsError, match=says):
        make()


def test_gradio_s_ignored_options_are_accepted() -> None:
    Slider(0, 10, scale=2, interactive=True, visible=True, elem_id="s", show_reset_button=False)
    Textbox(label="x", container=False, show_copy_button=True)
