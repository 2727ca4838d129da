"""``validator``: the developer's check of a message before it enters the conversation.

As gr.ChatInterface's ``validator``: ``validator(message, *additional_inputs)`` returns
``validate(is_valid, message)`` (or a list of them, one per input), and a message that fails
never reaches the conversation nor fn: the reader sees why under the message box, with their
text back in it::

    def no_empty_questions(message):
        return validate(len(message.strip()) > 3, "Ask a real question, please.")

    chat_bp(respond, validator=no_empty_questions)
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..runtime.event_loop import shared_loop
from ..runtime.runner import Cancel

log = logging.getLogger("flask_chatbot")
REFUSED = "This message was not accepted."
VALIDATOR_ERROR = "This message could not be checked. Please try again."


def validate(is_valid: bool, message: str = "") -> dict[str, Any]:
    """The result of a check, as Gradio's ``gr.validate``: whether the value is valid, and
    what to tell the reader when it is not."""
    return {"__type__": "validate", "is_valid": bool(is_valid), "message": str(message)}


def refusal(validator: Callable[..., Any] | None, message: Any, inputs: Sequence[Any] = ()) -> str | None:
    """What to tell the reader when ``validator`` refuses ``message`` (None: accepted). A
    validator that raises refuses with a generic sentence (logged with its traceback): a
    message that could not be checked does not go through."""
    if validator is None:
        return None
    try:
        result = validator(message, *inputs)
        if inspect.isawaitable(result):  # an async def validator runs on the worker's event loop
            result = shared_loop.run(_awaited(result), Cancel())
    except Exception:
        log.exception("The validator %r raised", getattr(validator, "__name__", validator))
        return VALIDATOR_ERROR
    return _refusal_of(result)


def _refusal_of(result: Any) -> str | None:
    if result is None or result is True:
        return None
    if result is False:
        return REFUSED
    if isinstance(result, Mapping) and "is_valid" in result:
        return None if result["is_valid"] else (str(result.get("message") or "") or REFUSED)
    if isinstance(result, Sequence) and not isinstance(result, (str, bytes)):
        reasons = [reason for item in result if (reason := _refusal_of(item)) is not None]
        return " ".join(reasons) if reasons else None
    log.warning("The validator returned %r; expected validate(is_valid, message): taken as valid", result)
    return None


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
