"""``Chatbot``: gr.Chatbot's display options, passed as ``chat_bp(fn, chatbot=Chatbot(...))``.

A Gradio app builds ``gr.ChatInterface(fn, chatbot=gr.Chatbot(height=500, ...))``; the
same options port here unchanged. They end up in :class:`~flask_chatbot.options.chat_options.ChatOptions`
beside chat_bp's own, where they are validated; docs/options.md lists them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import OptionsError
from .event_data import EVENTS

# gr.Chatbot's parameters that flask-chatbot implements (names as in Gradio).
CHATBOT_OPTIONS: frozenset[str] = frozenset(
    """value type label show_label height min_height max_height resizable elem_id elem_classes
    placeholder avatar_images layout group_consecutive_messages rtl autoscroll render_markdown
    sanitize_html allow_tags line_breaks latex_delimiters reasoning_tags buttons
    show_copy_button show_copy_all_button watermark allow_file_downloads like_user_message
    feedback_options feedback_value editable examples""".split()
)
# Gradio parameters with nothing to do outside a Gradio app: accepted and ignored, so a
# port does not have to delete them.
IGNORED_OPTIONS: frozenset[str] = frozenset(
    """container scale min_width visible render key every inputs show_share_button bubble_full_width
    preserved_by_key likeable""".split()  # likeable: the thumbs show when a like listener is there
)


class Chatbot:
    """The conversation's display options, with gr.Chatbot's names::

        chat_bp(respond, chatbot=Chatbot(height=600, layout="panel", buttons=["copy", "copy_all"]))

    ``Chatbot(value=[...])`` is the conversation a new page starts with; a callable is run
    on every page load. Options Gradio has but a Flask page does not need (``scale``,
    ``container``...) are accepted and ignored.
    """

    def __init__(self, value: Any = None, **options: Any) -> None:
        for name in options:
            if name not in CHATBOT_OPTIONS and name not in IGNORED_OPTIONS:
                close = difflib.get_close_matches(name, sorted(CHATBOT_OPTIONS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise OptionsError(f"Chatbot() got an option flask-chatbot does not know: {name!r}{hint}")
        if options.get("type", "messages") != "messages":
            raise OptionsError("Chatbot(type=...) must be 'messages': the 'tuples' format is not supported")
        self.options: dict[str, Any] = {k: v for k, v in options.items() if k in CHATBOT_OPTIONS and k != "type"}
        if value is not None:
            self.options["value"] = value
        self.listeners: dict[str, list[Callable[..., Any]]] = {event: [] for event in EVENTS}

    def __repr__(self) -> str:
        return f"Chatbot({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def _listen(self, event: str, fn: Callable[..., Any] | None) -> Any:
        def register(listener: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(listener):
                raise OptionsError(f"Chatbot.{event}() needs a function, not {listener!r}")
            self.listeners[event].append(listener)
            return listener

        return register if fn is None else register(fn)

    # Gradio's listeners: chatbot.like(fn, inputs, outputs) or @chatbot.like. inputs and
    # outputs have no meaning outside a Gradio app: fn gets the event data (and the history
    # when it takes two arguments) and may return nothing.
    def like(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """Thumbs up or down (or another feedback option) on a message: ``fn(LikeData)``."""
        return self._listen("like", fn)

    def retry(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """The last reply is generated again: ``fn(RetryData)``."""
        return self._listen("retry", fn)

    def undo(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """The last exchange is taken back: ``fn(UndoData)``."""
        return self._listen("undo", fn)

    def edit(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """A past message was edited: ``fn(EditData)``."""
        return self._listen("edit", fn)

    def clear(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """The conversation was cleared: ``fn()``."""
        return self._listen("clear", fn)

    def copy(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """A message was copied: ``fn(CopyData)``."""
        return self._listen("copy", fn)

    def select(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """A message was selected: ``fn(SelectData)``."""
        return self._listen("select", fn)

    def option_select(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """A preset reply was clicked: ``fn(SelectData)`` (``value``: the option's value)."""
        return self._listen("option_select", fn)

    def example_select(self, fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """An example was clicked: ``fn(SelectData)``."""
        return self._listen("example_select", fn)


def merge_chatbot(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """chat_bp's keyword options with those of ``chatbot=`` merged in; a name given in both
    places is an error (which one should win is not obvious)."""
    merged = dict(kwargs)
    chatbot = merged.pop("chatbot", None)
    if chatbot is None:
        options: dict[str, Any] = {}
    elif isinstance(chatbot, Chatbot):
        options = dict(chatbot.options)
    else:
        raise OptionsError(f"chatbot must be a flask_chatbot.Chatbot(...), not {chatbot!r}")
    # Gradio 5's spellings of the copy buttons adjust the default ("copy") or the given list.
    if "buttons" in options and "buttons" in merged:
        raise OptionsError("'buttons' is given both to chat_bp() and to Chatbot(); give it once")
    given = options.pop("buttons", None)
    if given is None:
        given = merged.pop("buttons", None)
    buttons = ["copy"] if given is None else list(given)
    spelled = False
    for old, button in (("show_copy_button", "copy"), ("show_copy_all_button", "copy_all")):
        for source in (options, merged):
            if old not in source:
                continue
            spelled = True
            if source.pop(old):
                if button not in buttons:
                    buttons.append(button)
            elif button in buttons:
                buttons.remove(button)
    if given is not None or spelled:
        merged["buttons"] = tuple(buttons)
    for name, value in options.items():
        if name in merged:
            raise OptionsError(f"{name!r} is given both to chat_bp() and to Chatbot(); give it once")
        merged[name] = value
    return merged
