"""One turn run for a program (the HTTP API, the OpenAI-compatible endpoint): fn on the
message after the history, through the same :class:`~flask_chatbot.conversation.reply.Reply` as the socket
(the concurrency queue, Progress, toasts, the request's context), its frames read back into
the reply so far and the events a stream tells of it (conversation/transcript.py's :class:`Transcript`).
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable, Iterator
from typing import Any

from ..content.components import Component
from ..content.messages import normalize_reply
from ..conversation.fn_queue import FnGate
from ..conversation.outbox import FrameSink
from ..conversation.reply import Reply
from ..conversation.request_context import capture
from ..conversation.transcript import Transcript
from ..options.outputs import Outputs


class FrameQueue:
    """A Reply's outbox for one request: its frames, in order, for the response to read."""

    def __init__(self) -> None:
        self._frames: queue.Queue[dict[str, Any]] = queue.Queue()
        self.closed = False  # the client went away: the reply stops

    def send(self, frame: dict[str, Any]) -> bool:
        if self.closed:
            return False
        self._frames.put(frame)
        return True

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            frame = self._frames.get()
            yield frame
            if frame["type"] == "idle":
                return


def start_turn(
    bot: Any,
    message: Any,
    history: list[dict[str, Any]],
    inputs: list[Any],
    conversation: str,
    *,
    gate: FnGate,
    normalize: Callable[[Any], list[dict[str, Any]]],
) -> tuple[Reply, FrameQueue, Transcript]:
    """Run fn on ``message`` after ``history`` (the chat's system messages first), in the request's
    context and the chat's queue; its frames go to the FrameQueue, for a Transcript to read."""
    frames = FrameQueue()
    reply = make_reply(
        bot, message, history, inputs, conversation, gate=gate, normalize=normalize, outbox=frames, on_finish=None
    )
    reply.start()
    return reply, frames, Transcript()


def make_reply(
    bot: Any,
    message: Any,
    history: list[dict[str, Any]],
    inputs: list[Any],
    conversation: str,
    *,
    gate: FnGate,
    normalize: Callable[[Any], list[dict[str, Any]]],
    outbox: FrameSink,
    on_finish: Callable[[list[dict[str, Any]]], None] | None,
) -> Reply:
    """The Reply of fn on ``message`` after ``history``, its frames to ``outbox``, not started."""
    for_fn = bot.content.for_fn if bot.content else (lambda content: content)
    history = latest(history, bot.options.max_history)  # fn sees at most max_history, as on the socket
    past = [{**m, "content": for_fn(m["content"])} if isinstance(m["content"], dict) else dict(m) for m in history]
    return Reply(
        bot.fn,
        (message, [dict(m) for m in bot.system()] + past, *inputs),
        outbox=outbox,
        render=lambda markdown: "",  # a program reads the text: nothing to render
        stream_interval=bot.options.stream_interval,
        on_finish=on_finish or (lambda messages: None),
        gate=gate,
        normalize=normalize,
        context=functools.partial(capture(), conversation=conversation),
        queue=bot.queue,
        # fn's (reply, *values): the values are outputs, not more reply; a program gets them as JSON.
        outputs=Outputs(bot.options.additional_outputs, outbox, lambda component, value: "", output_value(bot))
        if bot.options.additional_outputs
        else None,
    )


def output_value(bot: Any) -> Callable[[Any], Any]:
    """An additional output's value as a program reads it: JSON as it is, a component as its
    content (a file's info, which gets its URL), anything else as text."""

    def value(item: Any) -> Any:
        if isinstance(item, Component):
            return bot.content.to_content(item) if bot.content else None
        if item is None or isinstance(item, (str, int, float, bool, list, dict)):
            return item
        return str(item)

    return value


def latest(history: list[dict[str, Any]], max_history: int) -> list[dict[str, Any]]:
    """The last ``max_history`` messages of ``history`` (none for 0)."""
    return history[max(len(history) - max_history, 0) :]


def reply_normalizer(bot: Any) -> Callable[[Any], list[dict[str, Any]]]:
    """fn's values as messages, as the socket takes them (files stored, reasoning tags)."""
    return functools.partial(
        normalize_reply,
        to_content=bot.content.to_content if bot.content else None,
        reasoning_tags=bot.options.reasoning_tags,
    )


__all__ = ["FrameQueue", "Transcript", "latest", "make_reply", "output_value", "reply_normalizer", "start_turn"]
