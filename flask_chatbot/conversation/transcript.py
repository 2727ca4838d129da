"""A turn's reply rebuilt from its frames, for whoever reads the frames rather than runs fn: a
program's request (web/api_turn.py: the reply so far, and the events its stream tells of each
frame) and a socket following a turn another worker runs (conversation/remote_turn.py: the
messages the history keeps).
"""

from __future__ import annotations

from typing import Any


class Transcript:
    """The reply as the frames build it, and the events a stream tells of each frame."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}  # by id, in order
        self.outputs: dict[int, Any] = {}
        self.error: tuple[str, str] | None = None

    def apply(self, frame: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        kind = frame["type"]
        if kind == "message" and frame["message"]["role"] == "assistant":
            body = frame["message"]
            self.messages[body["id"]] = _message(body)
            return [("message", {"index": self._index(body["id"]), **self.messages[body["id"]]})]
        if kind in ("patch", "done") and frame["id"] in self.messages:
            return self._update(frame, final=kind == "done")
        if kind == "remove":
            self.messages.pop(frame["id"], None)
        elif kind == "output":
            self.outputs[frame["index"]] = frame["value"]
            return [("output", {"index": frame["index"], "value": self.outputs[frame["index"]]})]
        elif kind in ("status", "toast"):
            return [(kind, {k: v for k, v in frame.items() if k != "type"})]
        elif kind == "error":
            self.error = (frame["code"], frame["message"])
        return []

    def _update(self, frame: dict[str, Any], final: bool) -> list[tuple[str, dict[str, Any]]]:
        message = self.messages[frame["id"]]
        index = self._index(frame["id"])
        events = []
        if final:
            # The last piece comes with done only (the reply's last value is never a patch).
            text, content = message["content"], frame["content"]
            if isinstance(text, str) and isinstance(content, str) and content.startswith(text) and content != text:
                events.append(("delta", {"index": index, "text": content[len(text) :]}))
            elif content != text:
                events.append(("message", {"index": index, **_message(frame)}))
            message.update(_message(frame))
        elif isinstance(message["content"], str) and "keep" in frame:
            text, keep, append = message["content"], frame["keep"], frame["append"]
            message["content"] = text[:keep] + append
            if keep == len(text) and append:
                events.append(("delta", {"index": index, "text": append}))
            elif keep != len(text):
                events.append(("message", {"index": index, **message}))
        for key in ("metadata", "options"):
            if key in frame and not final:
                message[key] = frame[key]
                events.append(("message", {"index": index, **message}))
        return events

    def _index(self, message_id: str) -> int:
        return list(self.messages).index(message_id)

    def reply(self) -> list[dict[str, Any]]:
        return list(self.messages.values())

    def history(self) -> list[dict[str, Any]]:
        """The reply's messages as the conversation's history keeps them, with their ids."""
        return [{"id": message_id, **message} for message_id, message in self.messages.items()]


def _message(body: dict[str, Any]) -> dict[str, Any]:
    out = {"role": "assistant", "content": body["content"]}
    for key in ("metadata", "options"):
        if body.get(key):
            out[key] = body[key]
    return out


__all__ = ["Transcript"]
