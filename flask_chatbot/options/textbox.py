"""``Textbox``: gr.Textbox's options for the message box, as ``chat_bp(fn, textbox=Textbox(...))``.

A Gradio app builds ``gr.ChatInterface(fn, textbox=gr.Textbox(placeholder="Ask me", lines=2))``;
the same options port unchanged. Each maps onto an option of chat_bp (docs/options.md,
"The message box"), where it is validated with the rest.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..errors import OptionsError

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


# gr.MultimodalTextbox's file options, on top of TEXTBOX_OPTIONS (files/uploads.py checks them).
MULTIMODAL_OPTIONS: dict[str, str] = {
    "file_types": "file_types",
    "file_count": "file_count",
    "max_plain_text_length": "max_plain_text_length",
    "sources": "sources",
}


class Textbox:
    """The message box's options, with gr.Textbox's names::

        chat_bp(respond, textbox=Textbox(placeholder="Ask about Flask", lines=2, max_lines=8))

    Also an additional input (options/inputs.py), as in Gradio: ``Textbox("You are helpful.",
    label="System prompt")``; its ``label`` and ``info`` then show.
    """

    known: dict[str, str] = TEXTBOX_OPTIONS

    def __init__(self, value: str | None = None, **options: Any) -> None:
        kind = type(self).__name__
        for name in options:
            if name not in self.known and name not in IGNORED_TEXTBOX_OPTIONS:
                close = difflib.get_close_matches(name, sorted(self.known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise OptionsError(f"{kind}() got an option flask-chatbot does not know: {name!r}{hint}")
        self.options: dict[str, Any] = {k: v for k, v in options.items() if k in self.known}
        if value is not None:
            self.options["value"] = value
        # Everything given, for an additional input (label and info included).
        self.given: dict[str, Any] = {**options, **({"value": value} if value is not None else {})}
        for name in ("label", "info", "placeholder", "value"):
            if self.given.get(name) is not None and not isinstance(self.given[name], str):
                raise OptionsError(f"{kind}({name}=...) must be a string, not {self.given[name]!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"


class MultimodalTextbox(Textbox):
    """The message box of a multimodal chat, with gr.MultimodalTextbox's names: the
    Textbox's options plus ``file_types``, ``file_count``, ``max_plain_text_length`` and
    ``sources`` (["upload", "microphone"])::

        chat_bp(respond, multimodal=True,
                textbox=MultimodalTextbox(file_types=["image", ".pdf"], file_count="multiple"))

    Giving one makes the chat multimodal, as ``multimodal=True`` does. A ``value`` is text
    only (a ``{"text", "files"}`` value's files are not prefilled).
    """

    known = {**TEXTBOX_OPTIONS, **MULTIMODAL_OPTIONS}

    def __init__(self, value: str | dict[str, Any] | None = None, **options: Any) -> None:
        if isinstance(value, dict):
            value = value.get("text") or None
        super().__init__(value, **options)


def merge_textbox(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """chat_bp's keyword options with those of ``textbox=`` merged in; a setting given in both
    places is an error."""
    merged = dict(kwargs)
    textbox = merged.pop("textbox", None)
    if textbox is None:
        return merged
    if not isinstance(textbox, Textbox):
        raise OptionsError(f"textbox must be a flask_chatbot.Textbox(...) or MultimodalTextbox(...), not {textbox!r}")
    if isinstance(textbox, MultimodalTextbox):
        if merged.get("multimodal") is False:
            raise OptionsError("textbox is a MultimodalTextbox but multimodal=False; drop one of them")
        merged["multimodal"] = True
    for name, value in textbox.options.items():
        option = textbox.known[name]
        if option in merged:
            raise OptionsError(f"{option!r} is given both to chat_bp() and as Textbox({name}=...); give it once")
        merged[option] = value
    return merged
