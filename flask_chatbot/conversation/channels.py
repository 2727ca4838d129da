"""Every socket of one conversation live: a change one makes (a message, a reply that starts,
feedback, an edit, a clear) shows in the others, on this worker or another of the host.

A conversation's sockets share a channel, named after the conversation's live key (a secret the
server gives with ``welcome``, kept by the element with the conversation: the conversation's id
alone is not enough to follow it). A socket that changed the conversation publishes what changed
(conversation/shared.py); the other sockets of its channel on this worker get it at once, those on
other workers within an interval, through the channel log (stores/channel_log.py), which one
thread per worker reads in one query whatever the number of its sockets.

A signed-in user's saved conversation (a history store) has a key the server derives from the
user and the conversation: every device of that user, and nobody else, gets the same.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from ..protocol.frames import encode
from ..runtime.concurrency import offload
from ..stores.channel_log import KEEP, ChannelLog

log = logging.getLogger("flask_chatbot")

MIN_INTERVAL = 0.05  # seconds between two reads of the channel log, at least
QUIET_INTERVAL = 0.25  # seconds between reads once nothing has come for a while (an idle host)
SECRET_FILE = "live.secret"  # in the store's folder: the host's secret for signed-in users' keys


class Member(Protocol):
    """A socket in a channel: its session (conversation/session.py)."""

    def shared(self, event: dict[str, Any]) -> None:
        """Another socket of the conversation changed it: show the change."""


class ConversationChannels:
    """This worker's sockets of one chat, by channel, and the log every worker of the host reads."""

    def __init__(self, log_: ChannelLog, *, scope: str, interval: float, secret_folder: Path) -> None:
        self.log = log_
        self.scope = scope
        self.interval = max(interval, MIN_INTERVAL)
        self._secret_folder = secret_folder
        self._secret: bytes | None = None  # read when a signed-in user first needs it
        self.origin = secrets.token_hex(8)  # this worker, in the events it publishes
        self._lock = threading.Lock()
        self._members: dict[str, list[Member]] = {}
        self._reader: threading.Thread | None = None

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(16)

    def owner_key(self, user: str, conversation: str) -> str:
        """The live key of a signed-in ``user``'s ``conversation``: the same on every device."""
        if self._secret is None:
            self._secret = host_secret(self._secret_folder)
        message = f"{self.scope}\0{user}\0{conversation}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def join(self, key: str, member: Member) -> str:
        """``member`` gets the changes of the conversation whose live key is ``key``; its channel."""
        channel = f"{self.scope}/{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        with self._lock:
            self._members.setdefault(channel, []).append(member)
            if self._reader is None:
                self._reader = threading.Thread(target=self._read_loop, name="flask_chatbot.channels", daemon=True)
                self._reader.start()
        return channel

    def leave(self, channel: str, member: Member) -> None:
        with self._lock:
            members = self._members.get(channel, [])
            if member in members:
                members.remove(member)
            if not members:
                self._members.pop(channel, None)

    def publish(self, channel: str, member: Member, event: dict[str, Any], *, create: bool = True) -> None:
        """``member`` changed its conversation: the other sockets of ``channel`` show it. Not
        ``create``: not worth making the log for (no turn ever ran on the host without it)."""
        for other in self._local(channel):
            if other is not member:
                _deliver(other, event)
        try:
            offload(self.log.publish, channel, self.origin, encode(event), create=create, lane="turn_log")
        except Exception:  # the other workers' sockets miss this change; this worker's have it
            log.exception("Publishing a conversation's change failed")

    def _local(self, channel: str) -> list[Member]:
        with self._lock:
            return list(self._members.get(channel, ()))

    def _read_loop(self) -> None:
        try:
            last = offload(self.log.last, lane="turn_log")
        except Exception:
            log.exception("Reading the channel log failed")
            last = 0
        forgot = time.monotonic()
        pause = self.interval
        while True:
            with self._lock:
                if not self._members:
                    self._reader = None
                    return
            try:
                events = offload(self.log.after, last, lane="turn_log")
                if time.monotonic() - forgot > KEEP / 2:
                    forgot = time.monotonic()
                    offload(self.log.forget, time.time() - KEEP, lane="turn_log")
            except Exception:
                log.exception("Reading the channel log failed")
                events = []
            for event in events:
                last = event.number
                if event.origin == self.origin:
                    continue  # this worker's own: its sockets had it at once
                members = self._local(event.channel)
                if members:
                    decoded = json.loads(event.text)
                    for member in members:
                        _deliver(member, decoded)
            if not events:
                # The pace of the reads, not a wait for anything: slower while nothing comes.
                time.sleep(pause)
                pause = min(pause * 1.5, max(QUIET_INTERVAL, self.interval))
            else:
                pause = self.interval


def _deliver(member: Member, event: dict[str, Any]) -> None:
    try:
        member.shared(event)
    except Exception:  # one socket's failure must not keep the change from the others
        log.exception("Showing a conversation's change failed")


def host_secret(folder: Path) -> bytes:
    """The host's secret in ``folder`` (the store's), made by the first worker that needs it."""
    path = folder / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it a moment ago
        return _read_whole(path)
    with os.fdopen(fd, "wb") as file:
        file.write(secrets.token_bytes(32))
    return path.read_bytes()


def _read_whole(path: Path) -> bytes:
    """A secret another worker is writing: 32 bytes once it has (one write, a moment)."""
    for _ in range(100):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
        time.sleep(0.01)  # its writer is between open and write
    raise OSError(f"{path}: the host's secret is not written")


__all__ = ["ConversationChannels", "Member", "host_secret"]
