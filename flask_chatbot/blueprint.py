"""chat_bp(): builds the Blueprint with the page, the element's files, its config and the socket."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, request
from flask.sansio.blueprints import BlueprintSetupState
from flask_sock import Sock
from werkzeug.security import safe_join

from .access.origin import local_address, origin_allowed, origin_refusal
from .access.route_guards import guard_routes
from .content.hooks import ContentHooks
from .conversation import fn_queue
from .conversation.bot import Bot
from .conversation.cached_examples import compute as compute_example
from .conversation.channels import ConversationChannels
from .conversation.history_sync import message_renderer, register_history_routes
from .conversation.inbox import InboxEvent
from .conversation.initial_value import system_messages, value_or_empty
from .conversation.session import ChatSession
from .conversation.turns import TurnHub
from .errors import OptionsError
from .files.cleanup import start_cleaner
from .files.paths import TURN_LOG_DB
from .files.store import FileStore, app_folder
from .files.uploads import upload_view
from .options.chat_options import ChatOptions
from .options.chatbot import Chatbot
from .options.inputs import describe as describe_input
from .options.page import page_assets
from .rendering import code_highlight
from .rendering.html_component import clean_html_component
from .rendering.renderer import Renderer
from .runtime.package_files import webcomponent_dir
from .stores.channel_log import SQLiteChannelLog
from .stores.example_cache import ExampleCache, cache_mode, fingerprint
from .stores.flag_log import FlagLog
from .stores.history import SQLiteHistoryStore, default_history_user
from .stores.turn_log_sqlite import SQLiteTurnLog
from .web.assets import register_element
from .web.client_config import files_base, register_config, store_images
from .web.http_api import register_api
from .web.openai_api import register_openai
from .web.page import register_page

log = logging.getLogger("flask_chatbot")


def chat_bp(fn: Callable[..., Any], *, name: str = "chat", **options: Any) -> Blueprint:
    """A Blueprint serving a complete chat UI around ``fn(message, history)``.

    ``fn`` keeps Gradio's contract: it gets the message and a copy of the history
    (OpenAI-style ``{"role", "content"}`` dicts) and returns or yields (cumulatively)
    a ``str``, a dict with ``content``, a :class:`ChatMessage`, or a list of those.
    It may be a plain function, a generator, an ``async def`` or an async generator::

        def respond(message, history):
            return f"You said: {message}"

        app.register_blueprint(chat_bp(respond, title="Echo"), url_prefix="/chat")

    Options are Gradio's names where Gradio has one; docs/options.md lists them all.
    They are checked here, and an :class:`OptionsError` says what to change.
    """
    if not callable(fn):
        raise OptionsError(f"chat_bp() needs a function fn(message, history), not {fn!r}")
    chatbot = options.get("chatbot")
    listeners = chatbot.listeners if isinstance(chatbot, Chatbot) else {}
    opts = ChatOptions.from_kwargs(options)
    input_names = _check_signature(fn, len(opts.additional_inputs))
    renderer = Renderer(opts.render_options)
    content = _content_hooks(opts, renderer, app_folder(name, fn))
    # A multimodal example's files, stored now (a wrong path fails at start-up).
    example_files = [store_images("examples", list(e.files), content.store) for e in opts.examples]
    bot = Bot(
        fn=fn,
        options=opts,
        renderer=renderer,
        content=content,
        system=lambda: value_or_empty(system_messages, opts.value),
        listeners=listeners,
        flag_log=FlagLog(opts.flagging_dir) if opts.flagging_mode == "manual" else None,
        examples_cache=ExampleCache(
            content.store.root,
            name,
            fingerprint(fn, opts.examples, [describe_input(c) for c in opts.additional_inputs]),
        )
        if opts.cache_examples and opts.examples
        else None,
        example_file_ids=frozenset(i for ids in example_files for i in ids if i),
        queue=fn_queue.group(opts.concurrency_id, name),
        history_user=opts.history_user or (default_history_user() if opts.history_store is not None else None),
        # The host's turn log beside the store's other records: every worker of the host opens it.
        # "cancel" is Gradio's way: a reply ends with its socket, and nothing need follow it.
        turns=TurnHub(
            SQLiteTurnLog(Path(content.store.root) / TURN_LOG_DB),
            scope=name,
            interval=opts.stream_interval,
            resume_window=opts.resume_window,
            continue_alone=opts.on_disconnect == "continue",
        )
        if opts.on_disconnect != "cancel"
        else None,
        # Every socket of a conversation live (its tabs, a signed-in user's devices), in the same
        # file: what it needs is the turns above, followed from their first frame.
        channels=ConversationChannels(
            SQLiteChannelLog(Path(content.store.root) / TURN_LOG_DB),
            scope=name,
            interval=opts.stream_interval,
            secret_folder=Path(content.store.root),
        )
        if opts.on_disconnect != "cancel"
        else None,
    )
    avatars = store_images("avatar_images", opts.avatar_images, content.store)
    icons = store_images("example_icons", [e.icon for e in opts.examples], content.store)
    # Each input as the element shows it; one without a label is named after fn's parameter.
    additional_inputs = [describe_input(c) for c in opts.additional_inputs]
    for spec, parameter in zip(additional_inputs, input_names + [None] * len(additional_inputs), strict=False):
        if not spec.get("label") and parameter:
            spec["label"] = parameter.replace("_", " ").capitalize()
    # The developer's own text (description, placeholder) is sanitized even when
    # sanitize_html=False trusts the replies of fn.
    page_renderer = Renderer(dataclasses.replace(opts.render_options, sanitize_html=True))
    assets = page_assets(opts.css, opts.css_paths, opts.js, opts.head, opts.head_paths, opts.content_security_policy)
    static_dir = webcomponent_dir()
    bp = Blueprint(
        name,
        __name__,
        static_folder=str(static_dir),
        static_url_path="/static",
        template_folder="templates",
    )
    bp.send_static_file = _no_links(bp.send_static_file, static_dir)  # type: ignore[assignment]  # replaces the method on this instance
    bp.record_once(_init_app(opts, bot))
    if bot.examples_cache is not None and cache_mode(opts.cache_mode) == "eager":
        bp.record_once(_warm_examples(bot))

    register_page(bp, opts, page_renderer, assets)
    # The element in two requests (web/assets.py), and the features it loads on first use.
    register_element(bp, static_dir)
    register_config(
        bp,
        bot,
        page_renderer,
        avatars=avatars,
        icons=icons,
        example_files=example_files,
        additional_inputs=additional_inputs,
        listeners=listeners,
    )

    register_api(bp, bot, input_names, content.store.root)
    register_openai(bp, bot)
    if opts.history_store is not None:
        register_history_routes(
            bp,
            opts.history_store,
            bot.history_user,
            lambda: message_renderer(bot.renderer, bot.content.renderer(files_base()) if bot.content else None),
        )

    # The element's files and config.json are public (access/embedding.py): any page may load the
    # element, which config.json's origin_allowed then tells whether it may chat here.
    public_endpoints = {
        f"{bp.name}.{e}" for e in ("static", "config", "element_module", "element_stylesheet", "element_feature")
    }

    guard_routes(bp, opts, public_endpoints)

    sock = Sock()

    @sock.route("/socket", bp=bp)  # type: ignore[untyped-decorator]  # flask_sock ships no types
    def socket(ws: Any) -> None:
        ChatSession(ws, bot, files_base=files_base()).serve()

    @bp.get("/files/<file_id>")
    def files(file_id: str) -> Response:
        assert bot.content is not None
        return bot.content.store.response(file_id, download=request.args.get("download") in ("1", "true"))

    if opts.multimodal:
        bp.add_url_rule(
            "/upload",
            "upload",
            upload_view(content.store, lambda: opts.upload_rules, opts.upload_quota_rules),
            methods=["POST"],
        )
    delete_cache = opts.delete_cache
    if delete_cache is not None:

        def clean_store(state: BlueprintSetupState) -> None:
            start_cleaner(content.store, *delete_cache)

        bp.record_once(clean_store)
    elif opts.multimodal and opts.upload_lifetime is not None:
        # Readers' uploads go after upload_lifetime even when nothing else cleans the store.
        lifetime = opts.upload_lifetime

        def clean_uploads(state: BlueprintSetupState) -> None:
            start_cleaner(content.store, min(3600.0, lifetime / 4), lifetime, uploads_only=True)

        bp.record_once(clean_uploads)

    return bp


def _no_links(send: Callable[[str], Response], folder: Path) -> Callable[[str], Response]:
    """The static route's view, refusing a file that is a link or lies outside ``folder`` once
    links are followed: a link left in the element's folder must not publish what it points to."""
    root = folder.resolve()

    def send_static_file(filename: str) -> Response:
        path = safe_join(str(folder), filename)
        if path is None:
            abort(404)
        real = Path(os.path.realpath(path))
        if (
            Path(path).is_symlink()
            or not real.is_relative_to(root)
            or real.parent.resolve() != Path(path).parent.resolve()
        ):
            abort(404)
        return send(filename)

    return send_static_file


