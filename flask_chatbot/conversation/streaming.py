"""Turn cumulative yields into small patches, rendering only what changed.

A reply is shown as *frozen blocks* followed by a *tail*. Text before a confirmed
block boundary (a blank line outside fenced code, not followed by an indented or
list line; or the end of a fenced code block) is rendered once and never again.
The tail, the block still growing, is re-rendered only when Markdown syntax or a
new line arrives; plain words are sent as ``tail_text``, which the element
appends as a text node, because they render as themselves. Inside an open fence
all new text is code, so it is appended as text too. A tail that is very long
(one huge paragraph) is re-rendered only after it grew by a quarter, so the total
work for a reply stays linear in its length. The final message is rendered once
in full (:meth:`MessageStream.finish`), so what stays on screen is exact.

The patch format is documented in docs/protocol.md (``patch`` frame). :class:`StreamedMessage`
is one message of a reply as the element shows it so far: its stream, metadata and options.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Characters that can change how the open block renders; anything else renders as itself.
_SYNTAX = re.compile(r"[\n*_`~\[\]()!<>&\\|$]")
# Python-Markdown's fenced_code: a fence starts at column 0 and closes with the same fence.
_FENCE_OPEN = re.compile(
    r"""^(?P<fence>`{3,}|~{3,})[ ]*(?:\{[^\n]*\}|\.?[\w#.+-]*[ ]*(?:hl_lines=(?P<q>"|')[^\n]*(?P=q)[ ]*)?)$"""
)
_FENCE_PREFIX = re.compile(r"^(?:`{1,}|~{1,})[ ]*$")
# A line after a blank line that continues the block before it (loose list, indented text).
_INDENTED = re.compile(r"^[ \t]")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_MAYBE_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,9}[.)]?)$")
# A last line of nothing but markers ("-", "1.", "#") would flash as a heading or an empty
# list item: it waits for its first word.
_QUOTE = re.compile(r"^ {0,3}>")
# A partial line confirms a block boundary only once it holds words (not a typing cursor).
_WORDS = re.compile(r"\w\w")
_MARKERS_ONLY = re.compile(r"^[ \t]*[-=*+#>|\d.)]+[ \t]*$")
# Above this many characters the tail is re-rendered only after growing by a quarter.
BIG_TAIL = 2048


