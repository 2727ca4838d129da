"""chat_bp(): builds the Blueprint with the page, the element's files, its config and the socket."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, jsonify, render_template, request, send_from_directory, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_sock import Sock

from .errors import OptionsError
from .options import ChatOptions
from .rendering import Renderer
from .session import Bot, ChatSession

_PACKAGE_DIR = Path(__file__).resolve().parent


def webcomponent_dir() -> Path:
    """Where the element's files are: inside the installed package (a wheel maps
    webcomponent/ to flask_chatbot/webcomponent), or beside it in a source checkout."""
    spec = importlib.util.find_spec("flask_chatbot.webcomponent")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "chat-bot.js").is_file():
                return Path(location)
    return _PACKAGE_DIR.parent / "webcomponent"


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
    _check_signature(fn)
    opts = ChatOptions.from_kwargs(options)
    bot = Bot(fn=fn, options=opts, renderer=Renderer(opts.render_options))
    static_dir = webcomponent_dir()
    bp = Blueprint(
        name,
        __name__,
        static_folder=str(static_dir),
        static_url_path="/static",
        template_folder="templates",
    )
    bp.record_once(_init_app(opts))

    @bp.get("/")
    def page() -> Response:
        description = bot.renderer.render(opts.description, from_user=False) if opts.description else None
        html = render_template("flask_chatbot/page.html", options=opts, description_html=description)
        response = Response(html, mimetype="text/html")
        if opts.content_security_policy:
            response.headers["Content-Security-Policy"] = opts.content_security_policy
        return response

    @bp.get("/page.css")
    def page_css() -> Response:
        return send_from_directory(_PACKAGE_DIR / "static", "page.css")

    @bp.get("/config.json")
    def config() -> Response:
        placeholder = bot.renderer.render(opts.placeholder, from_user=False) if opts.placeholder else None
        return jsonify(
            version=1,
            socket=url_for(".page") + "socket",  # a path: werkzeug builds websocket rules as ws:// URLs
            placeholder=placeholder,
            textbox_placeholder=opts.textbox_placeholder,
            submit_btn=opts.submit_btn,
            stop_btn=opts.stop_btn,
            autofocus=opts.autofocus,
            autoscroll=opts.autoscroll,
            rtl=opts.rtl,
        )

    @bp.before_request
    def check_origin() -> None:
        # Browsers apply no CORS to WebSockets, and neither flask-sock nor simple-websocket
        # checks Origin: without this any site could open a socket with the user's cookies.
        if request.endpoint == f"{request.blueprint}.socket" and not origin_allowed(
            request.headers.get("Origin"), request.host, opts.allowed_origins
        ):
            abort(403, description="This WebSocket does not accept connections from that origin.")

    sock = Sock()

    @sock.route("/socket", bp=bp)
    def socket(ws: Any) -> None:
        ChatSession(ws, bot).serve()

    return bp


def origin_allowed(origin: str | None, host: str, allowed: tuple[str, ...]) -> bool:
    """Same host as the request (any scheme, default ports folded), or listed in ``allowed``.

    No Origin header means no browser (browsers always send it on a WebSocket
    handshake), so no ambient credentials are at stake.
    """
    if origin is None or "*" in allowed:
        return True
    seen = _origin_key(origin)
    if seen is None:
        return False
    if seen in {_origin_key(a) for a in allowed}:
        return True
    scheme, hostport = seen
    request = _origin_key(f"{scheme}://{host}")
    return request is not None and request[1] == hostport


def _origin_key(origin: str) -> tuple[str, str] | None:
    """(scheme, "host:port") as browsers compare origins: lower case, default port made explicit."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    hostname = parts.hostname.lower()
    if ":" in hostname:  # IPv6: urlsplit drops the brackets
        hostname = f"[{hostname}]"
    return parts.scheme, f"{hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def _init_app(opts: ChatOptions) -> Callable[[BlueprintSetupState], None]:
    def init(state: BlueprintSetupState) -> None:
        app = state.app
        # The WebSocket layer's own cap protects memory: past it the connection closes
        # (1009). Below it, frames over max_frame_bytes get an error frame and the
        # connection stays (docs/protocol.md). An app's own setting wins.
        app.config.setdefault(
            "SOCK_SERVER_OPTIONS",
            {"ping_interval": opts.ping_interval or None, "max_message_size": 4 * opts.max_frame_bytes},
        )
        app.extensions.setdefault("flask_chatbot", {"blueprints": []})["blueprints"].append(state.name)

    return init


def _check_signature(fn: Callable[..., Any]) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        sig.bind("message", [])
    except TypeError:
        raise OptionsError(
            f"fn must accept two arguments, (message, history); {getattr(fn, '__name__', fn)}{sig} does not"
        ) from None


__all__ = ["chat_bp", "origin_allowed", "webcomponent_dir"]