def _content_hooks(opts: ChatOptions, renderer: Renderer, app: str) -> ContentHooks:
    """The blueprint's file store (``app``: its folder when CHATBOT_UPLOAD_DIR is unset), and
    how its files and components render."""
    allowed = (os.getcwd(), tempfile.gettempdir(), *opts.allowed_paths)
    records = [opts.flagging_dir] + (
        [opts.history_store.path] if isinstance(opts.history_store, SQLiteHistoryStore) else []
    )
    store = FileStore(
        os.environ.get("CHATBOT_UPLOAD_DIR") or None, allowed_paths=allowed, denied_paths=records, app=app
    )
    hosts = frozenset(opts.image_hosts)
    return ContentHooks(
        store=store,
        allow_downloads=opts.allow_file_downloads,
        clean_html=clean_html_component,
        highlight=code_highlight.code_block_html,
        # A player or image at an outside URL loads only from image_hosts, like an <img>.
        remote_allowed=lambda url: "*" in hosts or (urlsplit(url).hostname or "").lower() in hosts,
    )


def _warm_examples(bot: Bot) -> Callable[[BlueprintSetupState], None]:
    """cache_mode="eager": compute the examples' replies once the app has the blueprint, in the
    background (in the app's context, as fn runs in a conversation), so start-up does not wait."""

    def warm(state: BlueprintSetupState) -> None:
        app = cast(Flask, state.app)  # a Flask app: the setup state names only sansio's App

        def run() -> None:
            with app.app_context():
                bot.examples_cache.warm(len(bot.options.examples), lambda index: compute_example(bot, index))

        threading.Thread(target=run, name="flask_chatbot.examples", daemon=True).start()

    return warm


