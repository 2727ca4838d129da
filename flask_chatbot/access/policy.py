"""Who may use a chat: one policy that every door of the blueprint checks the same way
(docs/security.md, "Who may use the chat").

Two parts, both optional:

- ``authorize(request)``: the app's own rule (a signed-in user, a role, an IP range...). Every
  door that serves or takes a conversation's data asks it: the page, ``config.json``, the
  socket's handshake, uploads, files, saved chats, and the HTTP and OpenAI APIs when they
  have no key. A truthy answer admits; a falsy one refuses with 403; a Flask ``Response``
  (a redirect to the sign-in page, say) is what the page sends, while the other doors still
  answer 403; an exception refuses (and is logged, never shown).
- ``api_key``: keys for programs. When set, ``/api/*`` and ``/v1/*`` need one of them as
  ``Authorization: Bearer <key>`` (401 otherwise) and a right key is enough there: programs
  hold a key, not the reader's cookie.

The element's own files and the page's stylesheet and script are code, not data: any page
may load them (access/embedding.py), so they are the only doors the policy leaves open.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Request, Response, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from ..errors import OptionsError

log = logging.getLogger("flask_chatbot")

# The doors programs use: a key guards them when one is set.
PROGRAM_DOORS = frozenset({"api", "api_info", "openai_models", "openai_completions"})
OPENAI_DOORS = frozenset({"openai_models", "openai_completions"})
# Code any page may load, the same for everyone; every other route of the blueprint is a door.
OPEN_ROUTES = frozenset(
    {"static", "element_module", "element_stylesheet", "element_feature", "page_css", "custom_css", "custom_js"}
)


def bearer_token(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (the scheme in any case), or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@dataclass(frozen=True)
class Refusal:
    """Why a door stays shut, as the client is told (never a traceback)."""

    status: int
    code: str
    message: str
    response: BaseResponse | None = None  # the app's own answer (authorize's Response, on the page)

    def answer(self, door: str) -> BaseResponse:
        if self.response is not None:
            return self.response
        if door == "page":
            answer = Response(self.message + "\n", self.status, mimetype="text/plain")
        elif door in OPENAI_DOORS:  # the shape OpenAI's clients read
            answer = jsonify(
                error={"message": self.message, "type": "invalid_request_error", "param": None, "code": self.code}
            )
        else:
            answer = jsonify(error={"code": self.code, "message": self.message})
        answer.status_code = self.status
        if self.status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="chat"'
        return answer


@dataclass(frozen=True)
class AccessPolicy:
    """``authorize`` and ``api_keys`` of one chat (chat_bp's ``authorize`` and ``api_key``)."""

    authorize: Callable[[Request], Any] | None = None
    api_keys: tuple[str, ...] = ()

    def refusal(self, door: str) -> Refusal | None:
        """Why the current request may not pass ``door`` (an endpoint of the blueprint), or None."""
        if door in OPEN_ROUTES:
            return None
        if door in PROGRAM_DOORS and self.api_keys:
            return self._key_refusal()
        if self.authorize is None:
            return None
        try:
            verdict = self.authorize(request)
        except Exception:
            log.exception("authorize() raised at %s; the request is refused", request.path)
            return Refusal(403, "forbidden", "You may not use this chat.")
        if isinstance(verdict, BaseResponse):
            return Refusal(403, "forbidden", "You may not use this chat.", verdict if door == "page" else None)
        if verdict:
            return None
        return Refusal(403, "forbidden", "You may not use this chat.")

    def _key_refusal(self) -> Refusal | None:
        given = bearer_token(request.headers.get("Authorization"))
        if given is None:
            return Refusal(401, "missing_api_key", "This API needs a key: send Authorization: Bearer <key>.")
        # Digests of equal length: the comparison takes the same time whatever the key's length.
        digest = hashlib.sha256(given.encode()).digest()
        if any(hmac.compare_digest(digest, hashlib.sha256(key.encode()).digest()) for key in self.api_keys):
            return None
        return Refusal(401, "invalid_api_key", "Incorrect API key provided.")


def check_access_options(authorize: Any, api_key: Any) -> tuple[str, ...]:
    """``api_key`` as a tuple of keys, after checking both options (OptionsError says what to change)."""
    if authorize is not None and not callable(authorize):
        raise OptionsError(f"authorize must be a function authorize(request) -> bool, or None, not {authorize!r}")
    keys = (api_key,) if isinstance(api_key, str) else api_key
    if keys is None:
        return ()
    if (
        not isinstance(keys, (tuple, list))
        or not keys
        or not all(isinstance(k, str) and k.strip() == k and k for k in keys)
    ):
        raise OptionsError(f"api_key must be a key string, a list of them, or None, not {api_key!r}")
    return tuple(keys)


__all__ = ["AccessPolicy", "OPEN_ROUTES", "PROGRAM_DOORS", "Refusal", "bearer_token", "check_access_options"]
