"""One asyncio event loop per worker process runs every ``async def`` fn.

A loop per reply breaks twice: under gevent all replies share one OS thread, and
asyncio allows one running loop per OS thread ("Cannot run the event loop while
another loop is running"); and a client made once at import (``httpx.AsyncClient``,
``openai.AsyncOpenAI``) is bound to the loop it first ran on. So the worker keeps a
single loop in a background thread (a greenlet under gevent, its selector made
cooperative by gevent's patching), started lazily after gunicorn forks, and each
reply submits its coroutine to it and waits for the result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import selectors
import sys
import threading
from collections.abc import Coroutine
from typing import Any


class _QuietSelector:
    """Wraps the loop's selector: while the loop waits for I/O, it gives the OS thread's
    asyncio state back to whoever else runs there.

    Under gevent, other greenlets run on the same OS thread while this loop waits, and
    asyncio keeps its running loop and its async-generator hooks per OS thread. Left
    set, a sync fn calling ``asyncio.run()`` meanwhile would be refused, or its loop
    would adopt (and at its end close) this loop's async generators.
    """

    def __init__(self, inner: selectors.BaseSelector) -> None:
        self._inner = inner
        self.outside: tuple[Any, Any] = (None, (None, None))  # the thread's state while we wait

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ours = (asyncio.events._get_running_loop(), sys.get_asyncgen_hooks())
        _set_state(self.outside)
        try:
            return self._inner.select(timeout)
        finally:
            self.outside = (asyncio.events._get_running_loop(), sys.get_asyncgen_hooks())
            _set_state(ours)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _set_state(state: tuple[Any, Any]) -> None:
    loop, hooks = state
    asyncio.events._set_running_loop(loop)
    sys.set_asyncgen_hooks(*hooks)


def _run_forever(loop: asyncio.AbstractEventLoop, selector: _QuietSelector) -> None:
    # Under gevent a greenlet's own asyncio.run() may be "running" on this OS thread right
    # now (waiting in its selector): keep its state aside for it, and start ours.
    selector.outside = (asyncio.events._get_running_loop(), sys.get_asyncgen_hooks())
    _set_state((None, (None, None)))
    loop.run_forever()


class SharedLoop:
    """The worker's event loop, started on first use in each process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # after a fork the thread is gone
                selector = _QuietSelector(selectors.DefaultSelector())
                loop = asyncio.SelectorEventLoop(selector)  # type: ignore[arg-type]  # duck-types a BaseSelector
                thread = threading.Thread(
                    target=_run_forever, args=(loop, selector), name="flask_chatbot.asyncio", daemon=True
                )
                thread.start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, coro: Coroutine[Any, Any, Any], cancel: Any) -> Any:
        """Run ``coro`` on the loop and wait until it has ended, finally blocks included.

        ``cancel.add_callback`` is told to cancel the task; a cancelled run returns None.
        """
        loop = self.loop()
        ended: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def report(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                ended.set_result(None)
            elif task.exception() is not None:
                ended.set_exception(task.exception())
            else:
                ended.set_result(task.result())

        def start() -> None:
            task = loop.create_task(coro)
            task.add_done_callback(report)
            cancel.add_callback(lambda: loop.call_soon_threadsafe(task.cancel))

        loop.call_soon_threadsafe(start)
        return ended.result()


shared_loop = SharedLoop()
