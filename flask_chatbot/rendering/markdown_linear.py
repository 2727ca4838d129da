"""Python-Markdown in time linear in the text, with a CPU deadline it checks as it goes.

Python-Markdown 3.x has steps whose cost grows with the square of the input: every
unclosed ``[`` or ``![`` scans to the end of the paragraph for its ``]`` (six link
patterns each do it), every ``[x](`` scans to the end for its ``)``, every unmatched
run of backticks for its closing run, and the inline processor rebuilds the whole
paragraph string after each match (``\\*`` or a line break 50,000 times is 50,000
copies of 100 KB). Block processors re-scan the rest of a block after each line they
take (the tables test splits every line of it, the heading test searches all of it),
and fenced code searches to the end for the fence of every opener without one.

:class:`LinearMarkdown` swaps those parts for equivalents that answer the same
questions from an index built once per string (bracket and backtick positions), or
that search only where a match can start. The HTML is the same, byte for byte, as
stock Markdown's (tests/test_rendering_bounds.py compares them on random text); only
the cost changes.

Nesting is bounded before Markdown sees the text (:func:`check_nesting`): lists and
quotes nest by recursion in Python-Markdown, and what happens near the interpreter's
limit changed between releases (3.11.3 raised ``RecursionError``, 3.11.4 stops nesting
and keeps hundreds of levels), so the limit is ours, whatever the version.

Everything else, including families nobody has found yet, is bounded by
:func:`cpu_deadline`: the block parser, the inline processor, the raw HTML parser and
the patterns of rendering/markdown_inline.py and rendering/markdown_blocks.py call :func:`check_deadline`,
which raises :class:`BudgetExceeded` once the thread has used its CPU budget.
"""

from __future__ import annotations

import re
from typing import Any

import markdown
from markdown import util
from markdown.blockprocessors import HashHeaderProcessor, SetextHeaderProcessor
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.tables import TableProcessor
from markdown.inlinepatterns import BacktickInlineProcessor
from markdown.preprocessors import HtmlBlockPreprocessor
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor

from .deadline import BudgetExceeded, check_deadline, checking_deadline, cpu_deadline
from .markdown_blocks import _FencedBlocks, _HashHeader, _HtmlBlocks, _parse_blocks, _SetextHeader, _Table
from .markdown_indexes import _Indexes
from .markdown_inline import _LINK_CLASSES, _Backtick, _LinearInline

__all__ = [
    "CHECKED_VERSIONS",
    "MAX_NESTING",
    "BudgetExceeded",
    "LinearMarkdown",
    "NestedTooDeeply",
    "check_deadline",
    "check_nesting",
    "checking_deadline",
    "cpu_deadline",
]

# -- nesting ---------------------------------------------------------------------------------------

# Levels of lists and quotes a message may open. Written text rarely nests past 6; a browser
# lays out a few dozen levels easily, and Python-Markdown recurses about a dozen frames per
# level, far from the interpreter's limit of 1,000 at this depth.
MAX_NESTING = 32

# The containers a line opens at its start: quote markers and list markers, each possibly
# followed by blanks. Every piece starts with a character no other piece starts with, so
# the match is linear; lines with no marker cost one failed character test.
_CONTAINERS = re.compile(r"^([ \t]*)((?:(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*)+)", re.MULTILINE)
_MARKER = re.compile(r">|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t])")


class NestedTooDeeply(RecursionError):
    """The text opens more than :data:`MAX_NESTING` levels of lists and quotes.

    A ``RecursionError``, so a caller that already shows over-deep text as typed handles it.
    """


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Raise :class:`NestedTooDeeply` when a line of ``text`` nests past ``limit``.

    A line's depth counts its leading indentation (four columns a level, as
    Python-Markdown nests list items) and every quote or list marker that follows. It
    counts generously (a ``- - -`` rule is three), so what Markdown nests is never
    more than this, whatever its version.
    """
    if len(text) <= limit:  # a level takes at least one character
        return
    for match in _CONTAINERS.finditer(text):
        indent = len(match.group(1).expandtabs(4)) // 4
        markers = match.group(2)
        if indent + len(markers) <= limit:  # a marker is at least one character
            continue
        if indent + len(_MARKER.findall(markers)) > limit:
            raise NestedTooDeeply(f"more than {limit} levels of lists or quotes")


# -- the extension -------------------------------------------------------------------------------


# The replacements reproduce these versions' output exactly (checked by
# tests/test_rendering_bounds.py against stock Markdown); with any other version only
# the deadline checks are added, and rendering is stock.
CHECKED_VERSIONS = ((3, 11),)


class LinearMarkdown(Extension):  # type: ignore[misc]  # Markdown ships no types
    """Swap the quadratic parts of Python-Markdown for linear ones (same HTML); add deadline checks.

    Load it after every other extension: it replaces processors under their own names
    and priorities, and only those it knows.
    """

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.parser.parseBlocks = _parse_blocks.__get__(md.parser)
        if tuple(markdown.__version_info__[:2]) not in CHECKED_VERSIONS:
            for pattern in md.inlinePatterns:
                pattern.handleMatch = checking_deadline(pattern.handleMatch)
            return
        indexes = _Indexes()
        self._replace(md.inlinePatterns, "backtick", lambda old: _Backtick(old.pattern, indexes))
        for name in ("reference", "link", "image_link", "image_reference", "short_reference", "short_image_ref"):
            self._replace(md.inlinePatterns, name, lambda old: self._indexed(old, indexes))
        self._replace(md.treeprocessors, "inline", lambda old: _LinearInline(md, indexes))
        blocks = md.parser.blockprocessors
        self._replace(blocks, "hashheader", lambda old: _HashHeader(md.parser))
        self._replace(blocks, "setextheader", lambda old: _SetextHeader(md.parser))
        self._replace(blocks, "table", lambda old: _Table(md.parser, old.config))
        self._replace(md.preprocessors, "fenced_code_block", lambda old: _FencedBlocks(md, old.config))
        self._replace(md.preprocessors, "html_block", lambda old: _HtmlBlocks(md))

    @staticmethod
    def _indexed(old: Any, indexes: _Indexes) -> Any:
        new = _LINK_CLASSES[type(old)](old.pattern, old.md)
        new.indexes = indexes
        return new

    @staticmethod
    def _replace(registry: util.Registry, name: str, make: Any) -> None:
        expected = {
            "backtick": BacktickInlineProcessor,
            "inline": InlineTreeprocessor,
            "hashheader": HashHeaderProcessor,
            "setextheader": SetextHeaderProcessor,
            "table": TableProcessor,
            "fenced_code_block": FencedBlockPreprocessor,
            "html_block": HtmlBlockPreprocessor,
        }
        if name not in registry:
            return
        old = registry[name]
        wanted = expected.get(name) or tuple(_LINK_CLASSES)
        if type(old) not in (wanted if isinstance(wanted, tuple) else (wanted,)):
            return  # someone else's processor: leave it alone
        priority = next(item.priority for item in registry._priority if item.name == name)
        registry.register(make(old), name, priority)
