"""The turn log (stores/turn_log.py) in one SQLite file in WAL mode that every worker of a host
opens: a turn one worker runs, a follower on another reads, with no server to run."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..runtime.sqlite_files import open_wal
from .turn_log import (
    RUNNING,
    Clock,
    Frame,
    TurnState,
    _check_compaction,
    _check_ending,
    _encode,
    _from,
    _snapshot,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    turn TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    lease_until REAL NOT NULL,
    stop_asked INTEGER NOT NULL DEFAULT 0,
    ended_at REAL,
    watched_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (conversation, status);
CREATE INDEX IF NOT EXISTS turns_by_end ON turns (ended_at);
CREATE INDEX IF NOT EXISTS turns_by_lease ON turns (status, lease_until);
CREATE TABLE IF NOT EXISTS frames (
    turn TEXT NOT NULL,
    seq INTEGER NOT NULL,
    frame TEXT NOT NULL,
    PRIMARY KEY (turn, seq)
) WITHOUT ROWID;
"""
_STATE = "SELECT turn, conversation, status, last_seq, lease_until, stop_asked, ended_at, watched_until FROM turns"


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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, under the lock. IMMEDIATE takes the file's write lock at once, so
        two workers never both read then both try to write."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # SQLite may have rolled back itself (a full disk): its error stands
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def begin(self, turn: str, conversation: str, *, lease: float) -> None:
        with self._transaction() as db:
            now = self._clock()
            if db.execute("SELECT 1 FROM turns WHERE turn = ?", (turn,)).fetchone():
                raise ValueError(f"turn {turn!r} exists")
            other = _state(
                db.execute(f"{_STATE} WHERE conversation = ? AND status = ?", (conversation, RUNNING)).fetchone()
            )
            if other is not None:
                if not other.lost(now):
                    raise ValueError(f"conversation {conversation!r} runs turn {other.turn!r}")
                db.execute(  # its worker died
                    "UPDATE turns SET status = 'interrupted', ended_at = ? WHERE turn = ?", (now, other.turn)
                )
            db.execute(
                "INSERT INTO turns (turn, conversation, status, last_seq, lease_until) VALUES (?, ?, ?, 0, ?)",
                (turn, conversation, RUNNING, now + lease),
            )

    def append(self, turn: str, frames: Sequence[Frame]) -> int:
        rows = [_encode(frame) for frame in frames]
        with self._transaction() as db:
            first = _last_seq(db, turn) + 1
            db.executemany(
                "INSERT INTO frames (turn, seq, frame) VALUES (?, ?, ?)",
                [(turn, first + i, row) for i, row in enumerate(rows)],
            )
            last = first + len(rows) - 1
            db.execute("UPDATE turns SET last_seq = ? WHERE turn = ?", (last, turn))
        return last

    def read(self, turn: str, after: int = 0) -> list[tuple[int, Frame]]:
        with self._lock:
            db = self._conn()
            first = db.execute("SELECT seq, frame FROM frames WHERE turn = ? ORDER BY seq LIMIT 1", (turn,)).fetchone()
            if first is not None and after < first[0]:  # from the first row: a snapshot, if it is one
                rows = db.execute("SELECT seq, frame FROM frames WHERE turn = ? ORDER BY seq", (turn,)).fetchall()
            else:
                rows = db.execute(
                    "SELECT seq, frame FROM frames WHERE turn = ? AND seq > ? ORDER BY seq", (turn, after)
                ).fetchall()
        return _from(after, rows)

    def renew(self, turn: str, *, lease: float) -> bool:
        # No RETURNING: SQLite before 3.35 (2021) is still about.
        with self._transaction() as db:
            _last_seq(db, turn)  # running, or KeyError
            db.execute("UPDATE turns SET lease_until = ? WHERE turn = ?", (self._clock() + lease, turn))
            return bool(db.execute("SELECT stop_asked FROM turns WHERE turn = ?", (turn,)).fetchone()[0])

    def write(self, turn: str, texts: Sequence[str], *, lease: float, end: str | None = None) -> TurnState:
        if end is not None:
            _check_ending(end)
        rows = list(texts)  # the runner's JSON, as it sent it
        with self._transaction() as db:
            first, now = _last_seq(db, turn) + 1, self._clock()
            db.executemany(
                "INSERT INTO frames (turn, seq, frame) VALUES (?, ?, ?)",
                [(turn, first + i, row) for i, row in enumerate(rows)],
            )
            db.execute(
                "UPDATE turns SET last_seq = ?, lease_until = ?, status = ?, ended_at = ? WHERE turn = ?",
                (first + len(rows) - 1, now + lease, end or RUNNING, now if end else None, turn),
            )
            state = _state(db.execute(f"{_STATE} WHERE turn = ?", (turn,)).fetchone())
        assert state is not None
        return state

    def watch(self, turn: str, *, seconds: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE turns SET watched_until = ? WHERE turn = ?", (self._clock() + seconds, turn))

    def ask_stop(self, turn: str) -> bool:
        with self._transaction() as db:
            cursor = db.execute("UPDATE turns SET stop_asked = 1 WHERE turn = ? AND status = ?", (turn, RUNNING))
            return cursor.rowcount == 1

    def end(self, turn: str, status: str) -> None:
        _check_ending(status)
        with self._transaction() as db:
            db.execute(
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
                .execute(f"{_STATE} WHERE conversation = ? AND status = ?", (conversation, RUNNING))
                .fetchone()
            )
        return _state(row)

    def compact(self, turn: str, upto: int, snapshot: Sequence[Frame]) -> None:
        row = _snapshot(upto, snapshot)
        with self._transaction() as db:
            first = db.execute("SELECT seq, frame FROM frames WHERE turn = ? ORDER BY seq LIMIT 1", (turn,)).fetchone()
            _check_compaction(turn, upto, _last_seq(db, turn), first)
            db.execute("DELETE FROM frames WHERE turn = ? AND seq <= ?", (turn, upto))
            db.execute("INSERT INTO frames (turn, seq, frame) VALUES (?, ?, ?)", (turn, *row))

    def forget_ended(self, before: float) -> int:
        forgettable = "(status != ? AND ended_at < ?) OR (status = ? AND lease_until < ?)"
        with self._transaction() as db:
            args = (RUNNING, before, RUNNING, before)
            db.execute(f"DELETE FROM frames WHERE turn IN (SELECT turn FROM turns WHERE {forgettable})", args)
            gone = int(db.execute(f"DELETE FROM turns WHERE {forgettable}", args).rowcount)
        if gone:
            # The write-ahead log grows with a burst of turns and SQLite only reuses it: written
            # back into the file (whose freed pages the next turns reuse) and cut to nothing, unless
            # a reader on another worker holds it (then the next forget does it).
            with self._lock:
                self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _last_seq(db: sqlite3.Connection, turn: str) -> int:
    """The number of a running turn's last frame; KeyError when it is not running."""
    found = db.execute("SELECT last_seq FROM turns WHERE turn = ? AND status = ?", (turn, RUNNING)).fetchone()
    if found is None:
        raise KeyError(f"no running turn {turn!r}")
    return int(found[0])


def _state(row: tuple[Any, ...] | None) -> TurnState | None:
    if row is None:
        return None
    turn, conversation, status, last_seq, lease_until, stop_asked, ended_at, watched_until = row
    return TurnState(turn, conversation, status, last_seq, lease_until, bool(stop_asked), ended_at, watched_until)


__all__ = ["SQLiteTurnLog"]
