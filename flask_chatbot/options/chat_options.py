"""The options of chat_bp(), with Gradio's names and defaults, validated at start-up."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..access.origin import check_allowed_origins
from ..errors import OptionsError
from ..files.upload_quota import (
    DEFAULT_MIN_FREE_DISK,
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_KEY,
    DEFAULT_UPLOAD_LIFETIME,
    DEFAULT_WINDOW,
    UploadQuota,
)
from ..files.uploads import (
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES,
    DEFAULT_MAX_PLAIN_TEXT_LENGTH,
    DEFAULT_UPLOAD_IDLE_TIMEOUT,
    UploadRules,
)
from ..rendering.math import DEFAULT_LATEX_DELIMITERS, LatexDelimiter
from ..rendering.renderer import ALLOWED_TAGS, RenderOptions
from ..stores.history import check_history_options
from .api import check_api_options, check_openai_options
from .display import check as _check
from .display import validate_display
from .examples import Example
from .given import option_values
from .locales import check_lang
from .page import default_content_security_policy
from .queue import check_queue_options

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
    # A turn outlives its socket (conversation/turns.py): with nobody following it, "wait" stops it
    # after resume_window seconds, "continue" lets it finish, "cancel" stops it at once (Gradio's way).
    resume_window: float = 30.0
    on_disconnect: str = "wait"
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
        options = cls(**option_values(kwargs, [f.name for f in dataclasses.fields(cls)]))
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
        if self.on_disconnect not in ("wait", "continue", "cancel"):
            raise OptionsError(f"on_disconnect must be 'wait', 'continue' or 'cancel', not {self.on_disconnect!r}")
        for name, seconds in (
            ("stream_interval", self.stream_interval),
            ("ping_interval", self.ping_interval),
            ("resume_window", self.resume_window),
        ):
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise OptionsError(f"{name} must be a number of seconds >= 0, not {seconds!r}")
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
