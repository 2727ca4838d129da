"""chat_bp()'s keyword arguments as the developer gave them, made ChatOptions' values: Gradio's
other names and older forms, unknown names refused with a suggestion, lists made tuples, and
the options with a shape of their own parsed (chat_options.py checks the whole afterwards)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..access.policy import check_access_options
from ..errors import OptionsError
from ..files.upload_quota import parse_quota_options
from ..files.uploads import parse_size, parse_upload_options
from ..rendering.math import parse_latex_delimiters
from ..stores.history import history_store
from .chatbot import merge_chatbot
from .display import avatar_pair
from .examples import parse_examples
from .inputs import Accordion, parse_additional_inputs
from .locales import parse_strings
from .outputs import parse_additional_outputs
from .textbox import merge_textbox


def option_values(kwargs: Mapping[str, Any], field_names: Sequence[str]) -> dict[str, Any]:
    """``kwargs`` as ChatOptions' values (``field_names``): Gradio's other names and forms taken,
    an unknown name refused with the closest known one, lists and strings made tuples, and
    components, examples and stores parsed. OptionsError says what to change."""
    values = _gradio_forms(kwargs)
    _refuse_unknown(values, [*field_names, "example_labels", "example_icons", "openai_api_key"])
    _lists(values)
    _parsed(values)
    return values


def _gradio_forms(given: Mapping[str, Any]) -> dict[str, Any]:
    """Gradio's other names and older forms of the options, as ours."""
    kwargs = {**merge_textbox(merge_chatbot(given))}
    if kwargs.get("type", "messages") != "messages":  # gr.ChatInterface's history format
        raise OptionsError("type must be 'messages' (OpenAI-style history): the 'tuples' format is not supported")
    kwargs.pop("type", None)
    if kwargs.get("flagging_mode", "") is None:  # Gradio's default: no flagging
        kwargs["flagging_mode"] = "never"
    for name in ("retry_btn", "undo_btn", "clear_btn"):  # Gradio 4: None hides the button
        if name in kwargs and kwargs[name] is None:
            kwargs[name] = False
    if kwargs.get("editable") is True:  # gr.ChatInterface's bool: the user's own messages
        kwargs["editable"] = "user"
    elif kwargs.get("editable") is False:
        kwargs["editable"] = None
    if "flagging_options" in kwargs:  # gr.ChatInterface's name for the chatbot's feedback_options
        if "feedback_options" in kwargs:
            raise OptionsError("give flagging_options or feedback_options, not both: they are the same list")
        kwargs["feedback_options"] = kwargs.pop("flagging_options")
    return kwargs


def _refuse_unknown(kwargs: Mapping[str, Any], names: list[str]) -> None:
    for key in kwargs:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the options are: {', '.join(names)}"
            raise OptionsError(f"chat_bp() got an unknown option {key!r}{hint}")


def _lists(values: dict[str, Any]) -> None:
    """The options that are lists of strings, as tuples (paths as strings, names in lower case)."""
    if isinstance(values.get("allowed_paths"), (list, tuple)):  # pathlib.Path entries too
        values["allowed_paths"] = [os.fspath(p) if isinstance(p, os.PathLike) else p for p in values["allowed_paths"]]
    for key in (
        "allow_tags",
        "allowed_origins",
        "image_hosts",
        "elem_classes",
        "buttons",
        "allowed_paths",
        "feedback_options",
    ):
        if isinstance(values.get(key), str) and key in ("elem_classes",):
            values[key] = values[key].split()
        if key in values:
            values[key] = _string_tuple(key, values[key])
    for key in ("allow_tags", "image_hosts"):  # HTML tag names and host names ignore case
        if key in values:
            values[key] = tuple(v.lower() for v in values[key])


def _parsed(values: dict[str, Any]) -> None:
    """The options with a shape of their own, parsed: first those parsed alone (delimiters, tags,
    strings, the history store, feedback, avatars, inputs, outputs), then those read together
    (upload rules and quotas, keys, the inputs' accordion, examples, which need the inputs)."""
    for name, parse in _PARSED_ALONE.items():
        if name in values:
            values[name] = parse(values[name])
    parse_upload_options(values)
    parse_quota_options(values, parse_size)
    _api_keys(values)
    values["additional_inputs_accordion"] = _accordion(values.get("additional_inputs_accordion"))
    labels, icons = values.pop("example_labels", None), values.pop("example_icons", None)
    if "examples" in values or labels is not None or icons is not None:
        values["examples"] = parse_examples(values.get("examples"), labels, icons, values.get("additional_inputs", ()))


def _latex_delimiters(value: Any) -> Any:
    try:
        return parse_latex_delimiters(value)
    except ValueError as exc:
        raise OptionsError(str(exc)) from None


def _feedback_value(given: Any) -> Any:
    if isinstance(given, str):
        raise OptionsError(f"feedback_value must be a list like ['Like', None], not {given!r}")
    if given is None:
        return ()
    return tuple(given) if isinstance(given, Sequence) else given  # anything else: checked with the rest


def _api_keys(values: dict[str, Any]) -> None:
    if "openai_api_key" in values:  # api_key's first name, when only the OpenAI endpoint had one
        if "api_key" in values:
            raise OptionsError("give api_key or openai_api_key, not both: they are the same keys")
        values["api_key"] = values.pop("openai_api_key")
    values["api_key"] = check_access_options(values.get("authorize"), values.get("api_key"))


def _accordion(given: Any) -> Accordion:
    if given is None or isinstance(given, str):
        return Accordion(given) if given else Accordion()
    if not isinstance(given, Accordion):
        raise OptionsError(f"additional_inputs_accordion must be a label or an Accordion(label, open), not {given!r}")
    return given


def _tag_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    pairs = []
    for pair in value if isinstance(value, Sequence) and not isinstance(value, str) else [value]:
        if not (isinstance(pair, Sequence) and len(pair) == 2 and all(isinstance(t, str) and t for t in pair)):
            raise OptionsError(
                f"reasoning_tags must be a list of (opening, closing) pairs like [('<thinking>', '</thinking>')], not {value!r}"
            )
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


_EXAMPLES = {
    "allowed_paths": "'/srv/app/outputs'",
    "allow_tags": "'ruby'",
    "image_hosts": "'images.example.com'",
    "elem_classes": "'my-chat'",
    "buttons": "'copy', 'copy_all'",
}


def _string_tuple(name: str, value: Any) -> tuple[str, ...]:
    if value is None or value is False:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        example = _EXAMPLES.get(name, "'https://example.com'")
        raise OptionsError(f"{name} must be a list of strings, like [{example}], not {value!r}")
    return tuple(value)


# The options parsed each on its own, in this order (an error names the first bad one).
_PARSED_ALONE: dict[str, Callable[[Any], Any]] = {
    "latex_delimiters": _latex_delimiters,
    "reasoning_tags": _tag_pairs,
    "strings": parse_strings,
    "history_store": lambda given: None if given is None else history_store(given),
    "feedback_value": _feedback_value,
    "avatar_images": avatar_pair,
    "additional_inputs": parse_additional_inputs,
    "additional_outputs": parse_additional_outputs,
}


__all__ = ["option_values"]
