"""A turn's frames, numbered, where a follower on another worker can read them: the log a reply
will write and its followers read (issue 20, "turns that outlive their socket"; not wired to the
conversation yet: docs/architecture.md, "Not done yet").

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
- :class:`SQLiteTurnLog`: every worker of one host, through one SQLite file in WAL mode, with no
  server to run (the embedded default). Redis Streams are the engine for many hosts (issue 21).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ..runtime.sqlite_files import open_wal

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

    def lost(self, now: float) -> bool:
        """Running, and its worker stopped renewing the lease: it died."""
        return self.status == RUNNING and now > self.lease_until


class TurnLog(Protocol):
    """The turns of one conversation store: what a reply writes and its followers read."""

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        """A new turn of ``conversation``, running, leased for ``lease`` seconds."""

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        """Add ``frames`` to a running turn; the number of the last (the runner is the only writer)."""

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        """The frames numbered after ``after``, in order (a snapshot first if compact() took the rest)."""

    def renew(self, turn: str, *, lease: float) -> bool:
        """Extend the runner's lease; True when a stop was asked since."""

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
        as it was after frame ``upto``. A follower from before ``upto`` gets them as one frame."""

    def forget_ended(self, before: float) -> int:
        """Drop the turns that ended before ``before`` (time.time()); how many."""


def _snapshot(upto: int, frames: Sequence[Frame]) -> tuple[int, Frame]:
    return upto, {"type": SNAPSHOT, "frames": list(frames)}


@dataclass
class _Turn:
    state: TurnState
    frames: list[tuple[int, Frame]] = field(default_factory=list)


class MemoryTurnLog:
    """The log in this process's memory: one worker's turns."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._turns: dict[str, _Turn] = {}
        self._lock = threading.Lock()

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        with self._lock:
            if turn in self._turns:
                raise ValueError(f"turn {turn!r} exists")
            state = TurnState(turn, conversation, RUNNING, 0, self._clock() + lease, False)
            self._turns[turn] = _Turn(state)

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        with self._lock:
            found = self._running(turn)
            seq = found.state.last_seq
            for frame in frames:
                seq += 1
                found.frames.append((seq, frame))
            found.state = replace(found.state, last_seq=seq)
            return seq

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        with self._lock:
            found = self._turns.get(turn)
            if found is None:
                return []
            frames = found.frames
            if frames and frames[0][1].get("type") == SNAPSHOT and after < frames[0][0]:
                return list(frames)
            return [(seq, frame) for seq, frame in frames if seq > after]

    def renew(self, turn: str, *, lease: float) -> bool:
        with self._lock:
            found = self._running(turn)
            found.state = replace(found.state, lease_until=self._clock() + lease)
            return found.state.stop_asked

    def ask_stop(self, turn: str) -> bool:
        with self._lock:
            found = self._turns.get(turn)
            if found is None or found.state.status != RUNNING:
                return False
            found.state = replace(found.state, stop_asked=True)
            return True

    def end(self, turn: str, status: str) -> None:
        if status not in ENDINGS:
            raise ValueError(f"a turn ends {sorted(ENDINGS)}, not {status!r}")
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
            return next(
                (
                    t.state
                    for t in self._turns.values()
                    if t.state.conversation == conversation and t.state.status == RUNNING
                ),
                None,
            )

    def compact(self, turn: str, upto: int, snapshot: Sequence[Frame]) -> None:
        with self._lock:
            found = self._running(turn)
            if not 0 < upto <= found.state.last_seq:
                raise ValueError(f"turn {turn!r} has frames 1 to {found.state.last_seq}, not {upto}")
            found.frames = [_snapshot(upto, snapshot), *((s, f) for s, f in found.frames if s > upto)]

    def forget_ended(self, before: float) -> int:
        with self._lock:
            gone = [t for t, found in self._turns.items() if (found.state.ended_at or before) < before]
            for turn in gone:
                del self._turns[turn]
            return len(gone)

    def _running(self, turn: str) -> _Turn:
        found = self._turns.get(turn)
        if found is None or found.state.status != RUNNING:
            raise KeyError(f"no running turn {turn!r}")
        return found


_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    turn TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    lease_until REAL NOT NULL,
    stop_asked INTEGER NOT NULL DEFAULT 0,
    ended_at REAL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (conversation, status);
