"""The wire protocol: one marshmallow schema per frame type, and the frames the server sends.

Mirrors webcomponent/protocol.js; docs/protocol.md is the reference and
tests/fixtures/frames.json holds the canonical frames both test suites read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..errors import ProtocolError
from .fields import (  # noqa: F401 (PROTOCOL_VERSION and the ids: re-exported)
    FILE_ID_PATTERN,
    PROTOCOL_VERSION,
    ROLES,
    SESSION_ID,
    STATUSES,
    UPLOAD_KEY,
    Content,
    _Frame,
    _message_id,
    _metadata,
    _options,
)


# -- client -> server ------------------------------------------------------------


class HistoryMessageSchema(Schema):
    class Meta:
        unknown = RAISE

    id = _message_id()
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    content = Content(required=True)
    metadata = _metadata()
    options = _options()
    feedback = fields.String(allow_none=True)  # the reader's like, dislike or flag


class HelloSchema(_Frame):
    version = fields.Integer(required=True, strict=True)
    history = fields.List(fields.Nested(HistoryMessageSchema), load_default=list)
    # The `session` of an earlier welcome: a reconnect or a reload keeps the conversation's id.
    session = fields.String(validate=validate.Regexp(SESSION_ID, error="must be 16 of 0-9 a-f"))
    # The `upload_key` of an earlier welcome: the conversation's uploads stay its own (files/uploads.py).
    upload_key = fields.String(validate=validate.Regexp(UPLOAD_KEY, error="must be 32 of A-Z a-z 0-9 _ -"))


def _inputs() -> fields.List:
    """The values of the additional inputs, in order (checked against them by options/inputs.py)."""
    return fields.List(fields.Raw(allow_none=True), validate=validate.Length(max=100))


class SubmitSchema(_Frame):
    id = _message_id()
    text = fields.String(required=True)
    option_of = _message_id(required=False)  # the message whose preset reply was clicked
    inputs = _inputs()
    example = fields.Integer(strict=True, validate=validate.Range(min=0))  # the example card this text is
    # Uploads (their ids) the message carries, in order; multimodal chats only (conversation/multimodal.py).
    files = fields.List(fields.String(validate=validate.Regexp(FILE_ID_PATTERN, error="must be a file id")),
                        validate=validate.Length(max=100))


class LikeSchema(_Frame):
    id = _message_id()
    value = fields.String(required=True, allow_none=True)  # a feedback option, or null to take it back


class CopySchema(_Frame):
    id = _message_id()


class SelectSchema(_Frame):
    id = _message_id()


class ExampleSchema(_Frame):
    """The reader clicked example ``index`` (config.json's ``examples``)."""

    index = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class EditSchema(_Frame):
    id = _message_id()  # the message edited
    text = fields.String(required=True)
    # A user message edited becomes a new message (the old one stays in the element's other
    # version of that turn); an assistant message is edited in place and takes none.
    new_id = _message_id(required=False)
    inputs = _inputs()


class RetrySchema(_Frame):
    inputs = _inputs()


class UndoSchema(_Frame):
    pass


class ClearSchema(_Frame):
    pass


class StopSchema(_Frame):
    pass


CLIENT_SCHEMAS: dict[str, Schema] = {
    "hello": HelloSchema(),
    "submit": SubmitSchema(),
    "stop": StopSchema(),
    "like": LikeSchema(),
    "retry": RetrySchema(),
    "undo": UndoSchema(),
    "clear": ClearSchema(),
    "copy": CopySchema(),
    "select": SelectSchema(),
    "example": ExampleSchema(),
    "edit": EditSchema(),
}

# -- server -> client (the server builds these; tests validate them) ---------------


class WelcomeSchema(_Frame):
    version = fields.Integer(required=True, strict=True)
    session = fields.String(required=True)
    upload_key = fields.String(validate=validate.Regexp(UPLOAD_KEY))


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
    feedback = fields.String()  # feedback_value's, on a message of the starting conversation


class MessageSchema(_Frame):
    message = fields.Nested(MessageBodySchema, required=True)


class PatchSchema(_Frame):
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


class DoneSchema(_Frame):
    id = _message_id()
    content = Content(required=True)
    html = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES[1:]))
    metadata = _metadata()
    title_html = fields.String()
    options = _options()


class RemoveSchema(_Frame):
    id = _message_id()


class IdleSchema(_Frame):
    pass


class OutputSchema(_Frame):
    """A value of an additional output changed (``html`` rendered and sanitized; ``value`` the
    text, for text outputs)."""

    index = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    html = fields.String(required=True)
    value = fields.Raw(allow_none=True)


