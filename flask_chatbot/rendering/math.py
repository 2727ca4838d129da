"""LaTeX between ``latex_delimiters`` rendered on the server to MathML (latex2mathml).

Browsers draw MathML themselves, so no KaTeX download. The math is cut out of the text
before Markdown sees it and stashed (Python-Markdown's htmlStash), so ``_`` and ``*``
inside it are never emphasis; code (fenced, indented, inline) and HTML tags are skipped,
so ``$`` in them stays as typed. Finding the math is one pass over the text with sorted
position lists: linear.

The rule for dollars, so that money is never math (Pandoc's rule):

- a closing delimiter made of ``$`` followed by a digit does not close: ``$3-$4``;
- for a single-``$`` delimiter, the opening ``$`` must be followed by a non-space and
  the closing ``$`` preceded by one: ``$3,000 and $4,000`` has no math;
- an opening delimiter takes the nearest closing one; if that one does not close, the
  opening one is text. ``\\$`` is a dollar sign. Math never spans a blank line.

latex2mathml's own output escapes nothing (``\\text{<b>}`` comes out as a tag), so
the MathML is written here from its element tree, keeping only :data:`MATHML_TAGS` and
the attributes of :func:`mathml_attribute_allowed`. LaTeX it cannot read shows as typed.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from xml.etree.ElementTree import Element

from latex2mathml.converter import convert_to_element
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .deadline import check_deadline


class LatexDelimiter(NamedTuple):
    left: str
    right: str
    display: bool


DEFAULT_LATEX_DELIMITERS: tuple[LatexDelimiter, ...] = (LatexDelimiter("$$", "$$", True),)
MAX_FORMULA_CHARS = 4000  # latex2mathml costs about 13 µs a character, unchecked: longer shows as typed
# Macro definitions can expand exponentially (20 nested \def doublings: seconds of CPU).
_MACRO_DEFINITION = re.compile(
    r"\\(?:[a-z]*def|[a-z]*newcommand|[a-z]*newenvironment|DeclareMathOperator|let)(?![a-zA-Z])"
)


def parse_latex_delimiters(value: Any) -> tuple[LatexDelimiter, ...]:
    """Gradio's ``latex_delimiters`` (a list of ``{"left", "right", "display"}`` dicts) as a tuple.

    Raises ValueError saying what is wrong."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(
            f'latex_delimiters must be a list like [{{"left": "$$", "right": "$$", "display": True}}], not {value!r}'
        )
    out = []
    for item in value:
        if isinstance(item, LatexDelimiter):
            item = item._asdict()
        if not isinstance(item, dict) or set(item) - {"left", "right", "display"} or not {"left", "right"} <= set(item):
            raise ValueError(f'each latex_delimiters entry is a dict with "left", "right" and "display", not {item!r}')
        left, right, display = item["left"], item["right"], item.get("display", False)
        for side in (left, right):
            if not isinstance(side, str) or not 1 <= len(side) <= 10 or side.strip() != side:
                raise ValueError(
                    f"latex_delimiters: {side!r} is not a delimiter (1 to 10 characters, no spaces around)"
                )
        if not isinstance(display, bool):
            raise ValueError(f'latex_delimiters: "display" is True or False, not {display!r}')
        out.append(LatexDelimiter(left, right, display))
    return tuple(out)


# -- MathML ----------------------------------------------------------------------------------

MATHML_TAGS: frozenset[str] = frozenset(
    """math semantics annotation mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mstyle
    mpadded mphantom menclose mtable mtr mtd munder mover munderover mmultiscripts mprescripts none merror""".split()
)
_COMMON = {"displaystyle", "scriptlevel", "mathvariant", "mathcolor", "mathbackground", "mathsize", "dir"}
_SPACING = {"width", "height", "depth", "lspace", "rspace", "voffset"}
_ALIGN = {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing"}
_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"display"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "mo": {
        "form",
        "fence",
        "separator",
        "stretchy",
        "symmetric",
        "largeop",
        "movablelimits",
        "accent",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
    },
    "mfrac": {"linethickness"},
    "mspace": _SPACING,
    "mpadded": _SPACING,
    "menclose": {"notation"},
    "mtable": _ALIGN | {"equalrows", "equalcolumns"},
    "mtr": {"columnalign", "rowalign"},
    "mtd": {"columnalign", "rowalign", "columnspan", "rowspan"},
    "annotation": {"encoding"},
}
# Values of these attributes are keywords, lengths, numbers and colours: no quotes,
# parentheses or colons (no url(...), no javascript:).
_SAFE_VALUE = re.compile(r"[A-Za-z0-9 .,#%+/-]{0,80}\Z")


def mathml_attribute_allowed(tag: str, name: str, value: str) -> bool:
    """Whether a MathML element may keep an attribute (for bleach, and for our own output)."""
    return (name in _COMMON or name in _ATTRIBUTES.get(tag, ())) and bool(_SAFE_VALUE.match(value))


_CHAR_REF = re.compile(r"&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));")


