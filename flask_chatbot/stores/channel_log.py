"""What happens in a conversation, for the other sockets that show it (conversation/channels.py).

Each event is a short JSON text filed under its conversation's channel, with the worker it came
from. A worker reads every channel's events after the last one it read, in one query whatever
the number of its sockets, and hands each to its own sockets of that channel. Events are kept
for a minute: a worker that reads them every fraction of a second needs no more.

Two engines, one interface (:class:`ChannelLog`): in memory (one process, the tests), and a
table of the host's turn log file (SQLite in WAL mode: every worker of the host opens it).
Redis pub/sub can take the same place for many hosts.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import NamedTuple, Protocol

from ..runtime.sqlite_files import open_wal

KEEP = 60.0  # seconds an event is kept
MAX_READ = 1000  # events one read returns at most (a reader behind reads again at once)


class Event(NamedTuple):
    number: int
    channel: str
    origin: str  # the worker that published it
    text: str


class ChannelLog(Protocol):
    def publish(self, channel: str, origin: str, text: str, *, create: bool = True) -> int:
        """File ``text`` under ``channel``; its number (each is above every earlier one). Not
        ``create``: only if the log exists (0 when it does not: nothing was ever published)."""

    def after(self, number: int) -> list[Event]:
        """The events numbered above ``number``, oldest first (at most MAX_READ)."""

    def recent(self, channel: str, limit: int = 20) -> list[str]:
        """The latest events of ``channel`` still kept, newest first (at most ``limit``)."""

    def last(self) -> int:
        """The number of the latest event (0: none)."""

    def forget(self, before: float) -> int:
        """Drop the events published before ``before`` (a time.time()); how many."""


class MemoryChannelLog:
    """The log in this process: one worker's sockets, and the tests."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._events: deque[tuple[float, Event]] = deque(maxlen=limit)
        self._number = 0

    def publish(self, channel: str, origin: str, text: str, *, create: bool = True) -> int:
        with self._lock:
            self._number += 1
            self._events.append((time.time(), Event(self._number, channel, origin, text)))
            return self._number

    def after(self, number: int) -> list[Event]:
        with self._lock:
            return [event for _, event in self._events if event.number > number][:MAX_READ]

    def recent(self, channel: str, limit: int = 20) -> list[str]:
        with self._lock:
            return [event.text for _, event in reversed(self._events) if event.channel == channel][:limit]

    def last(self) -> int:
        with self._lock:
            return self._number

    def forget(self, before: float) -> int:
        with self._lock:
            gone = 0
            while self._events and self._events[0][0] < before:
                self._events.popleft()
                gone += 1
            return gone


_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversation_events (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    origin TEXT NOT NULL,
    event TEXT NOT NULL,
    at REAL NOT NULL
);
"""


class SQLiteChannelLog:
    """The log in a table of ``path`` (the turn log's file), shared by every worker of the host."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, one thread at a time

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:  # opened on first use: a chat whose conversations never change makes no file
            db = open_wal(self._path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")  # events of the last minute: no fsync each
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def publish(self, channel: str, origin: str, text: str, *, create: bool = True) -> int:
        if not create and self._db is None and not self._path.exists():
            return 0
        with self._lock:
            cursor = self._conn().execute(
                "INSERT INTO conversation_events (channel, origin, event, at) VALUES (?, ?, ?, ?)",
                (channel, origin, text, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def after(self, number: int) -> list[Event]:
        if self._db is None and not self._path.exists():
            return []  # nothing published on this host yet
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT number, channel, origin, event FROM conversation_events WHERE number > ? "
                    "ORDER BY number LIMIT ?",
                    (number, MAX_READ),
                )
                .fetchall()
            )
        return [Event(*row) for row in rows]

    def recent(self, channel: str, limit: int = 20) -> list[str]:
        if self._db is None and not self._path.exists():
            return []
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT event FROM conversation_events WHERE channel = ? ORDER BY number DESC LIMIT ?",
                    (channel, limit),
                )
                .fetchall()
            )
        return [row[0] for row in rows]

    def last(self) -> int:
        if self._db is None and not self._path.exists():
            return 0
        with self._lock:
            row = self._conn().execute("SELECT MAX(number) FROM conversation_events").fetchone()
        return int(row[0] or 0)

    def forget(self, before: float) -> int:
        with self._lock:
            # AUTOINCREMENT: numbers are never reused, even once the newest rows are gone.
            cursor = self._conn().execute("DELETE FROM conversation_events WHERE at < ?", (before,))
            return cursor.rowcount


__all__ = ["KEEP", "ChannelLog", "Event", "MemoryChannelLog", "SQLiteChannelLog"]