CREATE INDEX IF NOT EXISTS turns_by_end ON turns (ended_at);
CREATE TABLE IF NOT EXISTS frames (
    turn TEXT NOT NULL,
    seq INTEGER NOT NULL,
    frame TEXT NOT NULL,
    PRIMARY KEY (turn, seq)
) WITHOUT ROWID;
"""
_STATE = "SELECT turn, conversation, status, last_seq, lease_until, stop_asked, ended_at FROM turns"


class SQLiteTurnLog:
    """The log in one SQLite file (WAL mode) that every worker of a host opens: a turn one
    worker runs, a follower on another reads. Each call is one short transaction."""

    def __init__(self, path: Path, clock: Clock = time.time) -> None:
        self._path = path
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, used by one thread at a time

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:  # opened on first use: a chat that never streams never makes the file
            db = open_wal(self._path, check_same_thread=False, isolation_level=None)
            # Frames are a turn's, kept for minutes: losing the last ones in a power cut is no
            # loss worth an fsync per append (WAL stays consistent either way).
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        with self._lock:
            try:
                self._conn().execute(
                    "INSERT INTO turns (turn, conversation, status, last_seq, lease_until) VALUES (?, ?, ?, 0, ?)",
                    (turn, conversation, RUNNING, self._clock() + lease),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"turn {turn!r} exists") from None

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        rows = [json.dumps(frame, separators=(",", ":")) for frame in frames]
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                found = db.execute(
                    "SELECT last_seq FROM turns WHERE turn = ? AND status = ?", (turn, RUNNING)
                ).fetchone()
                if found is None:
                    raise KeyError(f"no running turn {turn!r}")
                first = int(found[0]) + 1
                db.executemany(
                    "INSERT INTO frames (turn, seq, frame) VALUES (?, ?, ?)",
                    [(turn, first + i, row) for i, row in enumerate(rows)],
                )
                last = first + len(rows) - 1
                db.execute("UPDATE turns SET last_seq = ? WHERE turn = ?", (last, turn))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return last

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        with self._lock:
            db = self._conn()
            first = db.execute("SELECT seq, frame FROM frames WHERE turn = ? ORDER BY seq LIMIT 1", (turn,)).fetchone()
            if first is not None and after < first[0] and json.loads(first[1]).get("type") == SNAPSHOT:
                after = first[0] - 1  # the snapshot stands for everything up to its number
            rows = db.execute(
                "SELECT seq, frame FROM frames WHERE turn = ? AND seq > ? ORDER BY seq", (turn, after)
            ).fetchall()
        return [(seq, json.loads(frame)) for seq, frame in rows]

    def renew(self, turn: str, *, lease: float) -> bool:
        with self._lock:
            db = self._conn()
            # No RETURNING: SQLite before 3.35 (2021) is still about.
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "UPDATE turns SET lease_until = ? WHERE turn = ? AND status = ?",
                    (self._clock() + lease, turn, RUNNING),
                )
                found = db.execute(
                    "SELECT stop_asked FROM turns WHERE turn = ? AND status = ?", (turn, RUNNING)
                ).fetchone()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if found is None:
            raise KeyError(f"no running turn {turn!r}")
        return bool(found[0])

    def ask_stop(self, turn: str) -> bool:
        with self._lock:
            cursor = self._conn().execute(
                "UPDATE turns SET stop_asked = 1 WHERE turn = ? AND status = ?", (turn, RUNNING)
            )
            return cursor.rowcount == 1

    def end(self, turn: str, status: str) -> None:
        if status not in ENDINGS:
            raise ValueError(f"a turn ends {sorted(ENDINGS)}, not {status!r}")
        with self._lock:
            self._conn().execute(
                "UPDATE turns SET status = ?, ended_at = ? WHERE turn = ? AND status = ?",
                (status, self._clock(), turn, RUNNING),
            )

    def state(self, turn: str) -> TurnState | None:
        with self._lock:
            row = self._conn().execute(f"{_STATE} WHERE turn = ?", (turn,)).fetchone()
        return _state(row)

    def running(self, conversation: str) -> TurnState | None:
        with self._lock:
            row = (
                self._conn()
                .execute(
                    f"{_STATE} WHERE conversation = ? AND status = ? ORDER BY lease_until DESC LIMIT 1",
                    (conversation, RUNNING),
                )
                .fetchone()
            )
        return _state(row)

    def compact(self, turn: str, upto: int, snapshot: Sequence[Frame]) -> None:
        seq, frame = _snapshot(upto, snapshot)
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                found = db.execute(
                    "SELECT last_seq FROM turns WHERE turn = ? AND status = ?", (turn, RUNNING)
                ).fetchone()
                if found is None:
                    raise KeyError(f"no running turn {turn!r}")
                if not 0 < upto <= found[0]:
                    raise ValueError(f"turn {turn!r} has frames 1 to {found[0]}, not {upto}")
                db.execute("DELETE FROM frames WHERE turn = ? AND seq <= ?", (turn, upto))
                db.execute(
                    "INSERT INTO frames (turn, seq, frame) VALUES (?, ?, ?)",
                    (turn, seq, json.dumps(frame, separators=(",", ":"))),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def forget_ended(self, before: float) -> int:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM frames WHERE turn IN (SELECT turn FROM turns WHERE ended_at < ?)", (before,))
                gone = db.execute("DELETE FROM turns WHERE ended_at < ?", (before,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return gone

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _state(row: tuple[Any, ...] | None) -> TurnState | None:
    if row is None:
        return None
    turn, conversation, status, last_seq, lease_until, stop_asked, ended_at = row
    return TurnState(turn, conversation, status, last_seq, lease_until, bool(stop_asked), ended_at)


__all__ = ["ENDINGS", "RUNNING", "SNAPSHOT", "MemoryTurnLog", "SQLiteTurnLog", "TurnLog", "TurnState"]
