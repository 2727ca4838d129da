"""Calling fn: plain functions, generators, async functions and async generators.

:func:`run_fn` calls any of the four and hands each value it produces to ``emit``
(cumulative, as in Gradio: each value replaces the reply so far), returning when fn
is done. When ``cancel`` is set a generator is closed at its next yield, so its
``finally`` blocks run; an async fn is cancelled at once (``CancelledError`` at its
current ``await``); a plain function cannot be interrupted and runs to its end, its
result then dropped. Async fns run on the worker's one event loop (runtime/event_loop.py).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from .event_loop import shared_loop


class Cancel:
    """A cancel flag that can also call back whoever must be told at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], Any]] = []

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def add_callback(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` when cancelled (now, if already)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()


def run_fn(fn: Callable[..., Any], args: tuple[Any, ...], cancel: Cancel, emit: Callable[[Any], None]) -> None:
    if cancel.is_set():
        return
    result = fn(*args)
    if inspect.isgenerator(result):
        _sync_generator(result, cancel, emit)
    elif inspect.isasyncgen(result) or inspect.isawaitable(result):
        shared_loop.run(_drive(result, cancel, emit), cancel)
    elif not cancel.is_set():
        emit(result)


def _sync_generator(gen: Any, cancel: Cancel, emit: Callable[[Any], None]) -> None:
    try:
        while not cancel.is_set():  # checked before resuming: no code runs after Stop
            try:
                value = next(gen)
            except StopIteration:
                return
            if cancel.is_set():
                return
            emit(value)
    finally:
        gen.close()


async def _drive(result: Any, cancel: Cancel, emit: Callable[[Any], None]) -> None:
    if not inspect.isasyncgen(result):
        value = await result
        if not cancel.is_set():
            emit(value)
        return
    try:
        async for value in result:
            if cancel.is_set():
                return
            emit(value)
    finally:
        await result.aclose()  # runs the generator's finally blocks, also when cancelled
