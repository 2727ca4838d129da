"""A turn's frames, numbered, where a follower on another worker can read them: the log a reply
writes (conversation/turns.py) and its followers on other workers read (conversation/remote_turn.py).

A turn (one reply and all it emits) appends each frame it sends, and every frame gets the next
number of its turn, from 1. A follower that has applied the frames up to ``seq`` reads those
after it, in order, none twice. The worker running a turn holds a lease on it and renews it while
it runs: a turn whose lease ran out has lost its worker (SIGKILL, out of memory), and whoever
reads it can say so. A stop can be asked of a turn from any worker; its runner hears of it when
it next renews the lease.

The log is bounded by its turns, not by time: a running turn's frames up to some number can be
replaced by one snapshot of the reply so far (:meth:`TurnLog.compact`), and an ended turn's
frames go once nobody can still be coming back for them (:meth:`TurnLog.forget_ended`).

Two engines, one interface (:class:`TurnLog`):

- :class:`MemoryTurnLog`: one process;
- :class:`~flask_chatbot.stores.turn_log_sqlite.SQLiteTurnLog`: every worker of one host, through
  one SQLite file in WAL mode, with no server to run (the embedded default). Redis Streams are the engine for many hosts (issue 21).
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

RUNNING = "running"
#: How a turn ended, besides ``interrupted`` (its worker died: said by whoever found its lease run out).
ENDINGS = frozenset({"done", "stopped", "error", "interrupted"})
SNAPSHOT = "snapshot"  # the type of the frame compact() leaves: {"type": "snapshot", "frames": [...]}

Frame = dict[str, Any]
Clock = Callable[[], float]


@dataclass(frozen=True)
class TurnState:
    """What a log knows of one turn."""

    turn: str
    conversation: str
    status: str  # RUNNING, or one of ENDINGS
    last_seq: int  # the number of its last frame (0: none yet)
    lease_until: float  # time.time() until which its worker answers for it
    stop_asked: bool
    ended_at: float | None = None
    watched_until: float = 0.0  # time.time() until which a follower on another worker said it reads

    def lost(self, now: float) -> bool:
        """Running, and its worker stopped renewing the lease: it died."""
        return self.status == RUNNING and now > self.lease_until


class TurnLog(Protocol):
    """The turns of one conversation store: what a reply writes and its followers read."""

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        """A new turn of ``conversation``, running, leased for ``lease`` seconds. A conversation
        runs one turn at a time: ValueError while another runs, unless its runner died (its
        lease ran out), which ends it ``interrupted``."""

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        """Add ``frames`` (JSON objects, stored as copies) to a running turn, all or none; the
        number of the last. The runner is the only writer."""

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        """The frames numbered after ``after``, in order (a snapshot first if compact() took the rest)."""

    def renew(self, turn: str, *, lease: float) -> bool:
        """Extend the runner's lease; True when a stop was asked since."""

    def write(self, turn: str, texts: Sequence[str], *, lease: float, end: str | None = None) -> TurnState:
        """The runner's one call per flush: append ``texts`` (frames as JSON text, as it sent
        them; may be none), renew the lease and,
        with ``end``, end the turn, in one step (a follower never sees the last frame of a turn
        that still reads as running). The state after it: whether a stop was asked, and until
        when a follower elsewhere reads."""

    def watch(self, turn: str, *, seconds: float) -> None:
        """A follower on another worker still reads ``turn``: its runner must not give up on it
        for lack of readers for ``seconds``."""

    def ask_stop(self, turn: str) -> bool:
        """Ask the runner of a running turn to stop it; False when no such turn runs."""

    def end(self, turn: str, status: str) -> None:
        """The turn ended (``status``: one of ENDINGS); its frames stay for its followers."""

    def state(self, turn: str) -> TurnState | None:
        """What is known of ``turn``, or None."""

    def running(self, conversation: str) -> TurnState | None:
        """The turn ``conversation`` is running, or None."""

    def compact(self, turn: str, upto: int, snapshot: Sequence[Frame]) -> None:
        """Replace the frames numbered up to ``upto`` by ``snapshot``: the frames that show the reply
        as it was after frame ``upto``. A follower from before ``upto`` gets them as one frame.
        Never behind an earlier snapshot (ValueError)."""

    def forget_ended(self, before: float) -> int:
        """Drop the turns that ended before ``before`` (time.time()), and the running ones whose
        lease ran out before it (their worker died and no follower said so); how many."""


def _snapshot(upto: int, frames: Sequence[Frame]) -> tuple[int, str]:
    return upto, _encode({"type": SNAPSHOT, "frames": list(frames)})


def _encode(frame: Frame) -> str:
    """A frame as stored: JSON (both engines, so a frame that is not JSON is refused by both,
    and what a caller does to a frame after appending or reading it changes nothing stored)."""
    return json.dumps(frame, separators=(",", ":"))


def _from(after: int, frames: list[tuple[int, str]]) -> list[tuple[int, Frame]]:
    """The frames numbered after ``after`` (``frames`` in order; a snapshot first stands for
    every frame up to its number)."""
    if frames and after < frames[0][0] and json.loads(frames[0][1]).get("type") == SNAPSHOT:
        after = frames[0][0] - 1
    start = bisect.bisect_right(frames, after, key=lambda row: row[0])
    return [(seq, json.loads(text)) for seq, text in frames[start:]]


