"""Saved conversations on the server, per user (``save_history=True`` with ``history_store``):
the same conversations on every device the user signs in from (docs/history.md).

:class:`HistoryStore` is the interface: five methods, keyed by the user's id (whatever
``history_user()`` returns) and the conversation's id (its ``welcome.session``).
:class:`SQLiteHistoryStore` is the embedded default: one file, safe for many worker processes
(WAL, a busy timeout) and threads (a connection each). Another database implements the same
five methods.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import OptionsError
from ..protocol.frames import encode
from ..runtime.sqlite_files import open_wal

MAX_CONVERSATIONS = 200  # per user: saving one more drops the oldest
TITLE_CHARS = 80


@runtime_checkable
class HistoryStore(Protocol):
    """Where saved conversations live. Messages are the history's plain dicts
    (``{"id", "role", "content"[, "metadata", "options"]}``), newest conversations first."""

    def list(self, user: str) -> list[dict[str, Any]]:
        """``[{"id", "title", "updated"}]``, newest first (``updated``: seconds since the epoch)."""
        ...

    def get(self, user: str, conversation: str) -> dict[str, Any] | None:
        """``{"id", "title", "updated", "messages", "upload_key"}``, or None."""
        ...

    def save(
        self, user: str, conversation: str, messages: builtins.list[dict[str, Any]], upload_key: str | None = None
    ) -> None:
        """Keep ``messages`` as the conversation (its title from its first message of the
        user's, unless renamed) with its upload key (a multimodal chat's, which makes its files
        its own on another device); no messages: forget it."""
        ...

    def rename(self, user: str, conversation: str, title: str) -> bool:
        """False if there is no such conversation."""
        ...

    def delete(self, user: str, conversation: str) -> bool:
        """False if there is no such conversation."""
        ...


def title_of(messages: list[dict[str, Any]]) -> str:
    """A conversation's title: its first text of the user's, on one line, cut to TITLE_CHARS."""
    for message in messages:
        if message.get("role") == "user" and isinstance(message.get("content"), str) and message["content"].strip():
            text = " ".join(message["content"].split())
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
    return ""


class SQLiteHistoryStore:
    """Saved conversations in one SQLite file (made with its folder when missing)."""

    def __init__(self, path: str | Path, *, max_conversations: int = MAX_CONVERSATIONS) -> None:
        self.path = Path(path)
        self.max_conversations = max_conversations
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                db.execute(
                    """CREATE TABLE IF NOT EXISTS conversations (
                        user TEXT NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL, renamed INTEGER NOT NULL,
                        updated REAL NOT NULL, messages TEXT NOT NULL, upload_key TEXT, PRIMARY KEY (user, id))"""
                )
                db.execute("CREATE INDEX IF NOT EXISTS newest ON conversations (user, updated DESC)")
        except (OSError, sqlite3.Error) as exc:
            raise OptionsError(f"history_store: cannot use {str(self.path)!r}: {exc}") from None

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # One connection per thread; workers in other processes wait for a writer (timeout).
            db = open_wal(self.path, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def list(self, user: str) -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT id, title, updated FROM conversations WHERE user = ? ORDER BY updated DESC", (user,)
        )
        return [{"id": id_, "title": title, "updated": updated} for id_, title, updated in rows]

    def get(self, user: str, conversation: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute(
                "SELECT title, updated, messages, upload_key FROM conversations WHERE user = ? AND id = ?",
                (user, conversation),
            )
            .fetchone()
        )
        if row is None:
            return None
        return {
            "id": conversation,
            "title": row[0],
            "updated": row[1],
            "messages": json.loads(row[2]),
            "upload_key": row[3],
        }

    def save(
        self, user: str, conversation: str, messages: builtins.list[dict[str, Any]], upload_key: str | None = None
    ) -> None:
        db = self._connection()
        if not messages:
            self.delete(user, conversation)
            return
        data = encode(messages)  # a lone surrogate escaped: SQLite takes only valid UTF-8
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                """INSERT INTO conversations (user, id, title, renamed, updated, messages, upload_key)
                   VALUES (?, ?, ?, 0, ?, ?, ?)
                   ON CONFLICT (user, id) DO UPDATE SET updated = excluded.updated, messages = excluded.messages,
                   upload_key = excluded.upload_key, title = CASE WHEN renamed THEN title ELSE excluded.title END""",
                # A title with half an emoji keeps a "?" in its place: SQLite takes only valid UTF-8.
                (
                    user,
                    conversation,
                    title_of(messages).encode("utf-8", "replace").decode(),
                    time.time(),
                    data,
                    upload_key,
                ),
            )
            # The oldest beyond the bound go.
            db.execute(
                """DELETE FROM conversations WHERE user = ? AND id NOT IN (
                       SELECT id FROM conversations WHERE user = ? ORDER BY updated DESC LIMIT ?)""",
                (user, user, self.max_conversations),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def rename(self, user: str, conversation: str, title: str) -> bool:
        cursor = self._connection().execute(
            "UPDATE conversations SET title = ?, renamed = 1 WHERE user = ? AND id = ?",
            (" ".join(title.split())[:TITLE_CHARS], user, conversation),
        )
        return cursor.rowcount > 0

    def delete(self, user: str, conversation: str) -> bool:
        cursor = self._connection().execute("DELETE FROM conversations WHERE user = ? AND id = ?", (user, conversation))
        return cursor.rowcount > 0


def history_store(value: Any) -> HistoryStore | None:
    """The ``history_store`` option: None, a path (an SQLite file) or a HistoryStore."""
    if value is None:
        return None
    if isinstance(value, (str, Path)):
        return SQLiteHistoryStore(value)
    if isinstance(value, HistoryStore):
        return value
    raise OptionsError(
        f"history_store must be a file path (an SQLite store), an object with list, get, save, rename and delete, "
        f"or None, not {value!r}"
    )


def check_history_options(opts: Any) -> None:
    """save_history, history_store and history_user, together (OptionsError says what to change)."""
    if not isinstance(opts.save_history, bool):
        raise OptionsError(f"save_history must be True or False, not {opts.save_history!r}")
    if opts.history_store is not None and not opts.save_history:
        raise OptionsError("history_store keeps the saved history of save_history=True: set that too")
    if opts.history_user is not None and not callable(opts.history_user):
        raise OptionsError(
            f"history_user must be a function returning the signed-in user's id (or None), not {opts.history_user!r}"
        )
    if opts.history_store is not None and opts.history_user is None and default_history_user() is None:
        raise OptionsError(
            "history_store keeps each user's conversations: give history_user=lambda: <the signed-in user's id or None> "
            "(the default reads Flask-Login's current_user, which is not installed)"
        )


def default_history_user() -> Any:
    """Flask-Login's signed-in user, when Flask-Login is installed (else None)."""
    try:
        from flask_login import current_user  # type: ignore[import-not-found]  # optional, not installed here
    except ImportError:
        return None

    def user() -> Any:
        return current_user.get_id() if current_user.is_authenticated else None

    return user


__all__ = [
    "HistoryStore",
    "SQLiteHistoryStore",
    "check_history_options",
    "default_history_user",
    "history_store",
    "title_of",
]
