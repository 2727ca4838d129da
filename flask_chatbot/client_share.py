"""One client's share of a concurrency group's line: at most ``CHATBOT_MAX_TURNS_PER_CLIENT``
turns of one client (its signed-in user, else its address) running or waiting in a group at
once, so that a client with a dozen sockets cannot fill the line ahead of everyone else
(docs/options.md, "Queue").

A turn *claims* its share when it is checked, before its message enters the conversation
(the element then gives the text back), and lets go when it ends. In one worker the claims are
counted in memory; with ``CHATBOT_QUEUE_SCOPE = "host"`` they are files held with ``flock`` in
the group's line folder (host_line.py), so a client spreading its sockets over workers gets no
more, and a dead worker's claims go with it.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

_claims = itertools.count()
#: What a client over its share is told (the socket's ``queue_full`` error, the APIs' 429).
SHARE_FULL = "You already have replies running or waiting here. Please wait for one of them to finish."


def client_key(user: str | None, address: str | None) -> str:
    """Who a turn is for, as the share counts it: the signed-in user, else the client's address."""
    return f"user:{user}" if user is not None else f"address:{address or ''}"


class ClientShare:
    """The claims of one group's clients: ``limit`` turns each at most (None: no limit)."""

    def __init__(self, limit: int | None, directory: Path | None = None) -> None:
        self.limit = limit
        self._directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._held: dict[str, set[int]] = defaultdict(set)  # client -> ids of its holders (this worker)
        self._files: dict[int, tuple[str, int]] = {}  # holder id -> (client, claim file's descriptor)

    def claim(self, client: str, holder: Any) -> bool:
        """Claim a turn for ``client``, held by ``holder`` (a session, a call) until :meth:`release`;
        True when it is within the share (or ``holder`` holds one already)."""
        if self.limit is None:
            return True
        key = id(holder)
        with self._lock:
            if key in self._files or key in self._held[client]:
                return True
            if self._directory is None:
                if len(self._held[client]) >= self.limit:
                    return False
                self._held[client].add(key)
                return True
            prefix = "c-" + hashlib.sha256(client.encode()).hexdigest()[:20] + "-"
            name = f"{prefix}{os.getpid()}-{next(_claims)}"
            fd = os.open(self._directory / name, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if self._live(prefix) > self.limit:  # counted with our own: over the share
                os.close(fd)
                _unlink(self._directory / name)
                return False
            self._files[key] = (name, fd)
            return True

    def release(self, holder: Any) -> None:
        """``holder``'s turn ended (or never started): its claim goes."""
        key = id(holder)
        with self._lock:
            for holders in self._held.values():
                holders.discard(key)
            held = self._files.pop(key, None)
        if held is not None:
            name, fd = held
            _unlink(self._directory / name)
            os.close(fd)

    def _live(self, prefix: str) -> int:
        """Claims of one client held by a living worker; a dead worker's are removed on the way."""
        count = 0
        for name in os.listdir(self._directory):
            if not name.startswith(prefix):
                continue
            try:
                fd = os.open(self._directory / name, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    count += 1  # held: a living claim (ours included)
                    continue
                _unlink(self._directory / name)  # nobody holds it: its worker died
            finally:
                os.close(fd)
        return count


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


__all__ = ["SHARE_FULL", "ClientShare", "client_key"]