def _common_prefix_length(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


class MessageStream:
    """The streaming state of one message.

    ``update(text)`` takes the whole text so far (Gradio's cumulative yields) and
    returns the patch fields that bring the element from what it shows to
    ``text``, or ``None`` when nothing changed. Work per call is proportional to
    the new text and the open block, never to the whole message.
    """

    def __init__(self, render: Callable[[str], str]) -> None:
        self._render = render
        self.text = ""
        self._frozen = 0  # text[:_frozen] is shown as frozen blocks
        self._blocks = 0
        self._line = 0  # start of the first line not scanned yet
        self._fence: str | None = None  # the open fence, if the scan is inside one
        self._fence_body = 0  # where the open fence's code starts
        self._break: int | None = None  # a blank line ended here; waiting to see the next line
        self._list_block = False  # the open block holds a list item (a later item continues it)
        self._quote_block = False  # the open block is a quote (a later quote merges into it)
        self._confirmed = 0  # the furthest boundary known to end a block
        self._tail_src = 0  # text[_frozen:_tail_src] was rendered into the tail's HTML
        self._tail_end = 0  # text[_frozen:_tail_end] is what the tail shows
        self._tail_fence: int | None = None  # _fence_body of the fence the tail HTML is open in
        self._tail_dirty = False
        self._tail_html = ""
        self._reset_blocks = False

    def update(self, text: str) -> dict[str, Any] | None:
        if text == self.text:
            return None
        keep = len(self.text) if text.startswith(self.text) else self._rewind(text)
        patch: dict[str, Any] = {"keep": keep, "append": text[keep:]}
        self.text = text
        self._scan()
        self._freeze(patch)
        self._update_tail(patch)
        return patch

    def finish(self) -> str:
        """The HTML of the whole message, rendered once from the complete text.

        ``text`` may be set directly before it when no patch is wanted any more."""
        return self._render(self.text) if self.text else ""

    # -- changes that are not appends -------------------------------------------

    def _rewind(self, text: str) -> int:
        keep = _common_prefix_length(self.text, text)
        if keep < self._frozen or (keep == self._frozen and self._blocks):
            # A frozen block changed, or the text that confirmed the last freeze did: start over.
            self._frozen = self._blocks = self._confirmed = 0
            self._reset_blocks = True
        self._line = self._frozen  # frozen boundaries are never inside a fence
        self._fence = None
        self._break = None
        self._list_block = self._quote_block = False
        self._confirmed = min(self._confirmed, self._frozen)
        self._tail_src = self._tail_end = self._frozen
        self._tail_fence = None
        self._tail_dirty = True
        return keep

    # -- finding block boundaries ------------------------------------------------

    def _scan(self) -> None:
        text, pos = self.text, self._line
        while (nl := text.find("\n", pos)) >= 0:
            self._scan_line(text[pos:nl], nl + 1)
            pos = nl + 1
        self._line = pos
        if self._break is not None and self._fence is None and pos < len(text):
            partial = text[pos:]
            if self._continues(partial):
                self._break = None
            elif _WORDS.search(partial) and not (self._list_block and _MAYBE_LIST_ITEM.match(partial)):
                self._resolve_break(partial)

    def _scan_line(self, line: str, end: int) -> None:
        if self._fence is not None:
            if line.rstrip(" ") == self._fence:
                self._fence = None
                self._confirmed = end  # fenced code is cut out whole: safe to freeze here
                self._list_block = self._quote_block = False
            return
        if not line.strip():
            if self.text[max(self._frozen, self._confirmed) : end].strip():
                self._break = end
            return
        if self._break is not None:
            self._resolve_break(line)
        if _LIST_ITEM.match(line):
            self._list_block = True
        if _QUOTE.match(line):
            self._quote_block = True
        if m := _FENCE_OPEN.match(line):
            self._fence = m.group("fence")
            self._fence_body = end

    def _continues(self, next_line: str) -> bool:
        """Whether a line after a blank line belongs to the block before it (Python-Markdown
        merges loose list items, indented continuations and consecutive quotes)."""
        return bool(
            _INDENTED.match(next_line)
            or (self._list_block and _LIST_ITEM.match(next_line))
            or (self._quote_block and _QUOTE.match(next_line))
        )

    def _resolve_break(self, next_line: str) -> None:
        if not self._continues(next_line):
            self._confirmed = max(self._confirmed, self._break or 0)
            self._list_block = self._quote_block = False
        self._break = None

    def _freeze(self, patch: dict[str, Any]) -> None:
        if self._reset_blocks:
            patch["blocks_from"], patch["blocks"] = 0, []
            self._reset_blocks = False
        if self._confirmed <= self._frozen:
            return
        html = self._render(self.text[self._frozen : self._confirmed])
        patch.setdefault("blocks_from", self._blocks)
        patch.setdefault("blocks", []).append(html)
        self._blocks += 1
        self._frozen = self._tail_src = self._tail_end = self._confirmed
        self._tail_fence = None
        self._tail_dirty = True

    # -- the open block ----------------------------------------------------------

    def _update_tail(self, patch: dict[str, Any]) -> None:
        if self._fence is not None and self._fence_body > self._frozen:
            self._update_code_tail(patch)
            return
        text, start = self.text, self._frozen
        pending = text[self._tail_end :]
        rendered = self._tail_src > start and self._tail_fence is None
        if not self._tail_dirty and rendered and not _SYNTAX.search(pending):
            if pending:
                patch["tail_text"] = pending
                self._tail_end = len(text)
            return
        grown = len(text) - self._tail_src
        if not self._tail_dirty and rendered and len(text) - start > BIG_TAIL and grown * 4 < self._tail_src - start:
            patch["tail_text"] = pending  # approximate until the next quarter; finish() is exact
            self._tail_end = len(text)
            return
        end = self._tail_render_end()
        html = self._render(text[start:end]) if end > start else ""
        if html != self._tail_html or self._tail_dirty:
            patch["tail"] = self._tail_html = html
        self._tail_src = self._tail_end = end
        self._tail_fence = None
        self._tail_dirty = False
        rest = text[end:]
        if rest and not rest.strip() and "\n" not in rest:
            patch["tail_text"] = rest
            self._tail_end = len(text)

    def _tail_render_end(self) -> int:
        """Where to stop rendering the tail: trailing white space and a last line of
        bare markers wait for more text (rendering would strip or misread them)."""
        text, start = self.text, self._frozen
        end = start + len(text[start:].rstrip())
        line_start = max(text.rfind("\n", start, end) + 1, start)
        if _MARKERS_ONLY.match(text[line_start:end]):
            end = start + len(text[start:line_start].rstrip())
        return end

    def _update_code_tail(self, patch: dict[str, Any]) -> None:
        assert self._fence is not None  # _update_tail calls this only inside an open fence
        text, start, body = self.text, self._frozen, self._fence_body
        if self._tail_dirty or self._tail_fence != body:
            # Render what precedes the code plus an empty, closed fence: <pre><code></code></pre>.
            patch["tail"] = self._tail_html = self._render(text[start:body] + self._fence)
            self._tail_src = self._tail_end = body
            self._tail_fence = body
            self._tail_dirty = False
        limit = len(text)
        last_line = text.rfind("\n", self._tail_end) + 1 or self._tail_end
        if last_line < limit and _FENCE_PREFIX.match(text[last_line:]):
            limit = max(last_line, self._tail_end)  # maybe the closing fence: hold it back
        if limit > self._tail_end:
            patch["tail_text"] = text[self._tail_end : limit]
            self._tail_end = limit


@dataclass
class StreamedMessage:
    """One assistant message of the reply, as the element shows it so far."""

    id: str
    stream: MessageStream  # its text, when it is text
    metadata: dict[str, Any] = field(default_factory=dict)
    options: list[dict[str, str]] = field(default_factory=list)
    component: dict[str, Any] | None = None  # its wire content, when it is a file or component
    component_html: str = ""
    title_html: str = ""  # metadata.title rendered (inline Markdown: "_Thinking_")

    def content(self) -> Any:
        return self.component if self.component is not None else self.stream.text

    def extras(self) -> dict[str, Any]:
        """``metadata`` and ``options`` for a frame, each left out when empty."""
        out: dict[str, Any] = {}
        if self.metadata:
            out["metadata"] = self.metadata
        if self.title_html:
            out["title_html"] = self.title_html
        if self.options:
            out["options"] = self.options
        return out
