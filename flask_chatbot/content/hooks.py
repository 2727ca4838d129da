"""What one blueprint does with files and components: its file store and rendering, bound.

The message model (content/messages.py) and the session know nothing of files; they call these
hooks. A file's URL is ``{files_base}{id}``, where ``files_base`` is the mount's
``files/`` path, known only inside a request (the socket's, or config.json's): a
session binds it once with :meth:`ContentHooks.renderer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..files.store import FileStore
from ..runtime.concurrency import offload
from .components import for_fn, from_wire, render_content, to_content


@dataclass(frozen=True)
class ContentHooks:
    store: FileStore
    allow_downloads: bool
    clean_html: Callable[[str], str]
    highlight: Callable[[str, str | None], str]
    remote_allowed: Callable[[str], bool] | None = None

    def to_content(self, value: Any) -> dict[str, Any]:
        """A file or component fn gave, as wire content (files copied into the store).

        Copying a file or drawing a figure (``Plot``: tens of ms) would hold the gevent hub
        and every socket of the worker: under gevent it runs on a native thread."""
        return offload(to_content, value, self.store)

    def from_wire(self, content: dict[str, Any]) -> dict[str, Any]:
        """Content a browser sent back, checked against the store (raises ValueError)."""
        return from_wire(content, self.store)

    def for_fn(self, content: dict[str, Any]) -> Any:
        """Content as fn sees it in its history (Gradio's FileDataDict for files)."""
        return for_fn(content, self.store)

    def renderer(self, files_base: str) -> Callable[[dict[str, Any]], str]:
        """Renders wire content to HTML with file URLs under ``files_base``."""

        def file_url(file_id: str, download: bool) -> str:
            return f"{files_base}{file_id}" + ("?download=1" if download else "")

        def render(content: dict[str, Any]) -> str:
            return render_content(
                content,
                file_url=file_url,
                clean_html=self.clean_html,
                highlight=self.highlight,
                allow_downloads=self.allow_downloads,
                remote_allowed=self.remote_allowed,
            )

        return render
