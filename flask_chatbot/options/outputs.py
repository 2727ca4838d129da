"""Additional outputs: values fn returns beside its reply, shown outside the conversation.

As gr.ChatInterface's ``additional_outputs``: fn returns or yields ``(response, *values)``,
one value per output component, and each value that changed goes to the element as an
``output`` frame with its HTML (rendered and sanitized here, as message content is). The
element dispatches ``chat-bot-output`` for the page, and the standalone page shows them
beside the chat::

    chat_bp(chat, additional_outputs=[Code(language="python", label="Artifact")])

    def chat(message, history):
        return "Here is the code.", Code(python_source, language="python")
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Sequence
from typing import Any

from ..content.components import COMPONENTS, Code, Component
from ..errors import OptionsError
from ..protocol import frames as protocol
from .textbox import Textbox

_NOTHING = object()


class Markdown:
    """An output that shows Markdown (gr.Markdown): ``Markdown(label="Notes")``; fn gives a str."""

    def __init__(self, value: str | None = None, *, label: str | None = None, **ignored: Any) -> None:
        self.value, self.label = value, label


class JSON:
    """An output that shows a value as indented JSON (gr.JSON)."""

    def __init__(self, value: Any = None, *, label: str | None = None, **ignored: Any) -> None:
        self.value, self.label = value, label


OUTPUT_TYPES: tuple[type, ...] = (Markdown, JSON, Textbox, *COMPONENTS.values())


def parse_additional_outputs(outputs: Any) -> tuple[Any, ...]:
    """``additional_outputs``: one output component or a list of them."""
    if outputs is None:
        return ()
    items = [outputs] if isinstance(outputs, OUTPUT_TYPES) else list(outputs)
    for item in items:
        if not isinstance(item, OUTPUT_TYPES):
            raise OptionsError(
                "additional_outputs takes Markdown, JSON, Textbox, Code, HTML, Image, Gallery, Dataframe, "
                f"Plot, Audio, Video or File components, not {item!r}"
            )
    return tuple(items)


def describe(component: Any) -> dict[str, Any]:
    """An output as config.json lists it: its kind and label."""
    label = component.given.get("label") if isinstance(component, Textbox) else getattr(component, "label", None)
    kind = component.component if isinstance(component, Component) else type(component).__name__.lower()
    return {"type": kind, "label": label}


class Outputs:
    """The additional outputs of one reply: sends each value that changed, rendered.

    ``to_html(component, value)`` renders one value (Markdown, message content...)."""

    def __init__(
        self,
        components: Sequence[Any],
        outbox: Any,
        to_html: Callable[[Any, Any], str],
        to_value: Callable[[Any], Any] | None = None,
    ) -> None:
        self._components = components
        self._outbox = outbox
        self._to_html = to_html
        self._to_value = to_value or _plain  # the frame's value: text for the page; the API's JSON
        self._sent: list[Any] = [_NOTHING] * len(components)

    def split(self, value: Any) -> Any:
        """fn's value without its additional outputs (sent when changed): the reply."""
        if not isinstance(value, tuple) or len(value) != 1 + len(self._components):
            return value  # a reply alone: the outputs stay as they are
        reply, *values = value
        for index, (component, item) in enumerate(zip(self._components, values, strict=False)):
            key = _key(item)
            if key == self._sent[index]:
                continue
            self._sent[index] = key
            self._outbox.send(protocol.output(index, self._to_html(component, item), self._to_value(item)))
        return reply


def render_output(component: Any, value: Any, *, markdown: Callable[[str], str], content: Callable[[Any], str]) -> str:
    """The HTML of ``value`` shown as ``component``: None clears it; a component fn made is
    shown as itself; a plain value takes the declared component's kind."""
    if value is None:
        return ""
    if isinstance(value, Component):
        return content(value)
    if isinstance(component, Markdown):
        return markdown(str(value))
    if isinstance(component, Textbox):
        return f'<p class="output-text">{html.escape(str(value))}</p>'
    if isinstance(component, JSON):
        return content(Code(json.dumps(value, indent=2, ensure_ascii=False, default=str), language="json"))
    shown = copy.copy(component)
    shown.value = value
    return content(shown)


def _key(value: Any) -> Any:
    """What tells two values apart, to send only changes (a component: its repr and attributes)."""
    if isinstance(value, Component):
        return (type(value).__name__, repr(sorted(vars(value).items(), key=lambda kv: kv[0])))
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def _plain(value: Any) -> Any:
    """The value as the page's ``chat-bot-output`` event gives it: text for text, else null."""
    if isinstance(value, str):
        return value
    if isinstance(value, Component) and isinstance(value.value, str):
        return value.value
    return None
