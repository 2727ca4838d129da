"""Following a turn that another worker runs (or ran), through the turn log.

A hello that names a turn this worker does not run finds it in the log (stores/turn_log.py),
shown the turn's key (its first frame holds it). The follower then reads the frames the reader
missed and, every interval, those added since, until the turn's ``idle``; it tells the log it
still reads (so the runner does not stop the turn for want of readers), and a Stop pressed here
is asked of the runner through the log. A runner whose lease ran out has died (SIGKILL, out of
memory): the first follower to see it ends the turn ``interrupted`` in the log, with an
``interrupted`` error and ``idle``, which every follower then reads like any frame.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import Any

from ..protocol import frames as protocol
from ..runtime.concurrency import offload
from ..stores.turn_log import RUNNING, TurnLog, TurnState
from .live_turn import FrameReader, OnEnd
from .transcript import Transcript

log = logging.getLogger("flask_chatbot")

WATCH = 3.0  # seconds a follower's "still reading" lasts in the log (renewed every WATCH_EVERY)
WATCH_EVERY = 1.0
FIND_WAIT = 0.5  # seconds a turn not in the log yet is looked for: many flush intervals
INTERRUPTED = "interrupted"
INTERRUPTED_TEXT = "The server that was writing this reply stopped. Please try again."

Frame = dict[str, Any]


class RemoteTurn:
    """A turn in the log, followed from this worker by one socket."""

    def __init__(self, turn_log: TurnLog, turn_id: str, frames: list[tuple[int, Frame]], interval: float) -> None:
        self.id = turn_id
        self._log = turn_log
        self._frames = frames  # read when it was opened: the backlog
        self._interval = interval
        self._left = threading.Event()
        self.transcript = Transcript()
        for _seq, frame in frames:
            self.transcript.apply(frame)

    @classmethod
    def open(cls, turn_log: TurnLog, turn_id: str, key: str, interval: float, scope: str) -> RemoteTurn | None:
        """The turn ``turn_id`` from the log if ``key`` is its key and the log files it under a
        conversation of ``scope`` (this chat's: ``scope/...``), else None. A turn that started a moment ago may not be
        there yet (its runner writes every interval): looked for a little longer."""
        deadline = time.monotonic() + FIND_WAIT
        while not (frames := offload(turn_log.read, turn_id, 0, lane="turn_log")) and time.monotonic() < deadline:
            time.sleep(interval)
        first = frames[0][1] if frames else {}
        if first.get("type") != "turn" or not hmac.compare_digest(str(first.get("key", "")), key):
            return None
        state = offload(turn_log.state, turn_id, lane="turn_log")
        if state is None or state.conversation.partition("/")[0] != scope:  # another chat's turn
            return None
        # At once, before anything this socket does reaches the runner: it knows from then on that
        # the reader is back elsewhere (its own socket's copy of the conversation is out of date).
        offload(turn_log.watch, turn_id, seconds=WATCH, lane="turn_log")
        return cls(turn_log, turn_id, frames, interval)

    @property
    def message_ids(self) -> list[str]:
        return list(self.transcript.messages)

    def follow(self, reader: FrameReader, after: int, on_end: OnEnd) -> None:
        """Send ``reader`` the frames after ``after``, then those to come, in a thread of its own."""
        threading.Thread(
            target=self._run, args=(reader, after, on_end), name="flask_chatbot.follow", daemon=True
        ).start()

    def stop(self) -> None:
        """The reader pressed Stop: asked of the worker that runs the turn."""
        offload(self._log.ask_stop, self.id, lane="turn_log")

    def leave(self, reader: FrameReader) -> None:
        self._left.set()

    def _run(self, reader: FrameReader, after: int, on_end: OnEnd) -> None:
        try:
            self._follow(reader, after, on_end)
        except Exception:  # the log failed: the reader's socket stays; the reply no longer moves
            log.exception("Following turn %s failed", self.id)

    def _follow(self, reader: FrameReader, after: int, on_end: OnEnd) -> None:
        # Every frame feeds the transcript, those after ``after`` go to the reader too: frames the
        # reader applied before may reach the log only now (the runner writes every interval).
        frames, read, watched = self._frames, 0, 0.0
        while not self._left.is_set():
            for seq, frame in frames:
                if seq <= read:
                    continue
                read = seq
                self.transcript.apply(frame)
                if seq <= after:
                    continue
                if frame.get("type") == "idle":  # before it goes: a reader that sees it may submit at once
                    on_end(self.transcript.history())
                    reader.send_text(protocol.encode(frame))
                    return
                if not reader.send_text(protocol.encode(frame)):
                    return
                after = seq
            now = time.time()
            watch = now - watched >= WATCH_EVERY
            frames, state = offload(self._poll, read, watch, lane="turn_log")
            if watch:
                watched = now
            if state is None:  # forgotten (it ended long ago): nothing more will come
                return
            if not frames and (state.status != RUNNING or state.lost(time.time())):
                # Read after the state: a turn that ended well had its idle among the frames. This
                # one's worker died, maybe after sending this reader frames it never wrote.
                self._cut_off(reader, after, on_end, state)
                return
            if not frames:
                self._left.wait(self._interval)

    def _poll(self, after: int, watch: bool) -> tuple[list[tuple[int, Frame]], TurnState | None]:
        if watch:
            self._log.watch(self.id, seconds=WATCH)
        state = self._log.state(self.id)  # first: frames read after it include any its end wrote
        return self._log.read(self.id, after), state

    def _cut_off(self, reader: FrameReader, after: int, on_end: OnEnd, state: TurnState) -> None:
        """The worker running the turn died: the turn ends ``interrupted`` in the log (for whoever
        reads it next), and this reader is told so after the last frame it has, which may be one
        the runner sent it and never wrote."""
        if state.status == RUNNING:
            offload(self._log.end, self.id, INTERRUPTED, lane="turn_log")
        ids = list(self.transcript.messages)
        on_end(self.transcript.history())  # before the idle: a reader that sees it may submit at once
        reader.send_text(
            protocol.encode(
                {**protocol.error(INTERRUPTED, INTERRUPTED_TEXT, ids[-1] if ids else None), "seq": after + 1}
            )
        )
        reader.send_text(protocol.encode({**protocol.idle(), "seq": after + 2}))


__all__ = ["INTERRUPTED", "RemoteTurn"]
