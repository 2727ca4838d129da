"""One client's share of a concurrency group's line: at most ``CHATBOT_MAX_TURNS_PER_CLIENT``
turns of one client (its signed-in user, else its address) running or waiting in a group at
once, so that a client with a dozen sockets cannot fill the line ahead of everyone else
(docs/options.md, "Queue").

A turn *claims* its share when it is checked, before its message enters the conversation
(the element then gives the text back), and lets go when it ends. In one worker the claims are
counted in memory; with ``CHATBOT_QUEUE_SCOPE = "host"`` they are files held with ``flock`` in
the group's line folder (conversation/host_line.py), so a client spreading its sockets over workers gets no
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
        self._client_of: dict[int, str] = {}  # holder id -> its client
        self._files: dict[int, tuple[str, int]] = {}  # holder id -> (claim file's name, its descriptor)

    def claim(self, client: str, holder: Any) -> bool:
        """Claim a turn for ``client``, held by ``holder`` (a session, a call) until :meth:`release`;
        True when it is within the share (or ``holder`` holds one already)."""
        if self.limit is None:
            return True
        key = id(holder)
        with self._lock:
            if key in self._files or key in self._client_of:
                return True
            if self._directory is None:
                if len(self._held.get(client, ())) >= self.limit:
                    return False
                self._held[client].add(key)
                self._client_of[key] = client
                return True
            prefix = "c-" + hashlib.sha256(client.encode()).hexdigest()[:20] + "-"
            name = f"{prefix}{os.getpid()}-{next(_claims)}"
            # Locked under another name, then renamed into place: another worker never sees it
            # unheld (and takes it for a dead worker's).
            fd = os.open(self._directory / ("new" + name), os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(self._directory / ("new" + name), self._directory / name)
            if self._live(prefix) > self.limit:  # counted with our own: over the share
                os.close(fd)
                (self._directory / name).unlink(missing_ok=True)
                return False
            self._files[key] = (name, fd)
            return True

    def release(self, holder: Any) -> None:
        """``holder``'s turn ended (or never started): its claim goes."""
        key = id(holder)
        with self._lock:
            client = self._client_of.pop(key, None)
            if client is not None:
                holders = self._held[client]
                holders.discard(key)
                if not holders:  # a client with nothing running is forgotten: the map stays small
                    del self._held[client]
            held = self._files.pop(key, None)
        if held is not None:
            assert self._directory is not None  # claim files are made only in a directory
            name, fd = held
            (self._directory / name).unlink(missing_ok=True)
            os.close(fd)

    def _live(self, prefix: str) -> int:
        """Claims of one client held by a living worker; a dead worker's are removed on the way."""
        assert self._directory is not None  # called by claim() only when claims are files
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
                (self._directory / name).unlink(missing_ok=True)  # nobody holds it: its worker died
            finally:
                os.close(fd)
        return count


class TurnClaims:
    """One socket's claims on its client's share (conversation/session.py): a frame that may start a turn
    claims (:meth:`claim`); the turn it starts takes the claim over (:meth:`started`) and lets it
    go once its fn has really ended (:meth:`finished`: a stopped plain fn runs on until it
    returns); a claim no turn took goes when the frame is handled (:meth:`frame_done`)."""

    def __init__(self, queue: Any, client: str, gate: Any) -> None:
        self._queue, self._client, self._gate = queue, client, gate
        self._pending: object | None = None
        self._running: object | None = None

    def claim(self) -> bool:
        if self._pending is None:
            token = object()
            if not self._queue.claim(self._client, token):
                return False
            self._pending = token
        return True

    def started(self) -> None:
        self._running, self._pending = self._pending, None

    def finished(self) -> None:
        token, self._running = self._running, None
        if token is not None:
            self._gate.when_free(lambda: self._queue.release(token))

    def frame_done(self) -> None:
        token, self._pending = self._pending, None
        if token is not None:
            self._queue.release(token)


__all__ = ["SHARE_FULL", "ClientShare", "TurnClaims", "client_key"]
