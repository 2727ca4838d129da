"""One turn of the conversation: fn runs in its own thread, an emitter streams what it yields.

fn never waits for rendering or the network: it drops each value into a slot and
goes on. The emitter takes the latest value whenever it is ready (at most one
patch per ``stream_interval``, and no faster than the socket accepts frames), so
values that come faster than the browser can use them are coalesced. With more than
``FULL_RATE_REPLIES`` replies streaming in the process, the interval grows with them.

Stop ends the turn for the user at once (the partial reply stays, the input is free),
but fn itself ends only at its next yield, or when a plain function returns. The
conversation's :class:`FnGate` makes the next turn's fn wait for that: one fn at a
time per conversation, however fast submit and stop alternate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import protocol
from .errors import Error
from .messages import new_message_id, normalize_reply
from .outbox import Outbox
from .runner import Cancel, run_fn
from .streaming import MessageStream

log = logging.getLogger("flask_chatbot")

GENERIC_ERROR = "Something went wrong while generating the reply. Please try again."
_NOTHING = object()
# Replies that stream at the full rate of ``stream_interval`` in one worker process. With
# more at once, every emitter waits proportionally longer between patches: a worker's CPU
# (a patch costs 100-300 µs: render, JSON, send) is shared instead of exhausted, so fn
# keeps running at its own pace and each reply still shows progress. docs/performance.md.
FULL_RATE_REPLIES = 50


class _Load:
    """How many replies this worker process is streaming."""

    lock = threading.Lock()
    streaming = 0

    @classmethod
    def add(cls, n: int) -> None:
        with cls.lock:
            cls.streaming += n

    @classmethod
    def interval(cls, base: float) -> float:
        return base * max(1.0, cls.streaming / FULL_RATE_REPLIES)


class FnGate:
    """One fn at a time per conversation; a waiting turn that is stopped stops waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False

    def enter(self, cancel: Cancel) -> bool:
        """Wait until no fn of this conversation runs; False if cancelled first."""
        with self._cond:
            cancel.add_callback(self._wake)
            while self._busy and not cancel.is_set():
                self._cond.wait()
            if cancel.is_set():
                return False
            self._busy = True
            return True

    def leave(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


@dataclass
class _Streamed:
    id: str
    stream: MessageStream
    metadata: dict[str, Any] = field(default_factory=dict)


class Reply:
    """Runs ``fn(*args)`` and streams its messages through ``outbox``.

    ``on_finish(messages)`` is called with the assistant messages for the history
    just before the final ``idle`` frame, whether fn returned, failed or was stopped.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        *,
        outbox: Outbox,
        render: Callable[[str], str],
        stream_interval: float,
        on_finish: Callable[[list[dict[str, Any]]], None],
        gate: FnGate,
    ) -> None:
        self._fn = fn
        self._args = args
        self._outbox = outbox
        self._render = render
        self._interval = stream_interval
        self._on_finish = on_finish
        self._gate = gate
        self._cond = threading.Condition()
        self._latest: Any = _NOTHING
        self._version = 0
        self._emitter_waiting = False
        self._finished = False
        self._error: str | None = None
        self._cancel = Cancel()
        self._out: list[_Streamed] = []

    def start(self) -> None:
        threading.Thread(target=self._run, name="flask_chatbot.fn", daemon=True).start()
        threading.Thread(target=self._emit, name="flask_chatbot.emit", daemon=True).start()

    def stop(self) -> None:
        """Stop: the generator closes at its next yield; the partial reply is kept."""
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()

    # -- the fn thread -------------------------------------------------------------

    def _run(self) -> None:
        if not self._gate.enter(self._cancel):
            self._end(None)  # stopped while the previous turn's fn was still ending
            return
        try:
            self._call_fn()
        finally:
            self._gate.leave()

    def _offer(self, value: Any) -> None:
        # Called at every yield: no lock unless the emitter waits for a value. Only this
        # thread writes _latest and _version; the emitter sets _emitter_waiting before it
        # checks _version, so either it sees the new version or this sees it waiting.
        self._latest = value
        self._version += 1
        if self._emitter_waiting:
            with self._cond:
                self._cond.notify_all()

    def _call_fn(self) -> None:
        error: str | None = None
        try:
            run_fn(self._fn, self._args, self._cancel, self._offer)
        except Error as exc:
            error = exc.message
        except Exception:
            log.exception("fn %r raised", getattr(self._fn, "__name__", self._fn))
            error = GENERIC_ERROR
        finally:
            self._end(error)

    def _end(self, error: str | None) -> None:
        with self._cond:
            self._error = error
            self._finished = True
            self._cond.notify_all()

    # -- the emitter thread --------------------------------------------------------

    def _emit(self) -> None:
        _Load.add(1)
        try:
            self._stream()
        finally:
            _Load.add(-1)

    def _stream(self) -> None:
        seen = 0
        while True:
            with self._cond:
                self._emitter_waiting = True
                while self._version == seen and not self._finished and not self._cancel.is_set():
                    self._cond.wait()
                self._emitter_waiting = False
                # In this order: fn offers its last value before it finishes, and sets
                # _latest before _version, so the value read is never older than either.
                finished, error = self._finished, self._error
                seen = self._version
                value = self._latest
            # Once fn has finished, skip the patch: done renders the whole text once anyway.
            if value is not _NOTHING and not self._send_value(value, final=finished):
                error, finished = GENERIC_ERROR, True
            if finished or self._cancel.is_set() or self._outbox.closed:
                break
            if self._interval:
                self._pause(_Load.interval(self._interval))
        self._finish(error)

    def _pause(self, seconds: float) -> None:
        """Wait between two patches; new values do not end the wait, fn ending or stop does."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._finished and not self._cancel.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def _send_value(self, value: Any, *, final: bool = False) -> bool:
        try:
            items = normalize_reply(value)
        except TypeError as exc:
            log.error("fn %r gave a value that is not a reply: %s", getattr(self._fn, "__name__", self._fn), exc)
            return False
        for index, item in enumerate(items):
            if index == len(self._out):
                if not item["content"] and not item["metadata"]:
                    break  # nothing to show yet: the pending indicator stays
                streamed = _Streamed(new_message_id(), MessageStream(self._render), item["metadata"])
                self._out.append(streamed)
                body = {"id": streamed.id, "role": "assistant", "content": "", "html": "", "status": "streaming"}
                if streamed.metadata:
                    body["metadata"] = streamed.metadata
                self._outbox.send(protocol.message(body))
            streamed = self._out[index]
            if final:
                streamed.stream.text = item["content"]  # finish() renders it, in the done frame
                continue
            fields = streamed.stream.update(item["content"])
            if fields is not None:
                self._outbox.send(protocol.patch(streamed.id, fields))
        return True

    def _finish(self, error: str | None) -> None:
        status = "error" if error else ("stopped" if self._cancel.is_set() else "done")
        messages = []
        for streamed in self._out:
            content = streamed.stream.text
            self._outbox.send(protocol.done(streamed.id, content, streamed.stream.finish(), status))
            message = {"id": streamed.id, "role": "assistant", "content": content}
            if streamed.metadata:
                message["metadata"] = streamed.metadata
            messages.append(message)
        if error:
            last = self._out[-1].id if self._out else None
            self._outbox.send(protocol.error("fn_error", error, last))
        self._cancel.set()  # a generator still running closes at its next yield
        self._on_finish(messages)
        self._outbox.send(protocol.idle())
