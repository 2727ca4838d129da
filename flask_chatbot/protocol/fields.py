"""The field types the frames of the wire protocol share (protocol/frames.py): ids, content,
a thought's metadata, reply options."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

PROTOCOL_VERSION = 1
MESSAGE_ID = r"^[A-Za-z0-9_-]{1,64}\Z"  # \Z: "$" would let a trailing newline through
SESSION_ID = r"^[0-9a-f]{16}\Z"
UPLOAD_KEY = r"^[A-Za-z0-9_-]{32}\Z"
TURN_ID = r"^[0-9a-f]{32}\Z"  # a turn's id and its key: 128 random bits each
LIVE_KEY = TURN_ID  # a conversation's live key (conversation/channels.py): 128 bits too
FILE_ID_PATTERN = r"^[A-Za-z0-9_-]{24}\Z"
STATUSES = ("streaming", "done", "stopped", "error")
# Roles a message on the wire may have. System messages stay on the server (conversation/initial_value.py).
ROLES = ("user", "assistant")


class _Frame(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True)


def _message_id(required: bool = True) -> fields.String:
    return fields.String(
        required=required, validate=validate.Regexp(MESSAGE_ID, error="must be 1-64 of A-Z a-z 0-9 _ -")
    )


class _IntOrString(fields.Field):  # type: ignore[type-arg]  # marshmallow 3 (supported) cannot subscript Field at runtime
    """A thought's ``id`` / ``parent_id``: Gradio allows a str or an int."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("must be a string or an integer")
        return value


class Content(fields.Field):  # type: ignore[type-arg]  # marshmallow 3 (supported) cannot subscript Field at runtime
    """A message's content: Markdown text, or a file or component as an object whose
    ``component`` names its kind (docs/protocol.md; checked in full by components.from_wire)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("component"), str):
            return value
        raise ValidationError("must be a string, or an object with a 'component'")


class MetadataSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String()
    log = fields.String()
    duration = fields.Float(validate=validate.Range(min=0), allow_nan=False)
    status = fields.String(validate=validate.OneOf(["pending", "done"]))
    id = _IntOrString()
    parent_id = _IntOrString()


class OptionSchema(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True)
    label = fields.String()


def _metadata() -> fields.Nested:
    return fields.Nested(MetadataSchema)


def _options() -> fields.List[Any]:
    return fields.List(fields.Nested(OptionSchema))
