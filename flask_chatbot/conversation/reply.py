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
from collections import deque
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from ..content.messages import new_message_id, normalize_reply, render_title
from ..errors import ChatbotError, Error
from ..protocol import frames as protocol
from ..runtime.concurrency import offload
from ..runtime.runner import Cancel, run_fn
from .fn_queue import FnGate, FnQueue
from .host_line import Place
from .notices import current_turn
from .outbox import FrameSink
from .request_context import Enter
from .streaming import MessageStream, StreamedMessage

log = logging.getLogger("flask_chatbot")

GENERIC_ERROR = "Something went wrong while generating the reply. Please try again."
_NOTHING = object()
# Replies that stream at the full rate of ``stream_interval`` in one worker process. With
# more at once, every emitter waits proportionally longer between patches: a worker's CPU
# (a patch costs 100-300 µs: render, JSON, send) is shared instead of exhausted, so fn
# keeps running at its own pace and each reply still shows progress. docs/performance.md.
FULL_RATE_REPLIES = 50
MAX_TOASTS = 20  # per turn: Info() in a loop shows the first ones, not a flood


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
        outbox: FrameSink,
        render: Callable[[str], str],
        stream_interval: float,
        on_finish: Callable[[list[dict[str, Any]]], None],
        gate: FnGate,
        normalize: Callable[[Any], list[dict[str, Any]]] = normalize_reply,
        render_content: Callable[[dict[str, Any]], str] | None = None,
        outputs: Any = None,  # outputs.Outputs: fn's (reply, *values) split, the values sent
        on_complete: Callable[[list[dict[str, Any]]], None] | None = None,  # fn ended well: its messages
        context: Enter = nullcontext,  # the handshake's request context, entered on the fn thread
        queue: FnQueue | None = None,  # the concurrency group whose line fn waits in (conversation/fn_queue.py)
    ) -> None:
        self._fn = fn
        self._args = args
        self._outbox = outbox
        self._render = render
        self._interval = stream_interval
        self._on_finish = on_finish
        self._gate = gate
        self._normalize = normalize
        self._render_content = render_content
        self._outputs = outputs
        self._on_complete = on_complete
        self._context = context
        self._queue = queue
        self._cond = threading.Condition()
        self._latest: Any = _NOTHING
        self._version = 0
        self._emitter_waiting = False
        self._finished = False
        self._error: str | None = None
        self._cancel = Cancel()
        self._out: list[StreamedMessage] = []
        # What fn said besides its reply (conversation/notices.py), taken by the emitter: the latest progress
        # and the toasts not yet sent; _notices counts both, as _version counts values.
        self._progress: dict[str, Any] | None = None
        self._progress_sent: dict[str, Any] | None = None
        self._toasts: deque[dict[str, Any]] = deque()
        self._toast_count = 0
        self._notices = 0
        self._fn_started = False
        self._interruption: str | None = None

    @property
    def waiting(self) -> bool:
        """Whether fn has yet to start: the turn waits in line, or for the last turn's fn to end."""
        return not self._fn_started and not self._finished

    def start(self) -> None:
        threading.Thread(target=self._run, name="flask_chatbot.fn", daemon=True).start()
        threading.Thread(target=self._emit, name="flask_chatbot.emit", daemon=True).start()

    def stop(self) -> None:
        """Stop: the generator closes at its next yield; the partial reply is kept."""
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()

    def interrupt(self, why: str) -> None:
        """Stop, not by the reader (nobody was there to read it): the partial reply is kept, marked
        cut off (status ``error``, then error ``interrupted`` saying ``why``), as a dropped connection shows it."""
        self._interruption = why
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()

    # -- the fn thread -------------------------------------------------------------

    def _run(self) -> None:
        if not self._gate.enter(self._cancel):
            self._end(None)  # stopped while the previous turn's fn was still ending
            return
        try:
            if self._queue is None:
                self._call_fn()
            elif place := self._wait_in_line():
                started = time.monotonic()
                try:
                    self._call_fn()
                finally:
                    self._queue.leave(place, time.monotonic() - started)
            else:
                self._end(None)  # stopped while waiting in line
        finally:
            self._gate.leave()

    def _wait_in_line(self) -> Place | bool:
        """Wait for a place in the concurrency group, the reader told where the turn stands;
        the place (for FnQueue.leave), or False if stopped first."""
        waited = False

        def report(position: int, size: int, eta: float | None) -> None:
            nonlocal waited
            waited = True
            self._outbox.send(protocol.queued(position, size, eta))

        place = self._queue.enter(self._cancel, report) if self._queue else False
        if place and waited:
            self._outbox.send(protocol.running())
        return place

    # notices.Turn: fn's progress and toasts, sent by the emitter (fn never waits for the socket).

    def show_progress(self, progress: dict[str, Any]) -> None:
        self._progress = progress
        self._notify()

    def show_toast(self, toast: dict[str, Any]) -> None:
        self._toast_count += 1
        if self._toast_count > MAX_TOASTS:
            if self._toast_count == MAX_TOASTS + 1:
                log.warning(
                    "fn %r showed more than %d toasts in one turn; the rest are dropped", self._fn_name, MAX_TOASTS
                )
            return
        self._toasts.append(toast)
        self._notify()

    def _notify(self) -> None:
        self._notices += 1
        if self._emitter_waiting:
            with self._cond:
                self._cond.notify_all()

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
        self._fn_started = True
        error: str | None = None
        turn = current_turn.set(self)
        try:
            with self._context():
                run_fn(self._fn, self._args, self._cancel, self._offer)
        except Error as exc:
            error = exc.message
        except Exception:
            log.exception("fn %r raised", self._fn_name)
            error = GENERIC_ERROR
        finally:
            current_turn.reset(turn)
            self._end(error)

    @property
    def _fn_name(self) -> str:
        return getattr(self._fn, "__name__", repr(self._fn))

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
        seen = notices = 0
        while True:
            with self._cond:
                self._emitter_waiting = True
                while (
                    self._version == seen
                    and self._notices == notices
                    and not self._finished
                    and not self._cancel.is_set()
                ):
                    self._cond.wait()
                self._emitter_waiting = False
                # In this order: fn offers its last value before it finishes, and sets
                # _latest before _version, so the value read is never older than either.
                finished, error = self._finished, self._error
                new_value, seen = self._version != seen, self._version
                value = self._latest
                notices = self._notices
            self._send_notices()
            # Once fn has finished, skip the patch: done renders the whole text once anyway.
            if value is not _NOTHING and (new_value or finished) and not self._send_value(value, final=finished):
                error, finished = GENERIC_ERROR, True
            if finished or self._cancel.is_set() or self._outbox.closed:
                break
            if self._interval:
                self._pause(_Load.interval(self._interval))
        self._finish(error)

    def _send_notices(self) -> None:
        while self._toasts:
            self._outbox.send(protocol.toast(self._toasts.popleft()))
        progress = self._progress
        if progress is not self._progress_sent and progress is not None:
            self._progress_sent = progress
            self._outbox.send(protocol.running(progress))

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
            if self._outputs is not None:
                value = self._outputs.split(value)
            items = self._normalize(value)
        except (TypeError, ValueError, OSError, ChatbotError) as exc:  # ChatbotError: a file refused, too large
            log.error("fn %r gave a value that is not a reply: %s", self._fn_name, exc)
            return False
        for index, item in enumerate(items):
            if index == len(self._out):
                if not item["content"] and not item["metadata"]:
                    break  # nothing to show yet: the pending indicator stays
                self._out.append(StreamedMessage(new_message_id(), MessageStream(self._render)))
                self._show(self._out[index], item)
            self._update(self._out[index], item, final)
        else:
            # fn's list got shorter (it dropped a message): the browser and the history drop it too.
            for streamed in self._out[len(items) :]:
                self._outbox.send(protocol.remove(streamed.id))
            del self._out[len(items) :]
        return True

    def _update(self, streamed: StreamedMessage, item: dict[str, Any], final: bool) -> None:
        """Bring one shown message to ``item``: a patch of what changed (none when ``final``:
        the done frame carries the whole message)."""
        content = item["content"]
        if (isinstance(content, dict) or streamed.component is not None) and content != streamed.content():
            self._show(streamed, item)  # a new file or component (or text again): shown anew, once
        changed = self._take_extras(streamed, item)
        if isinstance(content, dict):
            if changed and not final:
                extras = {"keep": 0, "append": "", **{key: getattr(streamed, key) for key in changed}}
                self._outbox.send(protocol.patch(streamed.id, extras))
            return
        if final:
            streamed.stream.text = content  # finish() renders it, in the done frame (with the extras)
            return
        fields = streamed.stream.update(content)
        if fields is None and changed:  # metadata or options changed, the text did not
            fields = {"keep": len(streamed.stream.text), "append": ""}
        if fields is not None:
            fields.update({key: getattr(streamed, key) for key in changed})
            self._outbox.send(protocol.patch(streamed.id, fields))

    def _take_extras(self, streamed: StreamedMessage, item: dict[str, Any]) -> list[str]:
        """Take the item's metadata and options; the names of those that changed."""
        changed = []
        if item["metadata"] != streamed.metadata:
            title = item["metadata"].get("title")
            if title != streamed.metadata.get("title"):
                streamed.title_html = render_title(self._render, title)
                changed.append("title_html")
            streamed.metadata = item["metadata"]
            changed.append("metadata")
        options = item.get("options", [])
        if options != streamed.options:
            streamed.options = options
            changed.append("options")
        return changed

    def _show(self, streamed: StreamedMessage, item: dict[str, Any]) -> None:
        """Send the whole message (its first appearance, or a new file or component)."""
        self._take_extras(streamed, item)
        content = item["content"]
        body: dict[str, Any] = {
            "id": streamed.id,
            "role": "assistant",
            "content": "",
            "html": "",
            "status": "streaming",
        }
        if isinstance(content, dict):
            streamed.component = content
            # A large HTML component or table is costly to clean: never on the gevent hub.
            streamed.component_html = offload(self._render_content, content) if self._render_content else ""
            streamed.stream = MessageStream(self._render)
            body.update(content=content, html=streamed.component_html)
        else:  # text: the message starts empty and its text follows as patches
            streamed.component = None
            streamed.stream = MessageStream(self._render)
        body.update(streamed.extras())
        self._outbox.send(protocol.message(body))

    def _finish(self, error: str | None) -> None:
        while self._toasts:  # one shown just before fn returned
            self._outbox.send(protocol.toast(self._toasts.popleft()))
        cut = self._interruption if not error else None
        status = "error" if error or cut else ("stopped" if self._cancel.is_set() else "done")
        messages = []
        for streamed in self._out:
            content = streamed.content()
            html = streamed.component_html if streamed.component is not None else streamed.stream.finish()
            extras = streamed.extras()
            self._outbox.send(protocol.done(streamed.id, content, html, status, **extras))
            messages.append({"id": streamed.id, "role": "assistant", "content": content, **extras})
        last = self._out[-1].id if self._out else None
        if error:
            self._outbox.send(protocol.error("fn_error", error, last))
        elif cut:
            self._outbox.send(protocol.error("interrupted", cut, last))
        self._cancel.set()  # a generator still running closes at its next yield
        if status == "done" and self._on_complete is not None:
            self._on_complete(messages)
        self._on_finish(messages)
        self._outbox.send(protocol.idle())
