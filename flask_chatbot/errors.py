"""Exceptions: one base class, subclasses that carry what they are about."""

from __future__ import annotations


class ChatbotError(Exception):
    """Base class of every exception flask-chatbot raises on purpose."""


class Error(ChatbotError):
    """Raise inside ``fn`` to show ``message`` to the user as an error.

    Any other exception shows a generic sentence instead (and is logged), so
    nothing of a traceback or a secret reaches the browser::

        def respond(message, history):
            if len(message) > 2000:
                raise flask_chatbot.Error("Please keep questions under 2000 characters.")
            ...
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProtocolError(ChatbotError):
    """A frame from the client that the server cannot accept.

    ``code`` is one of the error codes of docs/protocol.md; ``message`` says
    what is wrong in words a developer can act on.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OptionsError(ChatbotError, ValueError):
    """An option of :func:`chat_bp` has a value it cannot take."""
