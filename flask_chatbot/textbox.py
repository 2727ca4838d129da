"""``Textbox``: gr.Textbox's options for the message box, as ``chat_bp(fn, textbox=Textbox(...))``.

A Gradio app builds ``gr.ChatInterface(fn, textbox=gr.Textbox(placeholder="Ask me", lines=2))``;
the same options port unchanged. Each maps onto an option of chat_bp (docs/options.md,
"The message box"), where it is validated with the rest.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .errors import OptionsError

# gr.Textbox's parameters flask-chatbot implements, and the chat_bp option each sets.
TEXTBOX_OPTIONS: dict[str, str] = {
    "value": "textbox_value",
    "placeholder": "textbox_placeholder",
    "lines": "textbox_lines",
    "max_lines": "textbox_max_lines",
    "max_length": "max_message_chars",
    "autofocus": "autofocus",
    "submit_btn": "submit_btn",
    "stop_btn": "stop_btn",
}
# Gradio parameters with nothing to do for a chat's message box: accepted and ignored.
IGNORED_TEXTBOX_OPTIONS: frozenset[str] = frozenset(
    """type label info every inputs show_label container scale min_width interactive visible elem_id
    elem_classes render key autoscroll text_align rtl show_copy_button html_attributes
    preserved_by_key""".split()
)


class Textbox:
    """The message box's options, with gr.Textbox's names::

        chat_bp(respond, textbox=Textbox(placeholder="Ask about Flask", lines=2, max_lines=8))

    Also an additional input (inputs.py), as in Gradio: ``Textbox("You are helpful.",
    label="System prompt")``; its ``label`` and ``info`` then show.
    """

    def __init__(self, value: str | None = None, **options: Any) -> None:
        for name in options:
            if name not in TEXTBOX_OPTIONS and name not in IGNORED_TEXTBOX_OPTIONS:
                close = difflib.get_close_matches(name, sorted(TEXTBOX_OPTIONS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise OptionsError(f"Textbox() got an option flask-chatbot does not know: {name!r}{hint}")
        self.options: dict[str, Any] = {k: v for k, v in options.items() if k in TEXTBOX_OPTIONS}
        if value is not None:
            self.options["value"] = value
        # Everything given, for an additional input (label and info included).
        self.given: dict[str, Any] = {**options, **({"value": value} if value is not None else {})}
        for name in ("label", "info", "placeholder", "value"):
            if self.given.get(name) is not None and not isinstance(self.given[name], str):
                raise OptionsError(f"Textbox({name}=...) must be a string, not {self.given[name]!r}")

    def __repr__(self) -> str:
        return f"Textbox({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"


def merge_textbox(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """chat_bp's keyword options with those of ``textbox=`` merged in; a setting given in both
    places is an error."""
    merged = dict(kwargs)
    textbox = merged.pop("textbox", None)
    if textbox is None:
        return merged
    if not isinstance(textbox, Textbox):
        raise OptionsError(f"textbox must be a flask_chatbot.Textbox(...), not {textbox!r}")
    for name, value in textbox.options.items():
        option = TEXTBOX_OPTIONS[name]
        if option in merged:
            raise OptionsError(f"{option!r} is given both to chat_bp() and as Textbox({name}=...); give it once")
        merged[option] = value
    return merged
