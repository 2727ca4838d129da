"""The conversations the server keeps for the HTTP API's sessions (web/http_api.py): one SQLite
file in the file store's root, kept apart from readers' saved chats."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..runtime.concurrency import offload
from .history import SQLiteHistoryStore

API_SESSIONS = 10_000  # conversations the server keeps for API sessions: the oldest go first


class ApiSessionStore:
    """Each API session's history by (owner, session id); the file is opened on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._store: SQLiteHistoryStore | None = None
        self._lock = threading.Lock()

    def _db(self) -> SQLiteHistoryStore:
        with self._lock:  # made on first use: a chat no program calls never opens it
            if self._store is None:
                self._store = SQLiteHistoryStore(self._path, max_conversations=API_SESSIONS)
            return self._store

    def exists(self, owner: str, session_id: str) -> bool:
        return offload(self._db().get, owner, session_id) is not None

    def load(self, owner: str, session_id: str) -> list[dict[str, Any]]:
        found = offload(self._db().get, owner, session_id)
        return found["messages"] if found else []

    def save(self, owner: str, session_id: str, history: list[dict[str, Any]]) -> None:
        offload(self._db().save, owner, session_id, history)


__all__ = ["API_SESSIONS", "ApiSessionStore"]
