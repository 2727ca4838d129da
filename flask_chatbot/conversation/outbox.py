"""The one way frames leave the server: serialised, one sender at a time."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from simple_websocket import ConnectionClosed

from ..protocol.frames import encode

log = logging.getLogger("flask_chatbot")


class FrameSink(Protocol):
    """Where a reply's frames go: an :class:`Outbox` (a socket), or web/api_turn.py's FrameQueue (a request)."""

    closed: bool  # the receiver has gone: the reply stops

    def send(self, frame: dict[str, Any]) -> bool: ...


class Outbox:
    """Sends frames on one WebSocket from any thread.

    simple-websocket's ``send`` is not locked, and two threads (the receive
    loop answering errors, the reply streaming) may send at once.
    """

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._lock = threading.Lock()
        self.closed = False
        _set_nodelay(ws)

    def send(self, frame: Mapping[str, Any]) -> bool:
        """Send one frame; False once the connection is gone (the caller may stop)."""
        return self.send_text(encode(frame))

    def send_text(self, data: str) -> bool:
        """Send a frame already encoded (a turn's, encoded once for all its followers)."""
        with self._lock:
            if self.closed:
                return False
            try:
                self._ws.send(data)
            except (ConnectionClosed, OSError):
                self.closed = True
                return False
        return True


def _set_nodelay(ws: Any) -> None:
    # Small frames wait up to 40 ms for Nagle's algorithm otherwise (docs/performance.md).
    sock = getattr(ws, "sock", None)
    try:
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not TCP (a Unix socket behind nginx): nothing to do
        log.debug("TCP_NODELAY not set on %r", sock)