def _char(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"


def _text(value: str | None) -> str:
    # latex2mathml writes characters as references (&#x0003D;) in element text.
    return html.escape(_CHAR_REF.sub(_char, value), quote=False) if value else ""


def _serialize(root: Element, out: list[str]) -> None:
    stack: list[Element | str] = [root]
    while stack:  # iterative: nesting is as deep as the LaTeX's braces
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        tag = item.tag if item.tag in MATHML_TAGS else None
        if tag:
            attrs = "".join(
                f' {name}="{html.escape(value)}"'
                for name, value in item.attrib.items()
                if mathml_attribute_allowed(tag, name, value)
            )
            out.append(f"<{tag}{attrs}>")
        out.append(_text(item.text))
        stack.append(_text(item.tail))
        if tag:
            stack.append(f"</{tag}>")
        stack.extend(reversed(list(item)))


def latex_to_mathml(latex: str, display: bool) -> str | None:
    """``<math>`` for ``latex`` with its source as an annotation, or None if it is not LaTeX we can draw."""
    if len(latex) > MAX_FORMULA_CHARS or _MACRO_DEFINITION.search(latex):
        return None
    # A streaming reply renders its open paragraph again at each new line: short formulas
    # are remembered (at most 256 of 500 characters: a few MB).
    return _cached(latex, display) if len(latex) <= 500 else _convert(latex, display)


# Environments latex2mathml writes as one row, its "&" and "\\" shown as text, named as
# ones it lays out as tables.
_ENVIRONMENTS = {"aligned": "align*", "eqnarray": "align*", "eqnarray*": "align*", "dcases": "cases"}
_ENVIRONMENTS.update(dict.fromkeys(["gather", "gather*", "gathered", "multline", "multline*"], "array"))
_ENVIRONMENT = re.compile(r"\\(begin|end)\{(%s)\}" % "|".join(re.escape(name) for name in _ENVIRONMENTS))


def _environment(m: re.Match[str]) -> str:
    name = _ENVIRONMENTS[m.group(2)]
    return f"\\begin{{{name}}}{{c}}" if m.group(1) == "begin" and name == "array" else f"\\{m.group(1)}{{{name}}}"


def _convert(latex: str, display: bool) -> str | None:
    try:
        math = convert_to_element(_ENVIRONMENT.sub(_environment, latex), display="block" if display else "inline")
    except Exception:  # noqa: BLE001, latex2mathml raises its own errors, IndexError, RecursionError...
        return None
    semantics = Element("semantics")
    semantics.extend(list(math))
    annotation = Element("annotation", {"encoding": "application/x-tex"})
    annotation.text = latex.strip()
    semantics.append(annotation)
    root = Element("math", {"display": "block" if display else "inline"})
    root.append(semantics)
    out: list[str] = []
    _serialize(root, out)
    return "".join(out)


_cached = lru_cache(maxsize=256)(_convert)


# -- finding the math --------------------------------------------------------------------

_NON_SPACE = re.compile(r"\S")
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def _indented_code(text: str) -> list[tuple[int, int]]:
    """Where Markdown's indented code blocks are: blocks indented 4 spaces after a blank
    line, unless they continue a list item."""
    regions: list[tuple[int, int]] = []
    pos, start, end = 0, -1, 0
    after_blank, in_list = True, False
    for line in text.split("\n"):
        if not line.strip():
            after_blank = True
            pos += len(line) + 1
            continue
        if line.startswith("    "):
            if start >= 0 or (after_blank and not in_list):
                start, end = (pos if start < 0 else start), pos + len(line)
        else:
            if start >= 0:
                regions.append((start, end))
                start = -1
            in_list = bool(_LIST_ITEM.match(line)) or (in_list and not after_blank)
        after_blank = False
        pos += len(line) + 1
    if start >= 0:
        regions.append((start, end))
    return regions


@lru_cache(maxsize=32)
def _opener_pattern(lefts: tuple[str, ...], markdown: bool) -> re.Pattern[str]:
    alternatives = [f"(?P<d>{'|'.join(re.escape(left) for left in lefts)})", r"(?P<esc>\\[\s\S])"]
    if markdown:  # code spans and tags (math inside an attribute value would break the tag)
        alternatives += [r"(?P<tick>`+)", r"(?P<tag></?[A-Za-z!][^<>]*>)"]
    return re.compile("|".join(alternatives))


class _Positions:
    """Sorted positions of things in one text, each list built when first asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cache: dict[Any, list[int]] = {}

    def of(self, needle: str) -> list[int]:
        """Where ``needle`` starts (overlaps included), unless escaped by a backslash."""
        if (found := self._cache.get(needle)) is None:
            found = self._cache[needle] = []
            text, i = self.text, self.text.find(needle)
            while i >= 0:
                k = i
                while k > 0 and text[k - 1] == "\\":
                    k -= 1
                if (i - k) % 2 == 0:
                    found.append(i)
                i = text.find(needle, i + 1)
        return found

    def matches(self, pattern: str) -> list[int]:
        if (found := self._cache.get(("re", pattern))) is None:
            found = self._cache[("re", pattern)] = [m.start() for m in re.finditer(pattern, self.text)]
        return found

    def blank_lines(self) -> list[int]:
        return self.matches(r"\n[ \t]*\n")

    def runs(self, length: int) -> list[int]:
        return self.matches(r"(?<!`)`{%d}(?!`)" % length)


def _first(positions: list[int], at_least: int) -> int | None:
    k = bisect_left(positions, at_least)
    return positions[k] if k < len(positions) else None


def find_math(
    text: str, delimiters: Sequence[LatexDelimiter], *, markdown: bool
) -> Iterator[tuple[int, int, LatexDelimiter | None]]:
    """``(start, end, delimiter)`` of each formula in ``text`` (with its delimiters), in order,
    and ``(i, i + 1, None)`` for each backslash of an escaped ``\\$`` (to drop)."""
    by_left: dict[str, LatexDelimiter] = {}
    for d in delimiters:
        by_left.setdefault(d.left, d)
    if not by_left:
        return
    pattern = _opener_pattern(tuple(sorted(by_left, key=len, reverse=True)), markdown)
    dollars = any("$" in d.left for d in delimiters)
    at = _Positions(text)
    code: list[tuple[int, int]] = []
    code_starts: list[int] = []
    pos = steps = 0
    while (m := pattern.search(text, pos)) is not None:
        steps += 1
        if steps % 64 == 0:
            check_deadline()
        elif steps == 1 and markdown:  # most texts have nothing to look at: no need to know where code is
            code = _indented_code(text)
            code_starts = [start for start, _ in code]
        s, e = m.span()
        k = bisect_left(code_starts, s + 1) - 1
        if k >= 0 and s < code[k][1]:
            pos = code[k][1]  # in an indented code block
            continue
        kind = m.lastgroup
        if kind == "esc":
            if dollars and text[s + 1] == "$":
                yield s, s + 1, None
            pos = e
        elif kind == "tag":
            pos = e
        elif kind == "tick":
            close = _first(at.runs(e - s), e)
            blank = _first(at.blank_lines(), e)
            pos = close + e - s if close is not None and (blank is None or close < blank) else e
        else:
            d = by_left[m.group()]
            q = _first(at.of(d.right), e)
            if q is not None and _closes(text, d, e, q, at, code_starts):
                yield s, q + len(d.right), d
                pos = q + len(d.right)
            else:
                pos = s + 1


def _closes(text: str, d: LatexDelimiter, e: int, q: int, at: _Positions, code_starts: list[int]) -> bool:
    """Whether ``text[e:q]`` is a formula between ``d.left`` (ending at e) and ``d.right`` (at q)."""
    after = q + len(d.right)
    if q == e or (d.left == "$" and text[e].isspace()) or (d.right == "$" and text[q - 1].isspace()):
        return False
    if d.right.strip("$") == "" and after < len(text) and text[after].isdigit():
        return False
    # Each of these is one look-up: an opening delimiter that fails costs no scan of its text.
    for positions in (at.blank_lines(), at.of("\x02"), code_starts):  # a paragraph, stashed code, code
        found = _first(positions, e)
        if found is not None and found < q:
            return False
    return _NON_SPACE.search(text, e, q) is not None


def split_math(text: str, delimiters: Sequence[LatexDelimiter], *, markdown: bool) -> list[tuple[str, bool]]:
    """``text`` as pieces ``(text, False)`` and ``(html, True)``: each formula's MathML, or
    its source escaped if latex2mathml cannot read it."""
    parts: list[tuple[str, bool]] = []
    last = 0
    for start, end, d in find_math(text, delimiters, markdown=markdown):
        parts.append((text[last:start], False))
        if d is not None:
            mathml = latex_to_mathml(text[start + len(d.left) : end - len(d.right)], d.display)
            parts.append((mathml if mathml is not None else html.escape(text[start:end], quote=False), True))
        last = end
    parts.append((text[last:], False))
    return parts


class _MathPreprocessor(Preprocessor):  # type: ignore[misc]  # Markdown ships no types
    def __init__(self, md: Any, delimiters: tuple[LatexDelimiter, ...], store: Callable[[str], str] | None) -> None:
        super().__init__(md)
        self.delimiters = delimiters
        self.store = store or (lambda html_text: html_text)

    def run(self, lines: list[str]) -> list[str]:
        parts = split_math("\n".join(lines), self.delimiters, markdown=True)
        stash = self.md.htmlStash.store
        return "".join(stash(self.store(piece)) if is_html else piece for piece, is_html in parts).split("\n")


class MathExtension(Extension):  # type: ignore[misc]  # Markdown ships no types
    """Stash formulas after fenced code is cut out (25) and before raw HTML blocks are (20).

    ``store``: as for code_highlight.HighlightedCode."""

    def __init__(self, delimiters: tuple[LatexDelimiter, ...], store: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.delimiters = delimiters
        self.store = store

    def extendMarkdown(self, md: Any) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_MathPreprocessor(md, self.delimiters, self.store), "latex_math", 24)
