"""Calling fn (flask_chatbot/runner.py): the four kinds of function, stop, and errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from flask_chatbot.runner import iterate_reply

HISTORY: list[dict[str, Any]] = [{"role": "user", "content": "earlier"}]


def run(fn: Callable[..., Any], cancel: threading.Event | None = None) -> list[Any]:
    return list(iterate_reply(fn, ("hi", HISTORY), cancel or threading.Event()))


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

    cancel = threading.Event()
    values = iterate_reply(reply, ("hi", []), cancel)
    assert next(values) == "part 0"
    cancel.set()
    assert list(values) == []
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

    cancel = threading.Event()
    values = iterate_reply(reply, ("hi", []), cancel)
    assert next(values) == "part 0"
    cancel.set()
    assert list(values) == []
    assert cleaned_up.is_set()
    assert closed_in_async_code == [True]


@pytest.mark.parametrize("fn", [plain, coroutine], ids=["plain", "async"])
def test_a_function_stopped_while_it_runs_gives_nothing(fn: Callable[..., Any]) -> None:
    cancel = threading.Event()

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
        for value in iterate_reply(fn, ("hi", []), threading.Event()):
            got.append(value)
    assert got == before


def test_the_arguments_are_passed_as_given() -> None:
    seen: list[tuple[str, list[dict[str, Any]]]] = []

    def reply(message: str, history: list[dict[str, Any]]) -> str:
        seen.append((message, history))
        return "ok"

    assert list(iterate_reply(reply, ("question", HISTORY), threading.Event())) == ["ok"]
    assert seen == [("question", HISTORY)]
    assert seen[0][1] is HISTORY
