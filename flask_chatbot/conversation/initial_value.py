"""``Chatbot(value=...)``: the conversation a page starts with, as message frames' bodies.

Gradio takes a list of message dicts or ChatMessages (or a function returning one, run on
every page load). Each user or assistant message becomes what a ``message`` frame carries,
rendered once per page load; the element shows them and sends them back in ``hello`` like
any other message. System messages stay on the server (:func:`system_messages`): a system
prompt is the developer's, never shown to a visitor nor taken from one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..content.messages import ChatMessage, ToContent, new_message_id, normalize_reply, render_title
from ..errors import OptionsError
from ..rendering.renderer import Renderer

log = logging.getLogger("flask_chatbot")

ROLES = ("user", "assistant", "system")


def initial_messages(
    value: Any,
    *,
    renderer: Renderer,
    to_content: ToContent | None = None,
    render_content: Callable[[dict[str, Any]], str] | None = None,
    feedback: Sequence[str | None] = (),
) -> list[dict[str, Any]]:
    """The bodies of the messages ``value`` describes (``value()`` if it is callable), with
    ``feedback[i]`` (gr.Chatbot's ``feedback_value``) on the i-th message shown."""
    if callable(value):
        value = value()
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise OptionsError(f"the chatbot's value must be a list of messages, not {type(value).__name__}")
    bodies: list[dict[str, Any]] = []
    for entry in value:
        role = _role(entry)
        if role == "system":
            continue
        [item] = normalize_reply([entry], to_content=to_content)[:1] or [{"content": "", "metadata": {}}]
        content = item["content"]
        if isinstance(content, dict):
            html = render_content(content) if render_content else ""
        else:
            html = renderer.render(content, from_user=role == "user")
        body: dict[str, Any] = {
            "id": new_message_id(),
            "role": role,
            "content": content,
            "html": html,
            "status": "done",
        }
        if item["metadata"]:
            body["metadata"] = item["metadata"]
            title = render_title(lambda text: renderer.render(text, from_user=False), item["metadata"].get("title"))
            if title:
                body["title_html"] = title
        if item.get("options"):
            body["options"] = item["options"]
        if len(bodies) < len(feedback) and feedback[len(bodies)] is not None:
            body["feedback"] = feedback[len(bodies)]
        bodies.append(body)
    return bodies


def _role(entry: Any) -> str:
    role = entry.role if isinstance(entry, ChatMessage) else entry.get("role") if isinstance(entry, Mapping) else None
    if role not in ROLES:
        raise OptionsError(
            f"each message of the chatbot's value needs a role of 'user', 'assistant' or 'system', not {entry!r}"
        )
    return str(role)


def system_messages(value: Any) -> list[dict[str, Any]]:
    """The system messages of ``value`` (``value()`` if it is callable), as fn gets them first
    in its history: ``{"role": "system", "content": str}``."""
    if callable(value):
        value = value()
    out = []
    for entry in value or []:
        if _role(entry) == "system":
            [item] = normalize_reply([entry])
            out.append({"role": "system", "content": item["content"]})
    return out


def value_or_empty(func: Callable[..., list[Any]], *args: Any, **kwargs: Any) -> list[Any]:
    """``func(...)``, or an empty list when it raises (logged): a ``value`` function that fails
    must not keep every page from connecting."""
    try:
        return func(*args, **kwargs)
    except Exception:
        log.exception("The chatbot's value could not be built; starting with an empty conversation")
        return []
