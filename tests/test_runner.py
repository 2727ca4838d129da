"""Calling fn (flask_chatbot/runtime/runner.py): the four kinds of function, stop, and errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from flask_chatbot.runtime.runner import Cancel, run_fn

HISTORY: list[dict[str, Any]] = [{"role": "user", "content": "earlier"}]


def run(fn: Callable[..., Any], cancel: Cancel | None = None, *, stop_after: int | None = None) -> list[Any]:
    """What fn gave; with ``stop_after`` the user presses stop once that many values arrived."""
    cancel = cancel or Cancel()
    values: list[Any] = []

    def emit(value: Any) -> None:
        values.append(value)
        if stop_after is not None and len(values) >= stop_after:
            cancel.set()

    run_fn(fn, ("hi", HISTORY), cancel, emit)
    return values


def plain(message: str, history: list[dict[str, Any]]) -> str:
    return f"{message} after {len(history)}"


def generator(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    yield message
    yield f"{message} after"
    yield f"{message} after {len(history)}"


async def coroutine(message: str, history: list[dict[str, Any]]) -> str:
    await asyncio.sleep(0)
    return f"{message} after {len(history)}"


async def async_generator(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
    yield message
    await asyncio.sleep(0)
    yield f"{message} after"
    yield f"{message} after {len(history)}"


def test_a_plain_function_gives_its_return_value() -> None:
    assert run(plain) == ["hi after 1"]


def test_a_generator_gives_every_value_it_yields() -> None:
    assert run(generator) == ["hi", "hi after", "hi after 1"]


def test_an_async_function_gives_its_result() -> None:
    assert run(coroutine) == ["hi after 1"]


def test_an_async_generator_gives_every_value_it_yields() -> None:
    assert run(async_generator) == ["hi", "hi after", "hi after 1"]


def test_any_kind_of_value_is_passed_through_unchanged() -> None:
    reply = [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}]
    assert run(lambda message, history: reply) == [reply]
    assert run(lambda message, history: None) == [None]


def test_async_code_can_use_the_running_loop() -> None:
    async def uses_loop(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        loop.call_soon(future.set_result, message)
        yield await future
        yield await asyncio.gather(asyncio.sleep(0, "a"), asyncio.sleep(0, "b"))

    assert run(uses_loop) == ["hi", ["a", "b"]]


def test_stopping_a_generator_runs_its_finally_and_gives_nothing_more() -> None:
    cleaned_up = threading.Event()

    def reply(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        try:
            for i in range(100):
                yield f"part {i}"
        finally:
            cleaned_up.set()

    assert run(reply, stop_after=1) == ["part 0"]
    assert cleaned_up.is_set()


def test_stopping_an_async_generator_runs_its_finally_and_gives_nothing_more() -> None:
    cleaned_up = threading.Event()
    closed_in_async_code: list[bool] = []

    async def reply(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
        try:
            for i in range(100):
                yield f"part {i}"
                await asyncio.sleep(0)
        finally:
            await asyncio.sleep(0)  # a finally block may await (close a client session, ...)
            closed_in_async_code.append(True)
            cleaned_up.set()

    assert run(reply, stop_after=1) == ["part 0"]
    assert cleaned_up.is_set()
    assert closed_in_async_code == [True]


def test_stopping_an_async_fn_cancels_it_at_its_current_await() -> None:
    started, cancelled = threading.Event(), threading.Event()
    cancel = Cancel()

    async def slow(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
        try:
            yield "thinking"
            started.set()
            await asyncio.sleep(3600)  # an upstream request that would take an hour
            yield "never"
        except asyncio.CancelledError:
            cancelled.set()
            raise

    threading.Thread(target=lambda: started.wait(10) and cancel.set(), daemon=True).start()
    assert run(slow, cancel) == ["thinking"]
    assert cancelled.is_set()


def test_async_fns_share_one_loop_and_overlap() -> None:
    """Two replies at once on the worker's one loop, and a client bound to that loop
    (made by the first call) still works in the second: a loop per reply breaks both."""
    loops: list[asyncio.AbstractEventLoop] = []
    both_running = threading.Barrier(2, timeout=10)

    async def reply(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
        loops.append(asyncio.get_running_loop())
        yield message
        await asyncio.get_running_loop().run_in_executor(None, both_running.wait)
        yield f"{message} done"

    results: list[list[Any]] = []
    threads = [threading.Thread(target=lambda: results.append(run(reply))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [["hi", "hi done"], ["hi", "hi done"]]
    assert loops[0] is loops[1]


@pytest.mark.parametrize("fn", [plain, coroutine], ids=["plain", "async"])
def test_a_function_stopped_while_it_runs_gives_nothing(fn: Callable[..., Any]) -> None:
    cancel = Cancel()

    def stopped_while_running(message: str, history: list[dict[str, Any]]) -> Any:
        cancel.set()  # the user presses stop while fn is still working
        return fn(message, history)

    assert run(stopped_while_running, cancel) == []


def test_a_generator_that_ends_normally_runs_its_finally() -> None:
    cleaned_up: list[str] = []

    def reply(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        try:
            yield "only"
        finally:
            cleaned_up.append("sync")

    async def areply(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
        try:
            yield "only"
        finally:
            cleaned_up.append("async")

    assert run(reply) == ["only"]
    assert run(areply) == ["only"]
    assert cleaned_up == ["sync", "async"]


class Boom(Exception):
    pass


def raises_plain(message: str, history: list[dict[str, Any]]) -> str:
    raise Boom("plain")


def raises_generator(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
    yield "first"
    raise Boom("generator")


async def raises_coroutine(message: str, history: list[dict[str, Any]]) -> str:
    await asyncio.sleep(0)
    raise Boom("coroutine")


async def raises_async_generator(message: str, history: list[dict[str, Any]]) -> AsyncIterator[str]:
    yield "first"
    await asyncio.sleep(0)
    raise Boom("async generator")


@pytest.mark.parametrize(
    ("fn", "before", "message"),
    [
        (raises_plain, [], "plain"),
        (raises_generator, ["first"], "generator"),
        (raises_coroutine, [], "coroutine"),
        (raises_async_generator, ["first"], "async generator"),
    ],
    ids=["plain", "generator", "async", "async-generator"],
)
def test_exceptions_from_fn_propagate(fn: Callable[..., Any], before: list[str], message: str) -> None:
    got: list[Any] = []
    with pytest.raises(Boom, match=f"^{message}$"):
        run_fn(fn, ("hi", []), Cancel(), got.append)
    assert got == before


def test_the_arguments_are_passed_as_given() -> None:
    seen: list[tuple[str, list[dict[str, Any]]]] = []

    def reply(message: str, history: list[dict[str, Any]]) -> str:
        seen.append((message, history))
        return "ok"

    got: list[Any] = []
    run_fn(reply, ("question", HISTORY), Cancel(), got.append)
    assert got == ["ok"]
    assert seen == [("question", HISTORY)]
    assert seen[0][1] is HISTORY