class ConversationSchema(_Frame):
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


class StatusSchema(_Frame):
    """Where the turn is: waiting in the line (``position`` of ``size``, ``eta`` seconds if
    known) or running (with fn's ``progress``, if it gave one)."""

    state = fields.String(required=True, validate=validate.OneOf(["queued", "running"]))
    position = fields.Integer(strict=True, validate=validate.Range(min=1))
    size = fields.Integer(strict=True, validate=validate.Range(min=1))
    eta = fields.Float(allow_none=True, validate=validate.Range(min=0))
    progress = fields.Nested(ProgressSchema)


class ToastSchema(_Frame):
    """A notice from fn (notices.Info, Warning, Success): plain text, never HTML."""

    level = fields.String(required=True, validate=validate.OneOf(["info", "warning", "success"]))
    message = fields.String(required=True)
    title = fields.String()
    duration = fields.Float(required=True, allow_none=True, validate=validate.Range(min=0))


class ErrorSchema(_Frame):
    code = fields.String(required=True)
    message = fields.String(required=True)
    id = fields.String()


SERVER_SCHEMAS: dict[str, Schema] = {
    "welcome": WelcomeSchema(),
    "message": MessageSchema(),
    "patch": PatchSchema(),
    "done": DoneSchema(),
    "remove": RemoveSchema(),
    "conversation": ConversationSchema(),
    "output": OutputSchema(),
    "idle": IdleSchema(),
    "status": StatusSchema(),
    "toast": ToastSchema(),
    "error": ErrorSchema(),
}


def _describe(messages: Any, prefix: str) -> list[str]:
    """marshmallow's nested error dict as 'path: problem' lines."""
    if isinstance(messages, Mapping):
        out: list[str] = []
        for key, value in messages.items():
            out += _describe(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    return [f"{prefix}: {messages}"]


def load_frame(data: Mapping[str, Any], schemas: Mapping[str, Schema]) -> dict[str, Any]:
    """Validate a decoded frame against the schema of its type; ProtocolError if it breaks it."""
    frame_type = data.get("type")
    schema = schemas.get(frame_type) if isinstance(frame_type, str) else None
    if schema is None:
        known = ", ".join(schemas)
        raise ProtocolError("bad_frame", f"unknown frame type {frame_type!r}; expected one of {known}")
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ProtocolError("bad_frame", " ".join(_describe(err.messages, str(frame_type)))) from None


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: a key given twice is refused, not silently the last one
    (`{"type": "stop", "type": "hello"}` must not mean what one reader of it thinks)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):  # only then look for the key: one pass, linear either way
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = key if len(key) <= 40 else key[:40] + "…"
                raise ProtocolError("bad_json", f"the frame has a duplicate key {shown!r}")
            seen.add(key)
    return obj


def parse_client_frame(raw: str | bytes, max_bytes: int) -> dict[str, Any]:
    """Decode and validate one frame from the element."""
    if isinstance(raw, (bytes, bytearray)):
        raise ProtocolError("bad_json", "frames must be JSON text, not binary")
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("too_large", f"the frame has {size} bytes; the limit is {max_bytes}")
    try:
        data = json.loads(raw, object_pairs_hook=_object_without_duplicate_keys)
    except json.JSONDecodeError as err:
        raise ProtocolError("bad_json", f"the frame is not valid JSON ({err.msg} at position {err.pos})") from None
    except (ValueError, RecursionError):  # a number too long to convert, nesting too deep
        raise ProtocolError("bad_json", "the frame is not JSON the server can read (too deep or too long a number)") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a frame must be a JSON object with a 'type'")
    return load_frame(data, CLIENT_SCHEMAS)


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


def welcome(session: str, upload_key: str | None = None) -> dict[str, Any]:
    frame = {"type": "welcome", "version": PROTOCOL_VERSION, "session": session}
    if upload_key is not None:  # a multimodal chat's: sent with each upload, back in hello
        frame["upload_key"] = upload_key
    return frame


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


def output(index: int, html: str, value: Any = None) -> dict[str, Any]:
    return {"type": "output", "index": index, "html": html, "value": value}


def conversation(bodies: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {"type": "conversation", "messages": [dict(b) for b in bodies]}


def idle() -> dict[str, Any]:
    return {"type": "idle"}


def queued(position: int, size: int, eta: float | None) -> dict[str, Any]:
    """The turn waits: ``position`` (1: next) of ``size`` waiting, about ``eta`` seconds (None: unknown)."""
    return {"type": "status", "state": "queued", "position": position, "size": size,
            "eta": None if eta is None else round(eta, 1)}


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
