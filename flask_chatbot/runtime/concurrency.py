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
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

# Under gevent a render runs inline on the hub only while it stays this quick (CPU);
# anything slower stops there and is rendered again on the offload thread. Ordinary
# Markdown costs 1-5 µs a character, so replies and messages of up to about a thousand
# characters, most of a stream's renders, never leave the hub.
INLINE_RENDER_CPU = 0.005
INLINE_RENDER_CHARS = 5000  # longer text would miss the limit anyway: straight to the thread

# Native threads for offloaded work, per worker and lane. One a lane on purpose: the GIL lets
# only one thread run at a time anyway, and the hub then competes with few busy threads, so it
# gets the CPU back within a switch interval; big renders queue up instead of slowing every
# socket. Two lanes, so that a short text never waits behind a long one: "quick" for texts of at
# most QUICK_RENDER_CHARS (at most RENDER_BUDGET_FLOOR + 0.3 s of CPU however they are made),
# "heavy" for the rest (at most RENDER_BUDGET_MAX); with both busy, the GIL shares the CPU
# between them every switch interval. Within a lane each socket has at most one render queued
# (a session handles its frames one at a time), so the line is round-robin over sockets.
OFFLOAD_THREADS = 1
QUICK_RENDER_CHARS = 4000
# The switch interval a gevent worker opts into (runtime/worker.py's init_worker) so that
# offloaded work yields to the hub (CPython's default is 5 ms; measured with one busy thread:
# hub stalls up to ~20 ms at 5 ms, ~5 ms at 1 ms).
SWITCH_INTERVAL = 0.001
_pools: dict[str, Any] = {}
_pool_pid = 0
_pool_lock = threading.Lock()


class TextRenderer(Protocol):
    """What :func:`render` needs of a renderer (rendering.renderer.Renderer is one)."""

    def render(self, text: str, *, from_user: bool) -> str: ...

    def try_render(self, text: str, *, from_user: bool, cpu_limit: float) -> str | None: ...


class Gone(Exception):
    """The work was dropped before it started: whoever asked for it has gone (its socket closed)."""


def gevent_active() -> bool:
    """True when gevent has patched ``threading`` (gunicorn's gevent worker does)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


def offload(
    func: Callable[..., T], *args: Any, lane: str = "heavy", alive: Callable[[], bool] | None = None, **kwargs: Any
) -> T:
    """``func(*args, **kwargs)``, run where it cannot stall the other sockets of this worker (in
    ``lane``'s thread under gevent). With ``alive``, work that waited in line for a caller who
    has gone since is dropped (:class:`Gone`) instead of run for nobody."""
    if not gevent_active():
        return func(*args, **kwargs)

    def run() -> tuple[bool, Any]:
        # An exception comes back as a value and is raised in the caller: raised in the pool's
        # thread, gevent would print its traceback first (a refused frame is not an error).
        try:
            if alive is not None and not alive():
                raise Gone
            return True, func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (returned to the caller as a value)
            return False, exc
        finally:
            if lane == "heavy":
                _give_back_memory()

    ok, value = _offload_pool(lane).apply(run)
    if not ok:
        raise value
    result: T = value  # gevent is untyped: apply() returns what run() did, func's T
    return result


def _load_malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes
        import ctypes.util

        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return None


_malloc_trim = _load_malloc_trim() if sys.platform.startswith("linux") else None


def _give_back_memory() -> None:
    """After heavy work (a 100 KB render, a megabyte frame parsed) on the lane's own thread: the
    tree it built is freed, but glibc keeps the pages in that thread's arena, so a worker's RSS
    grew in steps over a soak while Python's own allocations stayed flat (tracemalloc; docs/
    performance.md). malloc_trim(0) returns them; it costs about a millisecond, after work that
    took hundreds."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _offload_pool(lane: str) -> Any:
    global _pool_pid
    with _pool_lock:
        if _pool_pid != os.getpid():  # gunicorn forks workers: pools of their own
            _pools.clear()
            _pool_pid = os.getpid()
        if lane not in _pools:
            from gevent.threadpool import ThreadPool

            _pools[lane] = ThreadPool(OFFLOAD_THREADS)
        return _pools[lane]


def render(
    renderer: TextRenderer,
    text: str,
    *,
    from_user: bool,
    alive: Callable[[], bool] | None = None,
    charge: Callable[[float], None] | None = None,
) -> str:
    """``renderer.render(text)`` without stalling the other sockets of a gevent worker.

    Under gevent, quick renders happen inline (a hand-off to a thread costs more than
    they do) and a render that passes :data:`INLINE_RENDER_CPU` is redone off the hub, in the
    lane of its length, so the hub is never held for longer than that. Under threads it just
    renders. ``charge(seconds)`` is told the CPU the render took (the sender's rate pays it,
    inbox.FrameBudget); ``alive``, see :func:`offload`.
    """

    def timed(attempt: Callable[[], T]) -> T:
        start = time.thread_time()
        try:
            return attempt()
        finally:
            if charge is not None:
                charge(time.thread_time() - start)

    if not gevent_active():
        return timed(lambda: renderer.render(text, from_user=from_user))
    if len(text) <= INLINE_RENDER_CHARS:
        html = timed(lambda: renderer.try_render(text, from_user=from_user, cpu_limit=INLINE_RENDER_CPU))
        if html is not None:
            return html
    lane = "quick" if len(text) <= QUICK_RENDER_CHARS else "heavy"
    rendered: str = offload(timed, lambda: renderer.render(text, from_user=from_user), lane=lane, alive=alive)
    return rendered
