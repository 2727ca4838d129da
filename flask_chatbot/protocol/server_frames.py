"""The frames the server sends: a builder per type, their schemas (the tests validate what the
server sends against them) and :func:`encode`, the JSON every frame leaves as.

Mirrors the handlers of webcomponent/core/protocol.js; docs/protocol.md is the reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from .fields import (
    LIVE_KEY,
    PROTOCOL_VERSION,
    ROLES,
    STATUSES,
    TURN_ID,
    UPLOAD_KEY,
    Content,
    _Frame,
    _message_id,
    _metadata,
    _options,
)


class _TurnFrame(_Frame):
    """A frame that may belong to a turn: then it carries the turn's next number (conversation/live_turn.py)."""

    seq = fields.Integer(strict=True, validate=validate.Range(min=1))


class ResumedSchema(Schema):
    """What became of the turn a hello named: followed again (its missed frames follow), or not."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(TURN_ID))
    resumed = fields.Boolean(required=True)


class WelcomeSchema(_Frame):
    version = fields.Integer(required=True, strict=True)
    session = fields.String(required=True)
    upload_key = fields.String(validate=validate.Regexp(UPLOAD_KEY))
    turn = fields.Nested(ResumedSchema)
    live = fields.String(validate=validate.Regexp(LIVE_KEY))


class TurnSchema(_TurnFrame):
    """A turn starts (its first frame, seq 1): ``key`` is what a hello shows to follow it again."""

    id = fields.String(required=True, validate=validate.Regexp(TURN_ID))
    key = fields.String(required=True, validate=validate.Regexp(TURN_ID))


class MessageBodySchema(Schema):
    class Meta:
        unknown = RAISE

    id = _message_id()
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    content = Content(required=True)
    html = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    metadata = _metadata()
    title_html = fields.String()
    options = _options()
    # feedback_value's, on a message of the starting conversation; another tab's (null: none taken)
    feedback = fields.String(allow_none=True)


class MessageSchema(_TurnFrame):
    message = fields.Nested(MessageBodySchema, required=True)


class PatchSchema(_TurnFrame):
    id = _message_id()
    keep = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    append = fields.String(required=True)
    blocks_from = fields.Integer(strict=True, validate=validate.Range(min=0))
    blocks = fields.List(fields.String())
    tail = fields.String()
    tail_text = fields.String()
    metadata = _metadata()
    title_html = fields.String()
    options = _options()


class DoneSchema(_TurnFrame):
    id = _message_id()
    content = Content(required=True)
    html = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES[1:]))
    metadata = _metadata()
    title_html = fields.String()
    options = _options()


class RemoveSchema(_TurnFrame):
    id = _message_id()


class FeedbackSchema(_Frame):
    """The reader's feedback on a message changed in another tab of the conversation (null: taken back)."""

    id = _message_id()
    value = fields.String(required=True, allow_none=True)


class IdleSchema(_TurnFrame):
    pass


class OutputSchema(_TurnFrame):
    """A value of an additional output changed (``html`` rendered and sanitized; ``value`` the
    text, for text outputs)."""

    index = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    html = fields.String(required=True)
    value = fields.Raw(allow_none=True)


class ConversationSchema(_TurnFrame):
    """A listener returned a new conversation: the element shows it instead."""

    messages = fields.List(fields.Nested(MessageBodySchema), required=True)


class ProgressSchema(Schema):
    """What fn said of its progress (notices.Progress): each field only when known."""

    class Meta:
        unknown = RAISE

    value = fields.Float(validate=validate.Range(min=0, max=1))
    index = fields.Integer(strict=True)
    length = fields.Integer(strict=True)
    desc = fields.String()
    unit = fields.String()


class StatusSchema(_TurnFrame):
    """Where the turn is: waiting in the line (``position`` of ``size``, ``eta`` seconds if
    known) or running (with fn's ``progress``, if it gave one)."""

    state = fields.String(required=True, validate=validate.OneOf(["queued", "running"]))
    position = fields.Integer(strict=True, validate=validate.Range(min=1))
    size = fields.Integer(strict=True, validate=validate.Range(min=1))
    eta = fields.Float(allow_none=True, validate=validate.Range(min=0))
    progress = fields.Nested(ProgressSchema)


