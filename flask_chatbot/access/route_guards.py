"""Who may use which route of a chat, and what every answer under its mount carries
(docs/security.md): the Origin check of the routes that act for a reader (the socket, uploads,
saved chats' changes, the HTTP and OpenAI APIs), the Host check of the routes that read a
reader's data (DNS rebinding), then the chat's access policy (access/policy.py) at every door, and
the security and cross-origin headers.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.sansio.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from . import embedding
from .policy import AccessPolicy

log = logging.getLogger("flask_chatbot")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# The routes that read a reader's data: the Host check against DNS rebinding applies to them too.
READS = frozenset({"history_list", "history_get", "files", "api_info"})
# What a refused request was, for the log line (by endpoint).
REFUSED_WHAT = {
    "socket": "the WebSocket handshake",
    "upload": "an upload",
    "history_rename": "a saved chat's rename",
    "history_delete": "a saved chat's deletion",
    "api": "an API call",
    "openai_completions": "an OpenAI-compatible call",
    "page": "the page",
    "config": "config.json",
    "files": "a file",
    "history_list": "the saved chats",
    "history_get": "a saved chat",
    "api_info": "the API's description",
    "openai_models": "the model list",
}


def guard_routes(bp: Blueprint, opts: Any, public_endpoints: Collection[str]) -> None:
    """The checks and headers of ``bp``'s routes (``opts``: its ChatOptions); the endpoints of
    ``public_endpoints`` may be loaded by any page (the element's files, config.json)."""
    policy = AccessPolicy(opts.authorize, opts.api_key)

    @bp.before_request
    def check_request() -> ResponseReturnValue | None:
        # Where the request comes from first (it costs nothing and runs no app code), then who.
        refused = check_origin()
        if refused is not None:
            return refused
        door = (request.endpoint or "").rpartition(".")[2]
        # A CORS preflight carries no credentials by design; the request it clears is checked.
        refusal = None if request.method == "OPTIONS" else policy.refusal(door)
        if refusal is None:
            return None
        # A wrong key is worth a warning; a reader authorize() turns away is the app's everyday rule.
        level = logging.WARNING if refusal.status == 401 else logging.INFO
        log.log(
            level,
            "Refused %s at %s: %s (%s)",
            REFUSED_WHAT.get(door, "a request"),
            request.path,
            refusal.message,
            refusal.code,
        )
        return refusal.answer(door)

    def check_origin() -> ResponseReturnValue | None:
        # Browsers apply no CORS to WebSockets, and neither flask-sock nor simple-websocket
        # checks Origin: without this any site could open a socket with the user's cookies.
        # An upload (multimodal) is checked alike: its key header already makes a cross-site
        # form post impossible, and this keeps other sites' pages from posting files at all.
        # The HTTP API alike: programs send no Origin; another site's page may not call it.
        checked = ("socket", "upload", "history_rename", "history_delete", "api", "openai_completions")
        endpoint = request.endpoint or ""
        route = endpoint.rpartition(".")[2]
        if route in READS:
            # A read carries no Origin, so only its Host can tell a rebinding page's request.
            reason = embedding.host_refusal_now()
            if reason is not None:
                log.warning("Refused a read of %s (Host %r): %s", request.path, request.host, reason)
                return Response("Not served under that host name.\n", 403, mimetype="text/plain")
            return None
        if route not in checked:
            return None
        if not opts.websocket_compression and endpoint.endswith(".socket"):
            # simple-websocket accepts any permessage-deflate offer: a zlib context of about
            # 300 KB per socket and CPU on every frame. Without the offer the handshake has none.
            request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        origin = request.headers.get("Origin")
        reason = embedding.refusal(opts.allowed_origins)
        if reason is None:
            return None
        # %r: the Origin and Host are the client's text; repr keeps them on one line.
        what = REFUSED_WHAT[endpoint.rpartition(".")[2]]
        log.warning("Refused %s at %s from Origin %r (Host %r): %s", what, request.path, origin, request.host, reason)
        if endpoint.endswith(".upload"):
            return Response("Uploads are not accepted from that origin.\n", 403, mimetype="text/plain")
        if endpoint.endswith((".api", ".openai_completions")):
            return jsonify(error={"code": "origin", "message": "The API does not take requests from that origin."}), 403
        return Response("This WebSocket does not accept connections from that origin.\n", 403, mimetype="text/plain")

    # Every answer under the mount, also those no view of the blueprint made (a 404, the socket
    # URL asked without an upgrade), whose blueprint hooks do not run: an app-wide hook by path.
    def headers_under_mount(state: BlueprintSetupState) -> None:
        mount = (state.url_prefix or "").rstrip("/") + "/"

        @state.app.after_request
        def security_headers(response: Response) -> Response:
            if request.path.startswith(mount):
                for header, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(header, value)
            return response

    bp.record(headers_under_mount)

    @bp.after_request
    def cross_origin_headers(response: Response) -> Response:
        if request.endpoint in public_endpoints:
            embedding.public(response)
        elif request.endpoint == f"{bp.name}.upload":
            embedding.upload_cors(response, opts.allowed_origins)
        return response


__all__ = ["READS", "REFUSED_WHAT", "SECURITY_HEADERS", "guard_routes"]
