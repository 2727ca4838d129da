"""What fn tells the reader besides its reply: a progress bar (:class:`Progress`) and toasts
(:func:`Info`, :func:`Warning`, :func:`Success`), with Gradio's names and arguments.

They reach the turn being answered through a context variable the reply sets on fn's thread
(an ``async def`` fn's task inherits it), so they work from anywhere fn calls; a listener's
toasts go to its reader too (:class:`ListenerNotices`); elsewhere they do nothing but log. Progress is coalesced like the reply itself (at most one frame per
``stream_interval``); toasts are few by nature and capped per turn, so a loop calling
``Info`` cannot flood the socket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

log = logging.getLogger("flask_chatbot")

T = TypeVar("T")
MAX_TOAST_CHARS = 2000  # longer messages and titles are cut: a toast is a line or two
DEFAULT_DURATION = 10.0  # seconds, Gradio's


class Turn(Protocol):
    """Where notices go: the reply being generated (conversation/reply.py)."""

    def show_progress(self, progress: dict[str, Any]) -> None: ...

    def show_toast(self, toast: dict[str, Any]) -> None: ...


current_turn: ContextVar[Turn | None] = ContextVar("flask_chatbot_turn", default=None)


class ListenerNotices:
    """Where a listener's toasts go (``chatbot.like(fn)`` calling ``Info``): straight to the
    socket, a few at most; a listener has no progress to show."""

    MAX_TOASTS = 5

    def __init__(self, send: Any) -> None:
        self._send = send  # protocol frame -> bool (the session's outbox.send)
        self._shown = 0

    def show_progress(self, progress: dict[str, Any]) -> None:
        return None

    def show_toast(self, toast: dict[str, Any]) -> None:
        self._shown += 1
        if self._shown <= self.MAX_TOASTS:
            self._send({"type": "toast", **toast})


class Progress:
    """A progress bar with a description, shown while fn runs (``gr.Progress``)::

        def respond(message, history, progress=Progress()):
            progress(0, desc="Reading the documents")
            for doc in progress.tqdm(documents, desc="Reading"):
                ...
            return answer

    Used as a parameter's default as in Gradio, or created anywhere inside fn. The bar shows
    with ``show_progress="full"``; "minimal" shows its description and percentage as text.
    """

    def __init__(self, track_tqdm: bool = False) -> None:
        if track_tqdm:
            # Gradio patches the tqdm package to follow every bar fn opens; this does not.
            log.warning(
                "Progress(track_tqdm=True): only progress() and progress.tqdm() calls show; tqdm bars are not followed"
            )
        self.track_tqdm = track_tqdm

    def __call__(
        self,
        progress: float | tuple[int, int | None] | None,
        desc: str | None = None,
        total: int | None = None,
        unit: str = "steps",
    ) -> float | tuple[int, int | None] | None:
        """Show ``progress``: a fraction from 0 to 1, ``(steps done, steps in all or None)``, or
        None for work of unknown length; ``desc`` says what is being done. Returns ``progress``."""
        state: dict[str, Any] = {"unit": str(unit)[:40]}
        if isinstance(progress, tuple) and len(progress) == 2:
            index, length = progress
            state.update(_steps(index, length))
        elif isinstance(progress, (int, float)) and not isinstance(progress, bool):
            if total is not None:
                state.update(_steps(progress, total))
            else:
                state["value"] = min(max(float(progress), 0.0), 1.0)
        elif progress is not None:
            raise TypeError(f"progress() takes a fraction, (done, total) or None, not {progress!r}")
        if desc is not None:
            state["desc"] = str(desc)[:MAX_TOAST_CHARS]
        turn = current_turn.get()
        if turn is None:
            log.debug("progress() outside fn: nothing to show")
        else:
            turn.show_progress(state)
        return progress

    def tqdm(
        self, iterable: Iterable[T], desc: str | None = None, total: int | None = None, unit: str = "steps"
    ) -> Iterator[T]:
        """Each item of ``iterable``, the bar moving a step per item (``total`` when it has no len())."""
        if total is None:
            try:
                total = len(iterable)  # type: ignore[arg-type]  # any iterable: TypeError without len()
            except TypeError:
                total = None
        self((0, total), desc=desc, unit=unit)
        done = 0
        for item in iterable:
            yield item
            done += 1
            self((done, total), desc=desc, unit=unit)


def _steps(index: Any, length: Any) -> dict[str, Any]:
    if (
        not isinstance(index, (int, float))
        or isinstance(index, bool)
        or (length is not None and not isinstance(length, (int, float)))
    ):
        raise TypeError(f"progress() steps are numbers, not ({index!r}, {length!r})")
    state: dict[str, Any] = {"index": int(index)}
    if length:
        state["length"] = int(length)
        state["value"] = min(max(index / length, 0.0), 1.0)
    return state


def _toast(level: str, message: str, duration: float | None, visible: bool, title: str) -> None:
    if not visible:
        return
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0):
        raise ValueError(f"{level.title()}(): duration is a number of seconds or None (until closed), not {duration!r}")
    turn = current_turn.get()
    if turn is None:
        log.info("%s() outside fn, not shown: %s", level.title(), message)
        return
    toast: dict[str, Any] = {"level": level, "message": str(message)[:MAX_TOAST_CHARS], "duration": duration}
    if title:
        toast["title"] = str(title)[:MAX_TOAST_CHARS]
    turn.show_toast(toast)


def Info(message: str = "", duration: float | None = DEFAULT_DURATION, visible: bool = True, title: str = "") -> None:  # noqa: N802 (gr.Info's name)
    """Show ``message`` in a toast for ``duration`` seconds (None: until the reader closes it),
    from inside fn (``gr.Info``)."""
    _toast("info", message, duration, visible, title)


def Warning(  # noqa: N802 (gr.Warning's name)
    message: str = "", duration: float | None = DEFAULT_DURATION, visible: bool = True, title: str = ""
) -> None:
    """A warning toast (``gr.Warning``): as :func:`Info`, announced at once to screen readers."""
    _toast("warning", message, duration, visible, title)


def Success(  # noqa: N802 (gr.Success's name)
    message: str = "", duration: float | None = DEFAULT_DURATION, visible: bool = True, title: str = ""
) -> None:
    """A success toast (``gr.Success``), as :func:`Info`."""
    _toast("success", message, duration, visible, title)


__all__ = ["Info", "ListenerNotices", "Progress", "Success", "Warning", "current_turn"]
