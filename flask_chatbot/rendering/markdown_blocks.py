"""The linear block parts: the block parser loop, block processors that do not re-scan the
rest of a block, and preprocessors (fenced code, raw HTML blocks) that check the deadline."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree  # noqa: N813 (Python-Markdown's name for it)
from typing import Any

from markdown import blockparser
from markdown.blockprocessors import HashHeaderProcessor, SetextHeaderProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.tables import TableProcessor
from markdown.htmlparser import HTMLExtractor
from markdown.preprocessors import HtmlBlockPreprocessor

from .deadline import check_deadline

# -- block processors ----------------------------------------------------------------------


def _parse_blocks(self: blockparser.BlockParser, parent: etree.Element, blocks: list[str]) -> None:
    """``BlockParser.parseBlocks``, checking the deadline once per block step."""
    while blocks:
        check_deadline()
        for processor in self.blockprocessors:
            if processor.test(parent, blocks[0]):
                if processor.run(parent, blocks) is not False:
                    break


class _SuffixMemo:
    """What a scan found in a few recent blocks, reusable for any block that ends one.

    Block processors take a block a line or a few at a time and put the rest back, so
    the same text is scanned again and again (with short blocks parsed in between).
    A fact about "the first X from here on" in a block holds for every suffix of it.
    """

    SIZE = 4

    def __init__(self) -> None:
        self.entries: list[tuple[str, int]] = []  # (block, distance from its end of what was found)

    def get(self, block: str) -> int | None:
        """The distance remembered with a block that ``block`` ends, if any."""
        for k, (cached, distance) in enumerate(self.entries):
            if len(cached) >= len(block) and cached.endswith(block):
                self.entries.insert(0, self.entries.pop(k))
                return distance
        return None

    def put(self, block: str, distance: int) -> None:
        self.entries.insert(0, (block, distance))
        del self.entries[self.SIZE :]


class _LineStartSearch:
    """``regex.search(block)`` for a pattern that can only match at the start of the
    block or at a newline followed by ``prefix``: tries just those places.

    Where the first candidate of a block is, is remembered for the rest of it.
    """

    def __init__(self, regex: re.Pattern[str], prefix: str) -> None:
        self.regex = regex
        self.prefix = prefix
        self.newline_prefix = "\n" + prefix
        self._first = _SuffixMemo()  # distance of the first candidate from the block's end, or -1

    def search(self, block: str) -> re.Match[str] | None:
        if block.startswith(self.prefix):
            m = self.regex.match(block, 0)
            if m:
                return m
        i = self._first_candidate(block)
        while i >= 0:
            m = self.regex.match(block, i)
            if m:
                return m
            i = block.find(self.newline_prefix, i + 1)
        return None

    def _first_candidate(self, block: str) -> int:
        distance = self._first.get(block)
        if distance is not None:
            if distance < 0:
                return -1
            if len(block) - distance >= 0:  # found at or after where this block starts
                return len(block) - distance
        i = block.find(self.newline_prefix)
        self._first.put(block, len(block) - i if i >= 0 else -1)
        return i


class _HashHeader(HashHeaderProcessor):  # type: ignore[misc]  # Markdown ships no types
    """``# Heading``: looked for only at lines that start with ``#``."""

    def __init__(self, parser: blockparser.BlockParser) -> None:
        super().__init__(parser)
        self.RE = _LineStartSearch(HashHeaderProcessor.RE, "#")


class _SetextHeader(SetextHeaderProcessor):  # type: ignore[misc]  # Markdown ships no types
    """Setext headings: the rest of the block is sliced off, not split into lines and joined."""

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        first = block.find("\n")
        second = block.find("\n", first + 1)
        underline = block[first + 1 : second] if second >= 0 else block[first + 1 :]
        h = etree.SubElement(parent, "h1" if underline.startswith("=") else "h2")
        h.text = block[:first].strip()
        if second >= 0:
            blocks.insert(0, block[second + 1 :])


