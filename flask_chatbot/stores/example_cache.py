"""``cache_examples``: the replies to the examples, computed once and kept on disk.

As gr.ChatInterface's ``cache_examples`` with ``cache_mode``: ``"eager"`` computes every reply
when the app starts, ``"lazy"`` the first time someone clicks the example. A cached example
shows its reply at once, without calling fn. The cache is a folder of JSON files under the file
store's root, so every worker process on the host shares it; one worker computes an example
while the others use it once written (a file lock, taken without waiting: a worker never blocks
on another's fn). A reply is the list of assistant messages fn gave for the example's text
in an empty conversation, with the example's values for the additional inputs; its files and
components are in the file store like any reply's.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..files.paths import CACHED_EXAMPLES

log = logging.getLogger("flask_chatbot")
CACHE_MODES = ("eager", "lazy")


def cache_mode(given: str | None) -> str:
    """``cache_mode``, or Gradio's ``GRADIO_CACHE_MODE`` when not given, or "eager"."""
    mode = given if given is not None else os.environ.get("GRADIO_CACHE_MODE", "eager")
    return mode


class ExampleCache:
    """The cached replies of one blueprint's examples, in ``folder`` (made on first write).

    ``fingerprint`` names what the replies depend on (fn, the examples, the inputs): a change
    to any of them starts a new cache rather than serve stale replies.
    """

    def __init__(self, root: Path, name: str, fingerprint: str) -> None:
        self.folder = root / CACHED_EXAMPLES / f"{name}-{fingerprint}"

    def get(self, index: int) -> list[dict[str, Any]] | None:
        """The cached reply of example ``index``, or None (not computed yet, or unreadable)."""
        try:
            data = json.loads((self.folder / f"{index}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "content" in m for m in messages):
            return None
        return messages

    def put(self, index: int, messages: Sequence[dict[str, Any]]) -> None:
        """Keep ``messages`` as example ``index``'s reply (whole or not at all: a temporary
        file renamed into place). A disk that refuses is logged; the chat goes on."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"messages": list(messages)}, out, ensure_ascii=False)
            os.replace(temporary, self.folder / f"{index}.json")
        except (OSError, TypeError, ValueError):
            log.exception("Could not cache the reply to example %d in %s", index, self.folder)

    def warm(self, count: int, compute: Callable[[int], list[dict[str, Any]]]) -> None:
        """Compute the replies not cached yet (``cache_mode="eager"``). An example another
        process is computing is left to it."""
        for index in range(count):
            if self.get(index) is not None:
                continue
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
                with open(self.folder / f".{index}.lock", "w") as lock:
                    try:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # another worker computes it
                    if self.get(index) is None:
                        self.put(index, compute(index))
            except Exception:
                log.exception("Could not cache the reply to example %d", index)


def _code_digest(fn: Callable[..., Any]) -> str:
    """fn's source file and code, as a digest (the bytecode and constants when there is no source)."""
    target = inspect.unwrap(fn)
    try:
        text = f"{inspect.getsourcefile(target)}\0{inspect.getsource(target)}"
    except (OSError, TypeError):
        code = getattr(target, "__code__", None) or getattr(getattr(target, "__call__", None), "__code__", None)  # noqa: B004 (a callable object's own code)
        text = f"{code.co_code.hex()}\0{code.co_consts!r}" if code is not None else repr(target)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def fingerprint(fn: Callable[..., Any], examples: Sequence[Any], inputs: Sequence[dict[str, Any]]) -> str:
    """What a cached reply depends on: fn (its name, where it is defined and its code: a changed
    fn does not get the old fn's answers), the examples' texts and values, the inputs."""
    described = {
        "fn": f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}",
        "code": _code_digest(fn),
        "examples": [[e.text, list(e.inputs) if e.inputs is not None else None, list(e.files)] for e in examples],
        "inputs": list(inputs),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=repr).encode()).hexdigest()[:16]
