"""The frames the element sends: one marshmallow schema per type, unknown keys refused, and
:func:`parse_client_frame`, where a frame from a socket is decoded and checked.

Mirrors the senders of webcomponent/core/protocol.js; docs/protocol.md is the reference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..errors import ProtocolError
from .fields import (
    FILE_ID_PATTERN,
    LIVE_KEY,
    ROLES,
    SESSION_ID,
    TURN_ID,
    UPLOAD_KEY,
    Content,
    _Frame,
    _message_id,
    _metadata,
    _options,
)


class HistoryMessageSchema(Schema):
    class Meta:
        unknown = RAISE

    id = _message_id()
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    content = Content(required=True)
    metadata = _metadata()
    options = _options()
    feedback = fields.String(allow_none=True)  # the reader's like, dislike or flag


class FollowedTurnSchema(Schema):
    """The turn a hello follows again: the ``turn`` frame's id and key, and the last ``seq`` applied."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(TURN_ID, error="must be 32 of 0-9 a-f"))
    key = fields.String(required=True, validate=validate.Regexp(TURN_ID, error="must be 32 of 0-9 a-f"))
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31))


class HelloSchema(_Frame):
    version = fields.Integer(required=True, strict=True)
    history = fields.List(fields.Nested(HistoryMessageSchema), load_default=list)
    # The `session` of an earlier welcome: a reconnect or a reload keeps the conversation's id.
    session = fields.String(validate=validate.Regexp(SESSION_ID, error="must be 16 of 0-9 a-f"))
    # The `upload_key` of an earlier welcome: the conversation's uploads stay its own (files/uploads.py).
    upload_key = fields.String(validate=validate.Regexp(UPLOAD_KEY, error="must be 32 of A-Z a-z 0-9 _ -"))
    # The turn it was following when its socket dropped or its page reloaded (conversation/live_turn.py).
    turn = fields.Nested(FollowedTurnSchema)
    # The `live` key of an earlier welcome: the sockets that show this conversation show it live.
    live = fields.String(validate=validate.Regexp(LIVE_KEY, error="must be 32 of 0-9 a-f"))


def _inputs() -> fields.List[Any]:
    """The values of the additional inputs, in order (checked against them by options/inputs.py)."""
    return fields.List(fields.Raw(allow_none=True), validate=validate.Length(max=100))


class SubmitSchema(_Frame):
    id = _message_id()
    text = fields.String(required=True)
    option_of = _message_id(required=False)  # the message whose preset reply was clicked
    inputs = _inputs()
    example = fields.Integer(strict=True, validate=validate.Range(min=0))  # the example card this text is
    # Uploads (their ids) the message carries, in order; multimodal chats only (conversation/multimodal.py).
    files = fields.List(
        fields.String(validate=validate.Regexp(FILE_ID_PATTERN, error="must be a file id")),
        validate=validate.Length(max=100),
    )


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
        frame: dict[str, Any] = schema.load(data)
        return frame
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
        raise ProtocolError(
            "bad_json", "the frame is not JSON the server can read (too deep or too long a number)"
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a frame must be a JSON object with a 'type'")
    return load_frame(data, CLIENT_SCHEMAS)
