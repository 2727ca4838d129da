"""Examples: messages a reader can start the conversation with, shown as cards in the empty chat.

gr.ChatInterface takes ``examples`` (a list of strings, or of ``{"text", "files"}`` dicts),
``example_labels`` and ``example_icons``; gr.Chatbot takes ``examples`` as dicts with ``text``,
``display_text``, ``icon`` and ``files``. Both come down to :class:`Example`. Clicking one fires
``chatbot.example_select`` with ``SelectData(index, {"text": ..., "files": [...]})`` and, with
``run_examples_on_click`` (the default), sends its text; otherwise the text goes into the
message box. With ``additional_inputs``, an example may be a list: the message, then a value
per input, which the inputs take when it is clicked. A multimodal chat's example may carry
files (paths the app gives, copied into the file store at start-up); they go with its text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import OptionsError
from .inputs import parse_values

MAX_EXAMPLES = 100  # cards in an empty chat: more is a mistake, not a design


@dataclass(frozen=True)
class Example:
    """One example: the ``text`` it sends, the ``label`` its card shows instead (None: the
    text), and an ``icon`` above it (a file path or an https URL, None: none)."""

    text: str
    label: str | None = None
    icon: str | None = None
    inputs: tuple[Any, ...] | None = None  # values for the additional inputs (as the element sends them)
    files: tuple[str, ...] = ()  # paths of a multimodal example's files, sent with its text

    def value(self) -> dict[str, Any]:
        """What ``example_select`` listeners get as ``SelectData.value``, as in Gradio."""
        return {"text": self.text, "files": list(self.files)}


def parse_examples(
    examples: Any, labels: Any = None, icons: Any = None, inputs: tuple[Any, ...] = ()
) -> tuple[Example, ...]:
    """``examples`` in any of Gradio's forms, with ``example_labels`` and ``example_icons``
    (each a list as long as the examples, or None), as Examples; with ``inputs`` (the
    additional inputs), lists of a message and a value per input. OptionsError says what is wrong."""
    if examples is None:
        examples = []
    if isinstance(examples, (str, Mapping)) or not isinstance(examples, Sequence):
        raise OptionsError(f"examples must be a list, like ['Hello', 'What can you do?'], not {examples!r}")
    if len(examples) > MAX_EXAMPLES:
        raise OptionsError(f"examples has {len(examples)} entries; at most {MAX_EXAMPLES} show in a chat")
    labels = _per_example("example_labels", labels, len(examples))
    icons = _per_example("example_icons", icons, len(examples))
    out = []
    for i, entry in enumerate(examples):
        values = None
        if isinstance(entry, (list, tuple)) and inputs:
            entry, values = _with_inputs(entry, inputs)
        example = _one(entry)
        out.append(Example(example.text, labels[i] or example.label, icons[i] or example.icon, values, example.files))
    return tuple(out)


def _one(entry: Any) -> Example:
    if isinstance(entry, str):
        return Example(entry)
    if isinstance(entry, Mapping):
        text = entry.get("text", "")
        unknown = set(entry) - {"text", "files", "display_text", "icon"}
        if unknown or not isinstance(text, str):
            raise OptionsError(
                f"an example is a string or a dict with 'text' (and 'display_text', 'icon'), not {dict(entry)!r}"
            )
        files = _files(entry.get("files"), text)
        label, icon = entry.get("display_text"), entry.get("icon")
        for name, value in (("display_text", label), ("icon", icon)):
            if value is not None and not isinstance(value, str):
                raise OptionsError(f"an example's {name} must be a string, not {value!r}")
        if not text.strip() and not files:
            raise OptionsError(f"an example needs a text or files to send, not {dict(entry)!r}")
        return Example(text, label or None, icon or None, files=files)
    if isinstance(entry, (list, tuple)):
        raise OptionsError(
            f"an example as a list ({entry!r}) is a message and values for additional_inputs, "
            "and this chat has none; give the message alone"
        )
    raise OptionsError(f"an example is a string or a dict with 'text', not {entry!r}")


def _files(files: Any, text: str) -> tuple[str, ...]:
    """A multimodal example's files: paths (str or PathLike), as Gradio takes them."""
    if not files:
        return ()
    if isinstance(files, (str, os.PathLike)) or not isinstance(files, Sequence):
        raise OptionsError(f"example {text!r}: files must be a list of paths, not {files!r}")
    paths = []
    for item in files:
        path = item.get("path") if isinstance(item, Mapping) else item
        if not isinstance(path, (str, os.PathLike)):
            raise OptionsError(f"example {text!r}: each file is a path, not {item!r}")
        paths.append(os.fspath(path))
    return tuple(paths)


def _with_inputs(entry: Sequence[Any], inputs: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """An example row: its message, and its values checked against the inputs."""
    if len(entry) != 1 + len(inputs):
        raise OptionsError(
            f"the example {list(entry)!r} needs a message and {len(inputs)} values (one per additional input)"
        )
    message, *values = entry
    try:
        parse_values(inputs, values)
    except ValueError as exc:
        raise OptionsError(f"the example {list(entry)!r}: {exc}") from None
    return message, tuple(values)


def _per_example(name: str, values: Any, count: int) -> list[str | None]:
    if values is None:
        return [None] * count
    if (
        isinstance(values, str)
        or not isinstance(values, Sequence)
        or not all(isinstance(v, (str, type(None))) for v in values)
    ):
        raise OptionsError(f"{name} must be a list of strings, one per example, not {values!r}")
    if len(values) != count:
        raise OptionsError(f"{name} has {len(values)} entries for {count} examples: give one per example")
    return list(values)