@dataclass
class _Turn:
    state: TurnState
    frames: list[tuple[int, str]] = field(default_factory=list)  # (seq, JSON), in order


class MemoryTurnLog:
    """The log in this process's memory: one worker's turns."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._turns: dict[str, _Turn] = {}
        self._lock = threading.Lock()

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        with self._lock:
            now = self._clock()
            if turn in self._turns:
                raise ValueError(f"turn {turn!r} exists")
            for other in self._turns.values():
                if other.state.conversation == conversation and other.state.status == RUNNING:
                    if not other.state.lost(now):
                        raise ValueError(f"conversation {conversation!r} runs turn {other.state.turn!r}")
                    other.state = replace(other.state, status="interrupted", ended_at=now)  # its worker died
            self._turns[turn] = _Turn(TurnState(turn, conversation, RUNNING, 0, now + lease, False))

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        rows = [_encode(frame) for frame in frames]  # all or nothing: before anything is added
        with self._lock:
            found = self._running(turn)
            first = found.state.last_seq + 1
            found.frames.extend((first + i, row) for i, row in enumerate(rows))
            found.state = replace(found.state, last_seq=first + len(rows) - 1)
            return found.state.last_seq

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        with self._lock:
            found = self._turns.get(turn)
            frames = list(found.frames) if found else []
        return _from(after, frames)

    def renew(self, turn: str, *, lease: float) -> bool:
        with self._lock:
            found = self._running(turn)
            found.state = replace(found.state, lease_until=self._clock() + lease)
            return found.state.stop_asked

    def write(self, turn: str, texts: Sequence[str], *, lease: float, end: str | None = None) -> TurnState:
        if end is not None:
            _check_ending(end)
        rows = list(texts)  # the runner's JSON, as it sent it
        with self._lock:
            found = self._running(turn)
            first, now = found.state.last_seq + 1, self._clock()
            found.frames.extend((first + i, row) for i, row in enumerate(rows))
            found.state = replace(found.state, last_seq=first + len(rows) - 1, lease_until=now + lease)
            if end is not None:
                found.state = replace(found.state, status=end, ended_at=now)
            return found.state

    def watch(self, turn: str, *, seconds: float) -> None:
        with self._lock:
            found = self._turns.get(turn)
            if found is not None:
                found.state = replace(found.state, watched_until=self._clock() + seconds)

    def ask_stop(self, turn: str) -> bool:
        with self._lock:
            found = self._turns.get(turn)
            if found is None or found.state.status != RUNNING:
                return False
            found.state = replace(found.state, stop_asked=True)
            return True

    def end(self, turn: str, status: str) -> None:
        _check_ending(status)
        with self._lock:
            found = self._turns.get(turn)
            if found is not None and found.state.status == RUNNING:
                found.state = replace(found.state, status=status, ended_at=self._clock())

    def state(self, turn: str) -> TurnState | None:
        with self._lock:
            found = self._turns.get(turn)
            return found.state if found else None

    def running(self, conversation: str) -> TurnState | None:
        with self._lock:
            states = (t.state for t in self._turns.values())
            return next((s for s in states if s.conversation == conversation and s.status == RUNNING), None)

    def compact(self, turn: str, upto: int, snapshot: Sequence[Frame]) -> None:
        row = _snapshot(upto, snapshot)
        with self._lock:
            found = self._running(turn)
            _check_compaction(turn, upto, found.state.last_seq, found.frames[0] if found.frames else None)
            found.frames = [row, *((seq, text) for seq, text in found.frames if seq > upto)]

    def forget_ended(self, before: float) -> int:
        with self._lock:
            gone = [turn for turn, found in self._turns.items() if _forgettable(found.state, before)]
            for turn in gone:
                del self._turns[turn]
            return len(gone)

    def _running(self, turn: str) -> _Turn:
        found = self._turns.get(turn)
        if found is None or found.state.status != RUNNING:
            raise KeyError(f"no running turn {turn!r}")
        return found


def _check_ending(status: str) -> None:
    if status not in ENDINGS:
        raise ValueError(f"a turn ends {sorted(ENDINGS)}, not {status!r}")


def _check_compaction(turn: str, upto: int, last_seq: int, first: tuple[int, str] | None) -> None:
    if not 0 < upto <= last_seq:
        raise ValueError(f"turn {turn!r} has frames 1 to {last_seq}, not {upto}")
    if first is not None and upto <= first[0] and json.loads(first[1]).get("type") == SNAPSHOT:
        raise ValueError(f"turn {turn!r} is compacted up to {first[0]} already, past {upto}")


def _forgettable(state: TurnState, before: float) -> bool:
    """Ended before ``before``, or running with a lease that ran out before it (its worker died
    and no follower said so): nobody can still be coming back for it."""
    if state.status == RUNNING:
        return state.lease_until < before
    return state.ended_at is not None and state.ended_at < before


__all__ = ["ENDINGS", "RUNNING", "SNAPSHOT", "MemoryTurnLog", "TurnLog", "TurnState"]
