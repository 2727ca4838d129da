"""Calling fn: plain functions, generators, async functions and async generators.

:func:`iterate_reply` turns any of the four into one blocking iterator of the
values fn produced (cumulative, as in Gradio: each value replaces the reply so
far). When ``cancel`` is set the generator is closed at its next yield, so its
``finally`` blocks run; a plain or async function cannot be interrupted and runs
to its end, its result then dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any


def iterate_reply(fn: Callable[..., Any], args: tuple[Any, ...], cancel: threading.Event) -> Iterator[Any]:
    result = fn(*args)
    if inspect.isgenerator(result):
        yield from _sync_generator(result, cancel)
    elif inspect.isasyncgen(result):
        yield from _async_generator(result, cancel)
    elif inspect.isawaitable(result):
        value = _run_awaitable(result)
        if not cancel.is_set():
            yield value
    elif not cancel.is_set():
        yield result


def _sync_generator(gen: Any, cancel: threading.Event) -> Iterator[Any]:
    try:
        while not cancel.is_set():  # checked before resuming: no code runs after Stop
            try:
                value = next(gen)
            except StopIteration:
                return
            if cancel.is_set():
                return
            yield value
    finally:
        gen.close()


def _async_generator(agen: Any, cancel: threading.Event) -> Iterator[Any]:
    loop = asyncio.new_event_loop()
    try:
        while not cancel.is_set():
            try:
                value = loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
            if cancel.is_set():
                return
            yield value
    finally:
        try:
            loop.run_until_complete(agen.aclose())  # runs the generator's finally blocks
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _run_awaitable(awaitable: Any) -> Any:
    async def wrapper() -> Any:
        return await awaitable

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(wrapper())
    finally:
        loop.close()
