"""What differs between a threaded server and a gevent one, in one place.

Under gunicorn's gevent worker every socket, reply and emitter is a greenlet on one OS
thread: anything that holds the CPU for long stalls every other socket of the worker.
:func:`offload` moves such work (slow renders, big frames) to a native thread, where the
GIL hands the CPU back to the hub every switch interval (1 ms here); :func:`render` keeps
quick renders inline. Under threads the work stays where it is: the GIL already
time-slices it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Under gevent a render runs inline on the hub only while it stays this quick (CPU);
# anything slower stops there and is rendered again on the offload thread. Ordinary
# Markdown costs 1-5 µs a character, so replies and messages of up to about a thousand
# characters, most of a stream's renders, never leave the hub.
INLINE_RENDER_CPU = 0.005
INLINE_RENDER_CHARS = 5000  # longer text would miss the limit anyway: straight to the thread

# Native threads for offloaded work, per worker. One on purpose: the GIL lets only one
# thread render at a time anyway, and the hub then competes with a single busy thread,
# so it gets the CPU back within a switch interval; big renders queue up instead of
# slowing every socket.
OFFLOAD_THREADS = 1
# The switch interval while offloaded work runs beside the hub (CPython's default is
# 5 ms; measured with one busy thread: hub stalls up to ~20 ms at 5 ms, ~5 ms at 1 ms).
SWITCH_INTERVAL = 0.001
_pool: Any = None
_pool_pid = 0
_pool_lock = threading.Lock()


def gevent_active() -> bool:
    """True when gevent has patched ``threading`` (gunicorn's gevent worker does)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


def offload(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)``, run where it cannot stall the other sockets of this worker."""
    if gevent_active():
        return _offload_pool().apply(func, args, kwargs)  # type: ignore[no-any-return]
    return func(*args, **kwargs)


def _offload_pool() -> Any:
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # gunicorn forks workers: one pool each
            from gevent.threadpool import ThreadPool

            _pool, _pool_pid = ThreadPool(OFFLOAD_THREADS), os.getpid()
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        return _pool


def render(renderer: Any, text: str, *, from_user: bool) -> str:
    """``renderer.render(text)`` without stalling the other sockets of a gevent worker.

    Under gevent, quick renders happen inline (a hand-off to a thread costs more than
    they do) and a render that passes :data:`INLINE_RENDER_CPU` is redone off the hub,
    so the hub is never held for longer than that. Under threads it just renders.
    """
    if not gevent_active():
        return renderer.render(text, from_user=from_user)  # type: ignore[no-any-return]
    if len(text) <= INLINE_RENDER_CHARS:
        html = renderer.try_render(text, from_user=from_user, cpu_limit=INLINE_RENDER_CPU)
        if html is not None:
            return html  # type: ignore[no-any-return]
    return offload(renderer.render, text, from_user=from_user)
