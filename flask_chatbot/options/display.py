"""Checks of chat_bp()'s display, conversation and page options, out of options/chat_options.py."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import OptionsError
from ..stores.example_cache import CACHE_MODES, cache_mode
from .page import theme_name

_CSS_SIZE = re.compile(r"^\d{1,5}(?:\.\d{1,3})?(?:px|em|rem|vh|vw|dvh|svh|lvh|%)\Z")
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")
LAYOUTS = ("bubble", "panel")
BUTTONS = ("copy", "copy_all")


def check(name: str, value: Any, types: type | tuple[type, ...], what: str) -> None:
    """OptionsError unless ``value`` is of ``types`` (a bool is no str), saying it must be ``what``."""
    if not isinstance(value, types) or (types in (str, (str, type(None))) and isinstance(value, bool)):
        raise OptionsError(f"{name} must be {what}, not {value!r}")


def validate_display(opts: Mapping[str, Any]) -> None:
    """The display, conversation and page options (the values of a ChatOptions by name), checked
    (OptionsError says what to change)."""
    for name in ("label", "watermark", "elem_id"):
        check(name, opts[name], (str, type(None)), "a string or None")
    for name in ("show_label", "resizable", "group_consecutive_messages", "allow_file_downloads"):
        check(name, opts[name], bool, "True or False")
    for name in ("height", "min_height", "max_height"):
        value = opts[name]
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000):
            continue
        if not isinstance(value, str) or not _CSS_SIZE.match(value):
            raise OptionsError(f"{name} must be pixels (an int) or a CSS length like '80vh' or '30rem', not {value!r}")
    if opts["show_progress"] not in ("full", "minimal", "hidden"):
        raise OptionsError(f"show_progress must be 'full', 'minimal' or 'hidden', not {opts['show_progress']!r}")
    if opts["layout"] not in LAYOUTS:
        raise OptionsError(f"layout must be 'bubble' or 'panel', not {opts['layout']!r}")
    for name, tokens in (
        ("elem_classes", opts["elem_classes"]),
        ("elem_id", (opts["elem_id"],) if opts["elem_id"] else ()),
    ):
        for token in tokens:
            if not _TOKEN.match(token):
                raise OptionsError(f"{name} takes CSS names like 'my-chat' (letters, digits, - and _), not {token!r}")
    for button in opts["buttons"]:
        if button not in BUTTONS:
            raise OptionsError(f"buttons may hold {', '.join(map(repr, BUTTONS))}, not {button!r}")
    for given in opts["feedback_value"]:
        if given is not None and given not in opts["feedback_options"]:
            raise OptionsError(
                f"feedback_value holds {given!r}, which is not one of feedback_options {list(opts['feedback_options'])}"
            )
    if opts["flagging_mode"] not in ("never", "manual"):
        raise OptionsError(f"flagging_mode must be 'never' or 'manual', not {opts['flagging_mode']!r}")
    check("flagging_dir", opts["flagging_dir"], str, "a folder path")
    check("like_user_message", opts["like_user_message"], bool, "True or False")
    check("run_examples_on_click", opts["run_examples_on_click"], bool, "True or False")
    check("cache_examples", opts["cache_examples"], (bool, type(None)), "True, False or None")
    if cache_mode(opts["cache_mode"]) not in CACHE_MODES:
        raise OptionsError(f"cache_mode must be 'eager' or 'lazy', not {cache_mode(opts['cache_mode'])!r}")
    if opts["validator"] is not None and not callable(opts["validator"]):
        raise OptionsError(f"validator must be a function of the message, not {opts['validator']!r}")
    for name in ("retry_btn", "undo_btn", "clear_btn"):
        check(name, opts[name], (str, bool), "True, False or a label string")
    if opts["editable"] not in (None, "user", "all"):
        raise OptionsError(f"editable must be True, False, 'user' or 'all', not {opts['editable']!r}")
    if opts["value"] is not None and not callable(opts["value"]) and not isinstance(opts["value"], (list, tuple)):
        raise OptionsError(f"value must be a list of messages or a function returning one, not {opts['value']!r}")
    check("multimodal", opts["multimodal"], bool, "True or False")
    for name in ("fill_height", "fill_width"):
        check(name, opts[name], bool, "True or False")
    check("analytics_enabled", opts["analytics_enabled"], (bool, type(None)), "True, False or None")
    theme_name(opts["theme"])
    if not opts["multimodal"] and any(e.files for e in opts["examples"]):
        raise OptionsError("examples with files need a multimodal chat: chat_bp(fn, multimodal=True, ...)")


def avatar_pair(value: Any) -> tuple[str | None, str | None]:
    """``avatar_images`` as (user, bot): paths, https URLs or None (OptionsError otherwise)."""
    if value is None:
        return (None, None)
    if isinstance(value, (list, tuple)):  # pathlib.Path entries as Gradio takes them
        value = tuple(os.fspath(v) if isinstance(v, os.PathLike) else v for v in value)
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Sequence)
        or len(value) != 2
        or not all(v is None or isinstance(v, str) for v in value)
    ):
        raise OptionsError(f"avatar_images must be (user, bot): each a file path, an https URL or None, not {value!r}")
    for avatar in value:
        if isinstance(avatar, str) and avatar.startswith("http://"):
            raise OptionsError(
                f"avatar_images: {avatar!r} is plain http, which the page cannot load; use https or a file"
            )
    return (value[0], value[1])
