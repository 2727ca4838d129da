"""The chat on other sites' pages: which origins may use it, and the CORS headers that let
their pages load the element (docs/embedding.md).

Two kinds of request, two rules:

- **Public, without credentials**: the element's files and ``config.json``. They are the same
  for everyone and are fetched without cookies, so they carry ``Access-Control-Allow-Origin:
  *``: any page can load the element, which then learns from ``config.json``
  (``origin_allowed``) whether this chat is open to that page, and says so if not, instead of
  knocking on a socket that will never open.
- **Acting for the reader**: the socket and the upload route. Browsers apply no CORS to
  WebSockets, so the handshake's ``Origin`` is checked here (access/origin.py): the page's own origin,
  or one of ``allowed_origins`` and the app's ``CHATBOT_ALLOWED_ORIGINS``. An upload from an
  allowed origin gets the CORS answer its preflight needs (the key header), naming that origin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request

from .origin import app_trusted_hosts, host_refusal, local_address, origin_refusal

log = logging.getLogger("flask_chatbot")

#: The app config key listing origins allowed besides chat_bp's ``allowed_origins``.
CONFIG_KEY = "CHATBOT_ALLOWED_ORIGINS"
_SEPARATORS = re.compile(r"[\s,]+")
UPLOAD_CORS = {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type, X-Chatbot-Upload-Key",
    "Access-Control-Max-Age": "600",
}


def app_allowed_origins(config: Mapping[str, Any]) -> tuple[str, ...]:
    """``CHATBOT_ALLOWED_ORIGINS``: a list, or one string of origins separated by spaces or commas."""
    value = config.get(CONFIG_KEY) or ()
    items = _SEPARATORS.split(value) if isinstance(value, str) else list(value)
    return tuple(str(item).rstrip("/") for item in items if item)


def refusal(allowed: tuple[str, ...]) -> str | None:
    """Why the current request's ``Origin`` may not act for the reader (None: it may)."""
    return origin_refusal(
        request.headers.get("Origin"),
        scheme=request.scheme,
        host=request.host,
        allowed=allowed + app_allowed_origins(current_app.config),
        trusted_hosts=app_trusted_hosts(current_app.config),
        local_address=local_address(request.environ),
    )


def host_refusal_now() -> str | None:
    """Why the current request's Host may not read a reader's data (None: it may): the DNS
    rebinding rule of the socket's Origin check, for reads, which carry no Origin."""
    return host_refusal(
        request.host,
        trusted_hosts=app_trusted_hosts(current_app.config),
        local_address=local_address(request.environ),
    )


def cross_site() -> bool:
    """Whether the current request comes from a page of another origin: URLs it gets back
    must then name this server (a path would resolve against that page's origin)."""
    origin = request.headers.get("Origin")
    return bool(origin and origin.rstrip("/").lower() != request.host_url.rstrip("/").lower())


def public(response: Response) -> Response:
    """Mark a response any page may read (no credentials are involved)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def upload_cors(response: Response, allowed: tuple[str, ...]) -> Response:
    """The CORS answer for an upload (its preflight too) from another origin that
    :func:`refusal` lets through: that origin, and the key header it sends."""
    origin = request.headers.get("Origin")
    if origin and cross_site() and refusal(allowed) is None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.update(UPLOAD_CORS)
        response.vary.add("Origin")
    return response


__all__ = ["CONFIG_KEY", "app_allowed_origins", "cross_site", "public", "refusal", "upload_cors"]
