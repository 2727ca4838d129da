"""The options of chat_bp(), with Gradio's names and defaults, validated at start-up."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..access.origin import check_allowed_origins
from ..access.policy import check_access_options
from ..errors import OptionsError
from ..files.upload_quota import (
    DEFAULT_MIN_FREE_DISK,
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_KEY,
    DEFAULT_UPLOAD_LIFETIME,
    DEFAULT_WINDOW,
    UploadQuota,
    parse_quota_options,
)
from ..files.uploads import (
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_PLAIN_TEXT_LENGTH,
    DEFAULT_UPLOAD_IDLE_TIMEOUT,
    UploadRules,
    parse_size,
    parse_upload_options,
)
from ..rendering.math import DEFAULT_LATEX_DELIMITERS, LatexDelimiter, parse_latex_delimiters
from ..rendering.renderer import ALLOWED_TAGS, RenderOptions
from ..stores.history import check_history_options, history_store
from .api import check_api_options, check_openai_options
from .chatbot import merge_chatbot
from .display import avatar_pair, validate_display
from .display import check as _check
from .examples import Example, parse_examples
from .inputs import Accordion, parse_additional_inputs
from .locales import check_lang, parse_strings
from .outputs import parse_additional_outputs
from .page import default_content_security_policy
from .queue import check_queue_options
from .textbox import merge_textbox

# Tags `allow_tags` may add to rendering.ALLOWED_TAGS: media and formatting only. Each gets
# the attributes of rendering.EXTRA_TAG_ATTRIBUTES (URLs still limited to http, https, mailto).
SAFE_EXTRA_TAGS: frozenset[str] = frozenset(
    """audio bdi bdo cite col colgroup data dfn figcaption figure mark picture rp rt ruby source
    summary details time track video wbr""".split()
)
# Tags refused with the reason spelled out: each can run script, load a document or a
# stylesheet, submit or capture input, or change how the page resolves URLs.
UNSAFE_TAGS: frozenset[str] = frozenset(
    """applet base basefont body button embed form frame frameset head html iframe input isindex
    keygen link math meta noembed noframes noscript object option optgroup param plaintext portal
    script select slot style svg template textarea title xmp""".split()
)
_HOST_NAME = re.compile(r"^(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\Z")
_DEFAULT = "\x00default"  # content_security_policy not given: built from image_hosts


@dataclass(frozen=True)
class ChatOptions:
    """Every option of :func:`flask_chatbot.chat_bp`; docs/options.md describes each."""

    # The page (gr.ChatInterface; options/page.py)
    title: str | None = None
    description: str | None = None
    css: str | None = None
    css_paths: Any = None  # a path or a list of them
    js: str | None = None  # one JavaScript function, run when the page loads
    head: str | None = None  # HTML for the page's head
    head_paths: Any = None
    fill_height: bool = True
    fill_width: bool = False
    analytics_enabled: bool | None = None  # accepted: nothing is ever sent anywhere
    theme: str | None = None  # "default", "soft" or "monochrome" (options/page.py)
    show_progress: str = "minimal"  # "full", "minimal" or "hidden": the turn's place in line, time, progress
    lang: str | None = None  # the element's language (options/locales.py); None: the page's, or the reader's
    strings: Any = None  # the element's texts overridden: {name: text} or {lang: {name: text}}
    # Saved conversations (stores/history.py): a side panel, kept in the browser and per user on the server
    save_history: bool = False
    history_store: Any = None  # None (the browser only), an SQLite file's path, or a HistoryStore
    history_user: Any = None  # () -> the signed-in user's id or None; default: Flask-Login's current_user
    # The conversation (gr.Chatbot)
    placeholder: str | None = None
    render_markdown: bool = True
    line_breaks: bool = True
    sanitize_html: bool = True
    allow_tags: tuple[str, ...] = ()
    image_hosts: tuple[str, ...] = ()
    rtl: bool = False
    autoscroll: bool = True
    value: Any = None  # the conversation a page starts with: a list of messages, or a callable
    label: str | None = None
    show_label: bool = False
    height: int | str | None = None
    min_height: int | str | None = None
    max_height: int | str | None = None
    resizable: bool = False
    elem_id: str | None = None
    elem_classes: tuple[str, ...] = ()
    avatar_images: tuple[str | None, str | None] = (None, None)
    layout: str = "bubble"
    group_consecutive_messages: bool = True
    reasoning_tags: tuple[tuple[str, str], ...] = ()
    latex_delimiters: tuple[LatexDelimiter, ...] = DEFAULT_LATEX_DELIMITERS
    buttons: tuple[str, ...] = ("copy",)
    watermark: str | None = None
    allow_file_downloads: bool = True
    # Where files fn returns by path may be copied from, besides the working and temp dirs.
    allowed_paths: tuple[str, ...] = ()
    # Conversation actions (gr.ChatInterface / gr.Chatbot)
    flagging_mode: str = "never"
    feedback_options: tuple[str, ...] = ("Like", "Dislike")
    feedback_value: tuple[str | None, ...] = ()  # the feedback already given on value's messages, in order
    flagging_dir: str = ".gradio/flagged"
    like_user_message: bool = False
    retry_btn: str | bool = True
    undo_btn: str | bool = True
    clear_btn: str | bool = True
    editable: str | None = None  # None, "user" (True) or "all": which past messages the reader may edit
    # Cards in the empty chat (gr.ChatInterface's examples, example_labels, example_icons).
    examples: tuple[Example, ...] = ()
    run_examples_on_click: bool = True
    cache_examples: bool | None = None  # keep the examples' replies on disk (stores/example_cache.py)
    cache_mode: str | None = None  # "eager" (at start-up) or "lazy" (first click); None: GRADIO_CACHE_MODE or "eager"
    # validator(message, *additional_inputs): validate(is_valid, message), checked before a message enters
    validator: Any = None
    # Controls whose values fn gets after the history (gr.ChatInterface's), in an accordion.
    additional_inputs: tuple[Any, ...] = ()
    additional_inputs_accordion: Any = None  # an Accordion; a label string is made one
    # Components fn fills beside its reply: it returns (response, *values) (gr.ChatInterface's).
    additional_outputs: tuple[Any, ...] = ()
    # The reader's files (gr.ChatInterface's multimodal, gr.MultimodalTextbox's options; files/uploads.py)
    multimodal: bool = False
    file_types: tuple[str, ...] | None = None  # "image", "audio", "video", "text", "file", ".pdf"...
    file_count: str = "multiple"  # or "single"
    max_files: int = DEFAULT_MAX_FILES  # per message with file_count="multiple" (ours)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; "5mb" accepted
    max_plain_text_length: int = DEFAULT_MAX_PLAIN_TEXT_LENGTH  # longer pasted text becomes a .txt file
    sources: tuple[str, ...] = ("upload",)  # and/or "microphone"
    delete_cache: tuple[float, float] | None = None  # (every seconds, files older than seconds)
    upload_idle_timeout: float = DEFAULT_UPLOAD_IDLE_TIMEOUT  # seconds an upload may send nothing (ours)
    # What one client may upload (files/upload_quota.py): (bytes, files) per window; None: no limit
    upload_quota: tuple[int, int] | None = DEFAULT_PER_KEY  # per conversation (its upload key)
    upload_quota_per_address: tuple[int, int] | None = DEFAULT_PER_ADDRESS  # per client address
    upload_quota_window: float = DEFAULT_WINDOW
    min_free_disk: int = DEFAULT_MIN_FREE_DISK  # uploads stop short of this much free disk
    upload_lifetime: float | None = DEFAULT_UPLOAD_LIFETIME  # seconds a reader's upload is kept; None: kept
    # The input (gr.ChatInterface / gr.Textbox)
    textbox_placeholder: str | None = None  # None: "Type a message…" in the element's language
    textbox_value: str = ""  # text in the message box when the page opens (gr.Textbox value)
    textbox_lines: int = 1  # height of the empty box, in lines
    textbox_max_lines: int | None = None  # where the box stops growing (None: --chat-bot-input-max-height)
    autofocus: bool = True
    submit_btn: str | bool = True
    stop_btn: str | bool = True
    # The queue (conversation/fn_queue.py): fns of the group running at once in a worker; "default" from app config
    concurrency_limit: int | str | None = "default"
    concurrency_id: str | None = None  # blueprints naming one id share one limit
    # The chat as an HTTP API (web/http_api.py): POST {mount}/api/{api_name}; False: none
    api_name: str | bool = "chat"
    api_description: str | bool | None = None  # None: fn's docstring
    # An OpenAI-compatible server (web/openai_api.py): {mount}/v1/chat/completions and /v1/models
    openai_compatible: bool = False
    openai_model: str | None = None  # the model's id; None: the blueprint's name
    # Who may use the chat (access/policy.py): authorize(request) at every door; keys for /api and /v1
    authorize: Any = None
    api_key: tuple[str, ...] = ()  # also given as openai_api_key (its first name)
    # Transport and limits (ours)
    allowed_origins: tuple[str, ...] = ()
    max_frame_bytes: int = 1024 * 1024
    max_message_chars: int = 100_000
    max_history: int = 1000
    stream_interval: float = 0.03
    ping_interval: float = 20.0
    idle_timeout: float | None = 3600.0
    websocket_compression: bool = False
    hello_timeout: float = 5.0
    max_frames_per_second: float = 10.0
    # Left at its default, the policy is default_content_security_policy(image_hosts).
    content_security_policy: str | None = _DEFAULT

    def __post_init__(self) -> None:
        if self.content_security_policy == _DEFAULT:
            hosts = self.image_hosts if isinstance(self.image_hosts, tuple) else ()
            object.__setattr__(self, "content_security_policy", default_content_security_policy(hosts))

    @property
    def render_options(self) -> RenderOptions:
        return RenderOptions(
            render_markdown=self.render_markdown,
            line_breaks=self.line_breaks,
            sanitize_html=self.sanitize_html,
            allow_tags=self.allow_tags,
            image_hosts=self.image_hosts,
            latex_delimiters=self.latex_delimiters,
        )

    @property
    def upload_rules(self) -> UploadRules:
        """What a message's files may be (files/uploads.py)."""
        return UploadRules(
            self.file_types,
            1 if self.file_count == "single" else self.max_files,
            self.max_file_size,
            self.upload_idle_timeout,
        )

    @property
    def upload_quota_rules(self) -> UploadQuota:
        """What one client may upload (files/upload_quota.py)."""
        return UploadQuota(
            self.upload_quota, self.upload_quota_per_address, self.upload_quota_window, self.min_free_disk
        )

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> ChatOptions:
        """Build and validate the options; OptionsError says what to change."""
        kwargs = merge_textbox(merge_chatbot(kwargs))
        kwargs = {**kwargs}
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
        names = [f.name for f in dataclasses.fields(cls)] + ["example_labels", "example_icons", "openai_api_key"]
        for key in kwargs:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; the options are: {', '.join(names)}"
                raise OptionsError(f"chat_bp() got an unknown option {key!r}{hint}")
        values = dict(kwargs)
        if isinstance(values.get("allowed_paths"), (list, tuple)):  # pathlib.Path entries too
            values["allowed_paths"] = [
                os.fspath(p) if isinstance(p, os.PathLike) else p for p in values["allowed_paths"]
            ]
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
        if "latex_delimiters" in values:
            try:
                values["latex_delimiters"] = parse_latex_delimiters(values["latex_delimiters"])
            except ValueError as exc:
                raise OptionsError(str(exc)) from None
        if "reasoning_tags" in values:
            values["reasoning_tags"] = _tag_pairs(values["reasoning_tags"])
        parse_upload_options(values)
        parse_quota_options(values, parse_size)
        if "strings" in values:
            values["strings"] = parse_strings(values["strings"])
        if "openai_api_key" in values:  # api_key's first name, when only the OpenAI endpoint had one
            if "api_key" in values:
                raise OptionsError("give api_key or openai_api_key, not both: they are the same keys")
            values["api_key"] = values.pop("openai_api_key")
        values["api_key"] = check_access_options(values.get("authorize"), values.get("api_key"))
        if values.get("history_store") is not None:
            values["history_store"] = history_store(values["history_store"])
        if "feedback_value" in values:
            given = values["feedback_value"]
            if given is None or isinstance(given, str) or not isinstance(given, Sequence):
                values["feedback_value"] = () if given is None else given  # a str is refused below
            else:
                values["feedback_value"] = tuple(given)
            if isinstance(values["feedback_value"], str):
                raise OptionsError(f"feedback_value must be a list like ['Like', None], not {given!r}")
        if "avatar_images" in values:
            values["avatar_images"] = avatar_pair(values["avatar_images"])
        if "additional_inputs" in values:
            values["additional_inputs"] = parse_additional_inputs(values["additional_inputs"])
        if "additional_outputs" in values:
            values["additional_outputs"] = parse_additional_outputs(values["additional_outputs"])
        accordion = values.get("additional_inputs_accordion")
        if accordion is None or isinstance(accordion, str):
            values["additional_inputs_accordion"] = Accordion(accordion) if accordion else Accordion()
        elif not isinstance(accordion, Accordion):
            raise OptionsError(
                f"additional_inputs_accordion must be a label or an Accordion(label, open), not {accordion!r}"
            )
        labels, icons = values.pop("example_labels", None), values.pop("example_icons", None)
        if "examples" in values or labels is not None or icons is not None:
            values["examples"] = parse_examples(
                values.get("examples"), labels, icons, values.get("additional_inputs", ())
            )
        options = cls(**values)
        options._validate()
        return options

    def _validate(self) -> None:
        for name in ("title", "description", "placeholder"):
            _check(name, getattr(self, name), (str, type(None)), "a string or None")
        _check("textbox_placeholder", self.textbox_placeholder, (str, type(None)), "a string or None")
        _check("textbox_value", self.textbox_value, str, "a string")
        for name, value in (("textbox_lines", self.textbox_lines), ("textbox_max_lines", self.textbox_max_lines)):
            if value is None and name == "textbox_max_lines":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
                raise OptionsError(f"{name} must be a number of lines from 1 to 100, not {value!r}")
        if self.textbox_max_lines is not None and self.textbox_max_lines < self.textbox_lines:
            raise OptionsError(
                f"textbox_max_lines ({self.textbox_max_lines}) is less than textbox_lines ({self.textbox_lines})"
            )
        for name in (
            "render_markdown",
            "line_breaks",
            "sanitize_html",
            "rtl",
            "autoscroll",
            "autofocus",
            "websocket_compression",
        ):
            _check(name, getattr(self, name), bool, "True or False")
        for name in ("submit_btn", "stop_btn"):
            _check(name, getattr(self, name), (str, bool), "True, False or a label string")
        for name, low in (("max_frame_bytes", 1024), ("max_message_chars", 1), ("max_history", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise OptionsError(f"{name} must be a whole number of at least {low}, not {value!r}")
        for name, value in (("stream_interval", self.stream_interval), ("ping_interval", self.ping_interval)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise OptionsError(f"{name} must be a number of seconds >= 0, not {value!r}")
        if self.idle_timeout is not None and (
            isinstance(self.idle_timeout, bool)
            or not isinstance(self.idle_timeout, (int, float))
            or self.idle_timeout <= 0
        ):
            raise OptionsError(f"idle_timeout must be a number of seconds > 0 or None, not {self.idle_timeout!r}")
        for name, what in (("hello_timeout", "a number of seconds > 0"), ("max_frames_per_second", "a number > 0")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise OptionsError(f"{name} must be {what}, not {value!r}")
        for tag in self.allow_tags:
            if tag in ALLOWED_TAGS or tag in SAFE_EXTRA_TAGS:
                continue
            why = (
                "it would let a reply run script or change the page"
                if tag in UNSAFE_TAGS
                else "it is not one of the tags known to be safe in a reply"
            )
            accepted = ", ".join(sorted(SAFE_EXTRA_TAGS - ALLOWED_TAGS))
            raise OptionsError(
                f"allow_tags cannot include {tag!r}: {why}. Besides the default tags it accepts: {accepted}"
            )
        for host in self.image_hosts:
            if host != "*" and not _HOST_NAME.match(host):
                raise OptionsError(
                    f"image_hosts entries are host names like 'images.example.com' (or '*' for any https host), "
                    f"without a scheme, port, path or wildcard, not {host!r}"
                )
        check_allowed_origins(self.allowed_origins)  # access/origin.py: the matcher's own rules
        _check("content_security_policy", self.content_security_policy, (str, type(None)), "a string or None")
        check_queue_options(self.concurrency_limit, self.concurrency_id)
        check_lang(self.lang)
        check_history_options(self)
        check_api_options(self.api_name, self.api_description)
        check_openai_options(self)
        validate_display(vars(self))


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