class _Table(TableProcessor):  # type: ignore[misc]  # Markdown ships no types
    """The tables test on the first two lines of the block, not on every line of it.

    For a one-column table with a border every line needs a pipe; that costly check
    runs only once the separator line is valid (the same answer: both must hold), and
    its answer is remembered for the rest of the block after a heading takes a line.
    """

    def __init__(self, parser: blockparser.BlockParser, config: dict[str, Any]) -> None:
        super().__init__(parser, config)
        self._piped = _SuffixMemo()  # distance from the end of the first row without a pipe, or -1

    def test(self, parent: etree.Element, block: str) -> bool:
        first = block.find("\n")  # split("\n") would copy every line of a long block
        if first < 0:
            return False
        second = block.find("\n", first + 1)
        header0, row1 = block[:first].strip(" "), block[first + 1 : second if second >= 0 else None].strip(" ")
        self.border = 0
        if header0.startswith("|"):
            self.border |= 1
        if self.RE_END_BORDER.search(header0) is not None:
            self.border |= 2
        row0_len = len(self._split_row(header0))
        if row0_len <= 1 and not (row0_len == 1 and self.border):
            return False
        row = self._split_row(row1)
        if not (len(row) == row0_len and set("".join(row)) <= set("|:- ")):
            return False
        if row0_len == 1 and not self._every_row_piped(block, first + 1):
            return False
        self.separator = row
        return True

    def _every_row_piped(self, block: str, row1: int) -> bool:
        distance = self._piped.get(block)
        if distance is not None:
            if distance < 0:
                return True
            if len(block) - distance >= row1:  # the first row without one is in this block's rows
                return False
        i = row1
        while True:
            end = block.find("\n", i)
            end = len(block) if end < 0 else end
            row = block[i:end].strip(" ")
            if not (row.startswith("|") or self.RE_END_BORDER.search(row) is not None):
                self._piped.put(block, len(block) - i)
                return False
            if end == len(block):
                self._piped.put(block, -1)
                return True
            i = end + 1


# -- preprocessors -----------------------------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(?:~{3,}|`{3,})", re.MULTILINE)
_FENCE_CLOSE = re.compile(r"^(~{3,}|`{3,})[ ]*$", re.MULTILINE)


class _FenceSearch:
    """``FENCED_BLOCK_RE.search`` that skips openers with no closing fence after them.

    Markdown's pattern scans to the end of the text for the fence of every opener that
    has none. Closing fences are indexed once, by distance from the end of the text: the
    preprocessor rebuilds only the part before where it searches next.
    """

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.last_close: dict[str, int] | None = None  # fence: distance of its last closing line from the end

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        if self.last_close is None:
            self.last_close = {}
            for m in _FENCE_CLOSE.finditer(text):
                self.last_close[m.group(1)] = len(text) - m.start()
        while True:
            check_deadline()
            opener = _FENCE_OPEN.search(text, pos)
            if opener is None:
                return None
            distance = self.last_close.get(opener.group())
            if distance is not None and len(text) - distance > opener.start():
                found = self.regex.match(text, opener.start())
                if found:
                    return found
            pos = opener.start() + 1


class _FencedBlocks(FencedBlockPreprocessor):  # type: ignore[misc]  # Markdown ships no types
    def run(self, lines: list[str]) -> list[str]:
        self.FENCED_BLOCK_RE = _FenceSearch(FencedBlockPreprocessor.FENCED_BLOCK_RE)
        processed: list[str] = super().run(lines)
        return processed


class _CheckedExtractor(HTMLExtractor):  # type: ignore[misc]  # Markdown ships no types
    """Markdown's raw HTML block parser, checking the deadline at every step.

    Python's HTMLParser, until the fix for CPython issue gh-135462 (mid-2025), scans to
    the end of the text again for each ``<a`` that never closes. That stays quadratic
    here: the budget is what bounds it.
    """

    def updatepos(self, i: int, j: int) -> int:
        check_deadline()
        pos: int = super().updatepos(i, j)
        return pos


class _HtmlBlocks(HtmlBlockPreprocessor):  # type: ignore[misc]  # Markdown ships no types
    def run(self, lines: list[str]) -> list[str]:
        parser = _CheckedExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")