class ToastSchema(_TurnFrame):
    """A notice from fn (notices.Info, Warning, Success): plain text, never HTML."""

    level = fields.String(required=True, validate=validate.OneOf(["info", "warning", "success"]))
    message = fields.String(required=True)
    title = fields.String()
    duration = fields.Float(required=True, allow_none=True, validate=validate.Range(min=0))


class ErrorSchema(_TurnFrame):
    code = fields.String(required=True)
    message = fields.String(required=True)
    id = fields.String()


SERVER_SCHEMAS: dict[str, Schema] = {
    "welcome": WelcomeSchema(),
    "turn": TurnSchema(),
    "message": MessageSchema(),
    "patch": PatchSchema(),
    "done": DoneSchema(),
    "remove": RemoveSchema(),
    "feedback": FeedbackSchema(),
    "conversation": ConversationSchema(),
    "output": OutputSchema(),
    "idle": IdleSchema(),
    "status": StatusSchema(),
    "toast": ToastSchema(),
    "error": ErrorSchema(),
}


def encode(frame: Any) -> str:
    """JSON text of ``frame`` that always encodes as UTF-8 (also used for the APIs' streams and
    the stores): readable characters as they are, a lone surrogate escaped."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (half an emoji): escape it, JSON allows that
        text = json.dumps(frame, ensure_ascii=True, separators=(",", ":"))
    return text


# -- builders for the frames the server sends ------------------------------------


def welcome(
    session: str, upload_key: str | None = None, turn: Mapping[str, Any] | None = None, live: str | None = None
) -> dict[str, Any]:
    """``turn``: ``{"id", "resumed"}``, when the hello named a turn to follow again; ``live``: the
    conversation's live key (conversation/channels.py), when its sockets show it live."""
    frame: dict[str, Any] = {"type": "welcome", "version": PROTOCOL_VERSION, "session": session}
    if live is not None:
        frame["live"] = live
    if upload_key is not None:  # a multimodal chat's: sent with each upload, back in hello
        frame["upload_key"] = upload_key
    if turn is not None:
        frame["turn"] = dict(turn)
    return frame


def turn(turn_id: str, key: str) -> dict[str, Any]:
    return {"type": "turn", "id": turn_id, "key": key}


def message(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "message", "message": dict(body)}


def patch(message_id: str, fields_: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "patch", "id": message_id, **fields_}


def done(message_id: str, content: Any, html: str, status: str, **extra: Any) -> dict[str, Any]:
    """``extra``: the message's final ``metadata`` and ``options`` (left out when empty)."""
    frame = {"type": "done", "id": message_id, "content": content, "html": html, "status": status}
    frame.update((key, value) for key, value in extra.items() if value)
    return frame


def remove(message_id: str) -> dict[str, Any]:
    """A streaming message fn no longer yields (its list got shorter): it goes."""
    return {"type": "remove", "id": message_id}


def feedback(message_id: str, value: str | None) -> dict[str, Any]:
    """Another tab gave ``value`` on the message (None: took it back)."""
    return {"type": "feedback", "id": message_id, "value": value}


def output(index: int, html: str, value: Any = None) -> dict[str, Any]:
    return {"type": "output", "index": index, "html": html, "value": value}


def conversation(bodies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"type": "conversation", "messages": [dict(b) for b in bodies]}


def idle() -> dict[str, Any]:
    return {"type": "idle"}


def queued(position: int, size: int, eta: float | None) -> dict[str, Any]:
    """The turn waits: ``position`` (1: next) of ``size`` waiting, about ``eta`` seconds (None: unknown)."""
    return {
        "type": "status",
        "state": "queued",
        "position": position,
        "size": size,
        "eta": None if eta is None else round(eta, 1),
    }


def running(progress: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """fn runs (after waiting in line), or says how far it got."""
    frame: dict[str, Any] = {"type": "status", "state": "running"}
    if progress is not None:
        frame["progress"] = dict(progress)
    return frame


def toast(fields_: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "toast", **fields_}


def error(code: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    frame = {"type": "error", "code": code, "message": text}
    if message_id is not None:
        frame["id"] = message_id
    return frame
