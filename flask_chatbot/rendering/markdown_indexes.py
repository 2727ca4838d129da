"""Indexes of one string (bracket, parenthesis, quote and backtick positions), built once."""

from __future__ import annotations

import re

# -- indexes of one string, built once ------------------------------------------------

_LINK_CHARS = re.compile(r"""[\[\]()"']""")
_BACKTICKS = re.compile(r"`+")


class _LinkIndex:
    """Where each ``[`` and ``(`` closes, and where parentheses and quotes are."""

    def __init__(self, data: str) -> None:
        self.bracket_close: dict[int, int] = {}
        self.paren_close: dict[int, int] = {}
        self.opens: list[int] = []  # "(" positions
        self.closes: list[int] = []  # ")" positions
        self.parens: list[int] = []  # both, in order
        self.quotes: list[int] = []  # ' and " positions
        self.by_quote: dict[str, list[int]] = {"'": [], '"': []}
        # ")" whose last non-space character before it is a quote: (")" position, quote position)
        self.quote_closes: list[tuple[int, int]] = []
        brackets: list[int] = []
        parens: list[int] = []
        for m in _LINK_CHARS.finditer(data):
            c, i = m.group(), m.start()
            if c == "[":
                brackets.append(i)
            elif c == "]":
                if brackets:
                    self.bracket_close[brackets.pop()] = i
            elif c == "(":
                parens.append(i)
                self.opens.append(i)
                self.parens.append(i)
            elif c == ")":
                if parens:
                    self.paren_close[parens.pop()] = i
                self.closes.append(i)
                self.parens.append(i)
                j = i - 1
                while j >= 0 and data[j] == " ":
                    j -= 1
                if j >= 0 and data[j] in "'\"":
                    self.quote_closes.append((i, j))
            else:
                self.quotes.append(i)
                self.by_quote[c].append(i)


class _TickIndex:
    """The maximal runs of backticks: by length, and the longest run from each one on."""

    def __init__(self, data: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.by_length: dict[int, list[int]] = {}
        for m in _BACKTICKS.finditer(data):
            self.starts.append(m.start())
            self.ends.append(m.end())
            self.by_length.setdefault(m.end() - m.start(), []).append(m.start())
        # longest[k]: (length, index) of the first longest run among runs k and after.
        self.longest: list[tuple[int, int]] = [(0, -1)] * (len(self.starts) + 1)
        for k in range(len(self.starts) - 1, -1, -1):
            length = self.ends[k] - self.starts[k]
            best = self.longest[k + 1]
            self.longest[k] = (length, k) if length >= best[0] else best


class _Indexes:
    """Per-render cache of string indexes, keyed by the string (its hash is cached by Python)."""

    def __init__(self) -> None:
        self.links: dict[str, _LinkIndex] = {}
        self.ticks: dict[str, _TickIndex] = {}

    def clear(self) -> None:
        self.links.clear()
        self.ticks.clear()

    def link(self, data: str) -> _LinkIndex:
        index = self.links.get(data)
        if index is None:
            index = self.links[data] = _LinkIndex(data)
        return index

    def tick(self, data: str) -> _TickIndex:
        index = self.ticks.get(data)
        if index is None:
            index = self.ticks[data] = _TickIndex(data)
        return index