def _init_app(opts: ChatOptions, bot: Bot) -> Callable[[BlueprintSetupState], None]:
    def init(state: BlueprintSetupState) -> None:
        app = state.app
        # concurrency_limit="default" and the line's size come from the app's config.
        bot.queue.configure(
            *fn_queue.app_limits(opts.concurrency_limit, app.config),
            fn_queue.host_dir(app),
            fn_queue.client_limit(app.config),
        )
        extension = app.extensions.setdefault("flask_chatbot", {"blueprints": []})
        extension["blueprints"].append(state.name)
        # The WebSocket layer's options are the app's (flask-sock reads one SOCK_SERVER_OPTIONS):
        # they hold for every chat of the app, and an app's own setting wins (docs/options.md).
        if (
            "SOCK_SERVER_OPTIONS" not in app.config
            or extension.get("sock_options") is app.config["SOCK_SERVER_OPTIONS"]
        ):
            extension["sock_options"] = app.config["SOCK_SERVER_OPTIONS"] = socket_options(
                extension.get("sock_options"), opts.ping_interval, opts.max_frame_bytes
            )
        # Backpressure (conversation/inbox.py) also when the app brought its own options.
        app.config["SOCK_SERVER_OPTIONS"].setdefault("event_class", InboxEvent)

    return init


def socket_options(current: dict[str, Any] | None, ping_interval: float, max_frame_bytes: int) -> dict[str, Any]:
    """The app's WebSocket options with one more chat's: pings at the shortest interval any chat
    asks for (a connection kept alive for one is kept alive for all), and the layer's own cap on
    a message at 4x the largest ``max_frame_bytes``. Past the cap the connection closes (1009);
    below it, each chat answers a frame over its own ``max_frame_bytes`` with an error frame and
    the connection stays (docs/protocol.md)."""
    pings = [p for p in ((current or {}).get("ping_interval"), ping_interval or None) if p]
    sizes = [(current or {}).get("max_message_size") or 0, 4 * max_frame_bytes]
    return {**(current or {}), "ping_interval": min(pings) if pings else None, "max_message_size": max(sizes)}


def _check_signature(fn: Callable[..., Any], inputs: int) -> list[str]:
    """Check that fn takes (message, history) and a value per additional input; the names of
    its parameters for those inputs (labels for inputs that have none)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    try:
        sig.bind("message", [], *([None] * inputs))
    except TypeError:
        wanted = "(message, history" + "".join(f", input{i + 1}" for i in range(inputs)) + ")"
        what = f"{2 + inputs} arguments, {wanted}" if inputs else "two arguments, (message, history)"
        raise OptionsError(f"fn must accept {what}; {getattr(fn, '__name__', fn)}{sig} does not") from None
    positional = [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional[2 : 2 + inputs]


__all__ = ["chat_bp", "local_address", "origin_allowed", "origin_refusal", "webcomponent_dir"]
