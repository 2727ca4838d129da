"""The linear inline parts: link and backtick patterns answered from string indexes, and an
inline processor that applies each pattern to a string in one pass."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree  # noqa: N813 (Python-Markdown's name for it)
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from typing import Any

import markdown
from markdown import util
from markdown.inlinepatterns import (
    AutolinkInlineProcessor,
    AutomailInlineProcessor,
    BacktickInlineProcessor,
    EscapeInlineProcessor,
    HtmlInlineProcessor,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
    SubstituteTagInlineProcessor,
    dequote,
)
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor

from .deadline import check_deadline
from .markdown_indexes import _Indexes, _LinkIndex

# -- inline patterns ---------------------------------------------------------------------


class _IndexedLinks:
    """``getText`` and ``getLink`` of the link patterns, answered from a :class:`_LinkIndex`.

    Same results as Python-Markdown's character-by-character scans, including their
    quirks (an unclosed title can end the link at the last parenthesis or eat the last
    character of the paragraph): ``tests/test_rendering_bounds.py`` compares them.
    """

    RE_LINK: re.Pattern[str]
    RE_TITLE_CLEAN: re.Pattern[str]
    indexes: _Indexes
    unescape: Callable[[str], str]  # the Markdown pattern's, after this mixin in the MRO

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802 (Markdown's API)
        if index == 0 or data[index - 1] != "[":  # Markdown calls it just after a "["
            return super().getText(data, index)  # type: ignore[misc, no-any-return]  # a mixin: the Markdown pattern after it has it
        check_deadline()
        close = self.indexes.link(data).bracket_close.get(index - 1)
        if close is None:
            return "", len(data), False  # never closed: the caller drops the text
        return data[index:close], close + 1, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:  # noqa: N802
        m = self.RE_LINK.match(data, pos=index)
        if not m or m.group(1):  # no "(", or the "(<url> 'title')" form: one regular expression
            link: tuple[str, str | None, int, bool] = LinkInlineProcessor.getLink(self, data, index)
            return link
        check_deadline()
        ix = self.indexes.link(data)
        start = m.end()
        title: str | None = None
        q = _first_at_or_after(ix.quotes, start)
        close = ix.paren_close.get(index)
        if close is not None and (q is None or close < q):  # closes before any quote
            href, index, handled = data[start:close], close + 1, True
        elif q is None:
            return "", None, len(data), False
        else:
            href, title, index, handled = self._quoted(data, ix, start, q)
            if not handled:
                return "", None, len(data), False
        if title is not None:
            title = self.RE_TITLE_CLEAN.sub(" ", dequote(self.unescape(title.strip())))
        return self.unescape(href).strip(), title, index, handled

    @staticmethod
    def _quoted(data: str, ix: _LinkIndex, start: int, q: int) -> tuple[str, str | None, int, bool]:
        """Python-Markdown's scan from the first quote ``q`` on, in a few look-ups.

        From the quote on, parentheses no longer nest: the link closes at the first ")"
        whose last non-space character is a later occurrence of that quote, or a second
        occurrence of the other quote. Otherwise, after as many parentheses of either kind
        as were open at the quote, it falls back to the last one (if it was a ")").
        """
        first = data[q]
        other = "'" if first == '"' else '"'
        first_other = _first_at_or_after(ix.by_quote[other], q + 1)
        k = bisect_right(ix.quote_closes, (q, len(data)))
        while k < len(ix.quote_closes):
            close, r = ix.quote_closes[k]
            k += 1
            if r <= q:
                continue
            if data[r] == first:
                return data[start:q], data[q + 1 : r], close + 1, True
            if r != first_other:
                # data[r] is then the other quote, after q: first_other is at most r, not None.
                assert first_other is not None
                return data[start:first_other], data[first_other + 1 : r], close + 1, True
        # Never closed: parentheses open at the quote, counted down by any parenthesis after it.
        depth = (
            1
            + (bisect_left(ix.opens, q) - bisect_left(ix.opens, start))
            - (bisect_left(ix.closes, q) - bisect_left(ix.closes, start))
        )
        n = bisect_right(ix.parens, q) + depth - 1
        if n >= len(ix.parens):
            return "", None, len(data), False
        last = ix.parens[n] + 1 if data[ix.parens[n]] == ")" else -1
        return data[start : last - 1], None, last, True


def _first_at_or_after(positions: list[int], pos: int) -> int | None:
    k = bisect_left(positions, pos)
    return positions[k] if k < len(positions) else None


class _Link(_IndexedLinks, LinkInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


class _Image(_IndexedLinks, ImageInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


class _Reference(_IndexedLinks, ReferenceInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


class _ImageReference(_IndexedLinks, ImageReferenceInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


class _ShortReference(_IndexedLinks, ShortReferenceInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


class _ShortImageReference(_IndexedLinks, ShortImageReferenceInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    pass


_LINK_CLASSES: dict[type, type] = {
    LinkInlineProcessor: _Link,
    ImageInlineProcessor: _Image,
    ReferenceInlineProcessor: _Reference,
    ImageReferenceInlineProcessor: _ImageReference,
    ShortReferenceInlineProcessor: _ShortReference,
    ShortImageReferenceInlineProcessor: _ShortImageReference,
}


class _Backtick(BacktickInlineProcessor):  # type: ignore[misc]  # Markdown ships no types
    """Code spans: the closing run of backticks found from a :class:`_TickIndex`, not by a scan."""

    def __init__(self, pattern: str, indexes: _Indexes) -> None:
        super().__init__(pattern)
        self.indexes = indexes

    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        check_deadline()
        ix = self.indexes.ticks.get(text)
        if ix is None:
            # Usually the closing run is near: one regular expression finds it. The index
            # is built once a string has an opener without one.
            end = start
            while end < len(text) and text[end] == "`":
                end += 1
            if end > start:
                m = _run_of(end - start).search(text, end)
                if m:
                    return end, m.start()
            ix = self.indexes.tick(text)
        k = bisect_right(ix.starts, start) - 1
        if k < 0 or start >= ix.ends[k]:  # not on a backtick: the plain scan
            spans: tuple[int, int | None] = super().find_code_spans(start, text)
            return spans
        end = ix.ends[k]
        ticks = end - start
        same = ix.by_length.get(ticks, [])
        j = bisect_left(same, end)
        if j < len(same):  # the first later run of the same length closes it
            return end, same[j]
        longest, at = ix.longest[k + 1]
        if 0 < longest < ticks:  # Markdown's fallback: shorten the opener to the longest later run
            return end - (ticks - longest), ix.starts[at]
        return end + ticks, None  # sic: Markdown skips as many characters again after the run


@functools.lru_cache(maxsize=64)
def _run_of(ticks: int) -> re.Pattern[str]:
    """A run of exactly ``ticks`` backticks."""
    return re.compile(r"(?<!`)`{%d}(?!`)" % ticks)


# The lookbehind of these patterns: after a replacement Markdown sees its placeholder's
# last character there (never one of these), so the pattern without it decides.
_BARE: dict[type, tuple[str, re.Pattern[str]]] = {
    _Backtick: ("\\", re.compile(r"(?:((?:\\{2})+)(?=`+)|`)", re.DOTALL)),
    _Link: ("!", re.compile(r"\[", re.DOTALL)),
    _Reference: ("!", re.compile(r"\[", re.DOTALL)),
    _ShortReference: ("!", re.compile(r"\[", re.DOTALL)),
}
# Patterns whose matches depend only on the text from where they start (plus _BARE's
# one lookbehind character) and whose handlers never look back: all their matches in a
# string are found in one pass and the string is rebuilt once.
_ONE_PASS: tuple[type, ...] = (
    _Backtick,
    _Link,
    _Image,
    _Reference,
    _ImageReference,
    _ShortReference,
    _ShortImageReference,
    EscapeInlineProcessor,
    AutolinkInlineProcessor,
    AutomailInlineProcessor,
    SubstituteTagInlineProcessor,
    HtmlInlineProcessor,
)


class _LinearInline(InlineTreeprocessor):  # type: ignore[misc]  # Markdown ships no types
    """Markdown's inline processor, applying each pattern to a string in one pass.

    Markdown rebuilds the string after every match, so a paragraph with m matches
    costs m times its length. Here the patterns of ``_ONE_PASS`` replace all their
    matches at once; the emphasis processor (stateful, and looking back) and any
    pattern added by someone else keep Markdown's own way.
    """

    def __init__(self, md: markdown.Markdown, indexes: _Indexes) -> None:
        super().__init__(md)
        self.indexes = indexes

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self.indexes.clear()
        try:
            root: etree.Element = super().run(tree, ancestors)
            return root
        finally:
            self.indexes.clear()

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data  # type: ignore[no-any-return]  # an AtomicString, a str (Markdown ships no types)
        check_deadline()
        start = 0
        count = len(self.inlinePatterns)
        while patternIndex < count:
            pattern = self.inlinePatterns[patternIndex]
            if type(pattern) in _ONE_PASS:
                data = self._apply_all(pattern, data, patternIndex)
                patternIndex += 1  # noqa: N806 (the name in the method it overrides)
                continue
            data, matched, start = self._InlineProcessor__applyPattern(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1  # noqa: N806 (the name in the method it overrides)
        return data

    def _apply_all(self, pattern: Any, data: str, index: int) -> str:
        for exclude in pattern.ANCESTOR_EXCLUDES:
            if exclude.lower() in self.ancestors:
                return data
        regex = pattern.getCompiledRegExp()
        if regex.search(data) is None:  # most patterns, most strings
            return data
        sensitive, bare = _BARE.get(type(pattern), ("", None))
        parts: list[str] = []
        last = pos = steps = 0
        while True:
            steps += 1
            if steps % 32 == 0:  # a handful of µs of work apart
                check_deadline()
            candidates: Iterator[re.Match[str]]
            if parts and pos == last and bare is not None and data[pos - 1] in sensitive:
                first = bare.match(data, pos)
                rest = regex.finditer(data, first.end() if first else pos + 1)
                candidates = _chain(first, rest)
            else:
                candidates = regex.finditer(data, pos)
            for m in candidates:
                node, start, end = pattern.handleMatch(m, data)
                if start is not None and end is not None:
                    break
            else:
                break
            if end < 0:
                end += len(data)  # Markdown slices with it: data[end:]
            if end < start or start < last:
                # Never seen; if it happens, finish this pattern the way Markdown does.
                merged = "".join(parts) + data[last:]
                shift = len(merged) - len(data)
                return self._finish(pattern, merged, index, node, start + shift, end + shift)
            if node is None:
                pos = end
                continue
            self._process_children(node, index)
            parts.append(data[last:start])
            parts.append(self._InlineProcessor__stashNode(node, pattern.type()))
            last = pos = end
        if not parts:
            return data
        parts.append(data[last:])
        return "".join(parts)

    def _process_children(self, node: etree.Element | str, index: int) -> None:
        # As Markdown's __applyPattern does before stashing a node.
        if isinstance(node, str) or isinstance(node.text, util.AtomicString):
            return
        for child in [node, *node]:
            if child.text:
                self.ancestors.append(child.tag.lower())
                child.text = self._InlineProcessor__handleInline(child.text, index + 1)
                self.ancestors.pop()
            if child.tail:
                child.tail = self._InlineProcessor__handleInline(child.tail, index)

    def _finish(self, pattern: Any, data: str, index: int, node: Any, start: int, end: int) -> str:
        if node is None:
            pos = end
        else:
            self._process_children(node, index)
            placeholder = self._InlineProcessor__stashNode(node, pattern.type())
            data = data[:start] + placeholder + data[end:]
            pos = start + len(placeholder)
        matched = True
        while matched:
            data, matched, pos = self._InlineProcessor__applyPattern(pattern, data, index, pos)
        return data


def _chain(first: re.Match[str] | None, rest: Iterator[re.Match[str]]) -> Iterator[re.Match[str]]:
    if first is not None:
        yield first
    yield from rest
