"""A worker asked to stop (gunicorn's SIGTERM: a deploy, a restart, ``kill -HUP`` of the master,
a scale-down) closes its chats at once, so it stops within a moment instead of waiting out
``graceful_timeout`` (30 s by default, then killed, with gunicorn's misleading "Perhaps out of
memory?"), and the elements reconnect to another worker right away (close code 1012, "service
restart"). The code also tells the element why a reply was cut off: it says "The server
restarted." rather than that the connection was lost (docs/protocol.md, "Close codes").

Nothing here happens unless the worker opts in with :func:`enable` (``init_worker()`` in
gunicorn's ``post_worker_init`` hook, runtime/worker.py): a library does not replace a
process's signal handlers on its own. Once enabled, the handler is wrapped at once (the
worker's main thread, after gunicorn installed its own) and again, if it was lost, when a
socket opens on the main thread. gunicorn's own handler still runs: it stops the worker
accepting and lets it exit once its requests ended.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import weakref
from typing import Any

from .concurrency import gevent_active

log = logging.getLogger("flask_chatbot")

#: The close code that tells the element to reconnect at once, and that the server restarted
#: (RFC 6455: "Service Restart"; 1001, "Going Away", would not say that coming back is worth it).
CLOSE_RESTART = 1012

_open: weakref.WeakSet[Any] = weakref.WeakSet()  # the ChatSessions of this process
_lock = threading.Lock()
_stopping = threading.Event()
_wrapped_pid = 0
_enabled = False  # enable(): the worker opted in


def track(session: Any) -> bool:
    """``session`` (with a ``shut_down()``) is open: close it if the worker is asked to stop.
    False when the worker is already stopping: a socket it accepted meanwhile must close too,
    or the worker would wait for it."""
    with _lock:
        if _stopping.is_set():
            return False
        _open.add(session)
    if _enabled:
        watch()
    return True


def stopping() -> bool:
    """Whether this worker was asked to stop."""
    return _stopping.is_set()


def forget(session: Any) -> None:
    with _lock:
        _open.discard(session)


def enable() -> None:
    """Close this process's chats with 1012 when it gets SIGTERM (call on the main thread)."""
    global _enabled
    _enabled = True
    watch()


def watch() -> None:
    """Wrap this process's SIGTERM handler (once; only the main thread can)."""
    global _wrapped_pid
    if _wrapped_pid == os.getpid() or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if getattr(previous, "_flask_chatbot", False):
        _wrapped_pid = os.getpid()
        return

    def on_terminate(signum: int, frame: Any) -> None:
        # Not in the handler itself: closing sockets may block, and under gevent a handler
        # runs on the hub. gunicorn's handler runs next and stops the worker accepting.
        _stopping.set()
        _in_background(close_all)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    on_terminate._flask_chatbot = True  # type: ignore[attr-defined]  # a marker on the function
    try:
        signal.signal(signal.SIGTERM, on_terminate)
    except ValueError:  # not the main thread of the main interpreter after all
        return
    _wrapped_pid = os.getpid()


def _in_background(work: Any) -> None:
    """Run ``work`` soon, without blocking: under gevent a signal handler runs as an event
    loop callback, where even starting a thread (it waits for the thread) is refused."""
    if gevent_active():
        import gevent

        gevent.spawn(work)
    else:
        threading.Thread(target=work, name="flask_chatbot.shutdown", daemon=True).start()


def close_all() -> None:
    """Close every open chat of this process with 1012: their elements reconnect elsewhere."""
    with _lock:
        sessions = list(_open)
    if sessions:
        log.info("Closing %d chats: the worker is stopping", len(sessions))
    for session in sessions:
        try:
            session.shut_down()
        except Exception:  # one broken socket must not keep the others open
            log.exception("Closing a chat for the shutdown failed")


__all__ = ["CLOSE_RESTART", "close_all", "enable", "forget", "stopping", "track", "watch"]
