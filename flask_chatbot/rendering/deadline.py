"""The CPU deadline: a per-thread CPU budget that the Markdown steps check as they go."""

from __future__ import annotations

import functools
import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# -- the CPU deadline ----------------------------------------------------------------


class BudgetExceeded(Exception):
    """A render used more CPU than its budget (raised inside Markdown or bleach)."""


_local = threading.local()


@contextmanager
def cpu_deadline(seconds: float) -> Iterator[None]:
    """Within the block, :func:`check_deadline` raises once this thread used ``seconds`` of CPU."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.thread_time() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


@contextmanager
def not_counted() -> Iterator[None]:
    """CPU spent within the block is not charged to the current :func:`cpu_deadline`: a set-up
    the process does once (a lexer's import and regular expressions) is no part of a text's cost."""
    start = time.thread_time()
    try:
        yield
    finally:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            _local.deadline = deadline + time.thread_time() - start


def _collection_not_counted(phase: str, info: dict[str, Any]) -> None:
    """A garbage collection that lands in a render (it runs in the thread that triggered it) is
    not the text's cost: in a process with a large heap a full collection takes hundreds of ms,
    and a 28-character message was shown as typed for it."""
    try:
        deadline = getattr(_local, "deadline", None)
    except Exception:  # noqa: BLE001, a collection at interpreter exit, where gevent's locals are gone
        return
    if deadline is None:
        return
    if phase == "start":
        _local.collecting = time.thread_time()
    elif getattr(_local, "collecting", None) is not None:
        _local.deadline = deadline + time.thread_time() - _local.collecting
        _local.collecting = None


gc.callbacks.append(_collection_not_counted)


def check_deadline() -> None:
    """Raise :class:`BudgetExceeded` if the current :func:`cpu_deadline` has passed.

    CPU time of this thread, not wall time: a loaded machine or a gevent hub
    switching greenlets does not make an honest render look slow. About 0.4 µs.
    """
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.thread_time() > deadline:
        raise BudgetExceeded


def checking_deadline(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, calling :func:`check_deadline` first."""

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_deadline()
        return method(*args, **kwargs)

    return checked
