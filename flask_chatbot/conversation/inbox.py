"""Backpressure and rate limits on what one socket may send.

simple-websocket reads each socket in a thread of its own and buffers every message
it reads, without limit, until the handler asks for it: a client that sends faster
than its session handles frames grows the worker by hundreds of MB. The one hook the
library offers is the ``event_class`` its reader calls ``set()`` on after buffering a
message (passed through flask-sock's ``SOCK_SERVER_OPTIONS``). :class:`InboxEvent`
blocks there while the buffer is full, so the reader stops reading and TCP pushes back
on the sender: a flood slows down its own connection and nothing else.
"""

from __future__ import annotations

import threading
import time
from typing import Any

# Frames a session may have waiting before the socket is no longer read. Each frame is
# at most the WebSocket layer's max_message_size, so this bounds a socket's buffer.
INBOX_FRAMES = 4


class InboxEvent:
    """simple-websocket's ``event_class``: an Event whose ``set()`` waits for room.

    Unbound (any other flask-sock route of the app) it is a plain Event. A session binds
    it to its socket's buffer with :meth:`bind`, calls :meth:`taken` after each receive,
    and :meth:`release` when it ends, so a reader waiting for room never hangs.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._flag = False
        self._buffer: list[Any] | None = None
        self._limit = 0

    # -- threading.Event's interface, as simple-websocket uses it --------------------

    def set(self) -> None:
        with self._cond:
            self._flag = True
            self._cond.notify_all()
            while self._buffer is not None and len(self._buffer) >= self._limit:
                self._cond.wait()  # the reader thread parks here: nothing more is read

    def clear(self) -> None:
        with self._cond:
            self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._flag, timeout)

    # -- the session's side ----------------------------------------------------------

    def bind(self, buffer: list[Any], limit: int = INBOX_FRAMES) -> None:
        with self._cond:
            self._buffer, self._limit = buffer, limit

    def taken(self) -> None:
        """The session took a frame: there may be room again."""
        with self._cond:
            self._cond.notify_all()

    def release(self) -> None:
        """The session ended: let the reader run on to the close."""
        with self._cond:
            self._buffer = None
            self._cond.notify_all()


# The CPU a token buys: a socket's rate in frames a second is also its share of the CPU that
# rendering what it sends may take (10 frames a second: 100 ms a second, a tenth of a core).
CPU_PER_TOKEN = 0.01


class FrameBudget:
    """A token bucket of frames: ``rate`` a second, bursts of ``burst`` seconds' worth.

    A frame costs 1 plus 1 per 65,536 characters it carries (``size``: a text frame's
    length, as read), so big frames spend more; and what rendering it took, afterwards
    (:meth:`charge`): one token per :data:`CPU_PER_TOKEN` of CPU. A frame costly to render
    so delays the socket's next ones for as long as that CPU is worth at its rate.
    """

    def __init__(self, rate: float, burst: float = 4.0) -> None:
        self.rate = rate
        self.capacity = rate * burst
        self._tokens = self.capacity
        self._at = time.monotonic()
        self._owed = 0.0  # CPU of the running reply's renders (seconds), spent when it ends
        self._lock = threading.Lock()  # the reply's thread adds, the socket's thread spends

    @staticmethod
    def cost(size: int) -> float:
        return 1 + size // 65536

    def charge(self, cpu_seconds: float) -> None:
        """Spend the CPU a frame's render took (the balance may go below zero: the wait then)."""
        with self._lock:
            self._tokens -= cpu_seconds / CPU_PER_TOKEN

    def owe(self, cpu_seconds: float) -> None:
        """Note CPU a reply's render took (another thread's), to be spent when it ends (:meth:`settle`):
        a reply that echoes costly text is the connection's cost too, but its Stop must not wait."""
        with self._lock:
            self._owed += cpu_seconds

    def settle(self) -> None:
        with self._lock:
            self._tokens -= self._owed / CPU_PER_TOKEN
            self._owed = 0.0

    def delay(self, size: int) -> float:
        """Seconds to wait before handling a frame of ``size`` bytes (and spend its cost)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
            self._at = now
            cost = min(self.cost(size), self.capacity)
            self._tokens -= cost
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
