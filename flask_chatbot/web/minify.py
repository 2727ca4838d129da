"""The served forms of the element's files without the sources' comments, indentation and
blank lines (the raw files keep them: they are the documentation), which makes the cold page
a third lighter on the wire. web/bundle.py runs these on each file it bundles or inlines.

:func:`strip_js` and :func:`strip_css` are line-based scanners that only drop whole lines of
comment, ``//`` comments after code (where every reading of the line agrees on where the comment
starts) and the whitespace around lines, never touch a line that starts inside a template
literal or a string, and refuse (with the file and line) what they cannot read for sure:

- a ``/`` after ``)`` or ``}`` that could start a regular expression or divide, where the two
  readings disagree about what the rest of the line is (wrap the regular expression in
  parentheses, or give it a name);
- U+2028 or U+2029 written as such (write ``\\u2028``), an unterminated string or regular
  expression; in CSS a string continued over lines or a line ending with an escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class BundleError(ValueError):
    """A module or stylesheet does not follow the convention of flask_chatbot/web/bundle.py, or
    holds what the strippers here cannot read for sure; says which and where. (Defined here,
    the lower layer, so that both raise the one class; web/bundle.py and web/assets.py re-export it.)"""


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# A comment a bundler must keep, when it is a file's first: a licence.
_LICENSE = re.compile(r"^/\*!|@license\b|@preserve\b|SPDX-License-Identifier:|\bcopyright\b", re.I)
_JS_WORD = re.compile(r"[\w$#\\\u0080-\uffff]+")
# Reserved words after which a "/" starts a regular expression (`return /x/.test(s)`); after
# any other word it divides, except after `of` (a name, or `for (x of /a/g.exec(s))`): either.
_BEFORE_EXPRESSION = frozenset(
    "await case delete do else extends in instanceof new return throw typeof void yield".split()
)


@dataclass(frozen=True)
class _JSState:
    """Where a JavaScript scanner is, at a point of a module."""

    mode: str  # "code", "template" (its text), "comment" (/* */), or the quote of a string
    nest: tuple[int, ...] = ()  # for each ${ } around: how many { are open in it
    # What a "/" in code would start: "regex", "divide", or "either" (after ")" and "}").
    slash: str = "regex"
    # Where a line's trailing `//` comment starts, in the state a line ends in (-1: none).
    comment: int = -1


def strip_js(text: str, name: str = "<module>") -> str:
    """``text`` (a JavaScript module) without its whole-line comments (``//`` lines, and
    ``/* */`` blocks that start a line and end one), ``//`` comments after code on a line
    that starts in code, blank lines, indentation and trailing whitespace. Lines that start
    inside a template literal or a string are kept as they are; the first comment of the file
    stays when it is a licence. Raises :class:`BundleError` for what the scanner cannot read
    for sure (see the module's doc).

        >>> strip_js("/** Doc. */\\nfunction f() {\\n  return `a\\n  b` // why\\n}  // end\\n")
        'function f() {\\nreturn `a\\n  b` // why\\n}\\n'
    """
    if match := re.search("[\u2028\u2029]", text):
        raise BundleError(
            f"{name}:{_line(text, match.start())}: U+2028/U+2029 written as such; write it as an escape (\\u2028)"
        )
    # As in a template literal, where JavaScript reads a CR LF or a CR as a LF; elsewhere
    # each is a line break as a LF is.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    states, comments = _js_line_states(lines, name)
    kept: list[str] = []
    in_header, license_kept = True, False  # before the first line of code
    number = 0
    while number < len(lines):
        line, start, end = lines[number], states[number], states[number + 1]
        if start.mode != "code":  # inside a template literal, a string or a comment after code
            kept.append(line)
            number += 1
            continue
        content = line.lstrip(" \t")
        last = _whole_comment_end(lines, number, len(line) - len(content))
        if last is not None:
            comment = "\n".join(lines[number : last + 1])
            if in_header and not license_kept and _LICENSE.search(comment.strip()):
                kept.append(comment.lstrip(" \t"))
                license_kept = True
            number = last + 1
            continue
        if comments[number] >= 0:  # a // comment after code: the rest of the line goes
            content = content[: comments[number] - (len(line) - len(content))]
        if end.mode == "code":
            content = content.rstrip(" \t")
        if content:
            kept.append(content)
            in_header = False
        number += 1
    return "".join(line + "\n" for line in kept)


def _whole_comment_end(lines: list[str], number: int, column: int) -> int | None:
    """The line on which the comment at ``lines[number][column:]`` ends, when that comment
    takes whole lines (nothing after it on its last line); None when there is no comment
    there, or code follows it."""
    line = lines[number]
    if line.startswith("//", column):
        return number
    if not line.startswith("/*", column):
        return None
    position = column + 2
    for last in range(number, len(lines)):
        end = lines[last].find("*/", position)
        if end >= 0:
            return last if not lines[last][end + 2 :].strip(" \t") else None
        position = 0
    return None  # unterminated: _js_line_states refused it already


def _js_line_states(lines: list[str], name: str) -> tuple[list[_JSState], list[int]]:
    """The scanner's state at the start of each line, and after the last; and for each line
    where its trailing ``//`` comment starts (-1: none, or the readings of the line disagree)."""
    state = _JSState("code")
    states = [state]
    comments: list[int] = []
    for number, line in enumerate(lines, 1):
        ends = _scan_js_line(line, state)
        if not ends:
            raise BundleError(
                f"{name}:{number}: cannot read {line.strip()!r}: an unterminated string or regular expression?"
            )
        if len({(end.mode, end.nest) for end in ends}) > 1:
            raise BundleError(
                f"{name}:{number}: cannot tell whether a '/' in {line.strip()!r} starts a regular expression "
                "or divides, and the rest of the line reads differently; put the regular expression in "
                "parentheses or in a const"
            )
        end = next(iter(ends))
        starts = {end.comment for end in ends}
        comments.append(starts.pop() if len(starts) == 1 else -1)
        slashes = {end.slash for end in ends}
        state = _JSState(end.mode, end.nest, end.slash if len(slashes) == 1 else "either")
        states.append(state)
    if state != _JSState("code", (), state.slash):
        raise BundleError(f"{name}: ends inside a template literal, string or comment")
    return states, comments


def _scan_js_line(line: str, start: _JSState) -> frozenset[_JSState]:
    """The states ``line`` may end in from ``start``: one, unless a "/" reads both as the start
    of a regular expression and as a division; none when no reading is valid."""
    memo: dict[tuple[int, _JSState], frozenset[_JSState]] = {}

    def scan(i: int, state: _JSState) -> frozenset[_JSState]:
        if (i, state) not in memo:
            memo[i, state] = scan_from(i, state)
        return memo[i, state]

    def scan_from(i: int, state: _JSState) -> frozenset[_JSState]:
        mode, nest, slash = state.mode, list(state.nest), state.slash
        after_dot = False  # a word after "." is a property name, never a reserved word
        n = len(line)
        while i < n:
            char = line[i]
            if mode == "comment":
                end = line.find("*/", i)
                if end < 0:
                    break
                mode, i = "code", end + 2
            elif mode in ("'", '"'):
                while i < n and line[i] != mode:
                    if line[i] == "\\" and i + 1 == n:
                        return frozenset({_JSState(mode, tuple(nest), slash)})  # continued on the next line
                    i += 2 if line[i] == "\\" else 1
                if i >= n:
                    return frozenset()  # unterminated: not JavaScript
                mode, slash, i = "code", "divide", i + 1
            elif mode == "template":
                while i < n and line[i] != "`" and not line.startswith("${", i):
                    i += 2 if line[i] == "\\" else 1
                if i >= n:
                    break
                if line[i] == "`":
                    mode, slash, i = "code", "divide", i + 1
                else:
                    nest.append(0)
                    mode, slash, i = "code", "regex", i + 2
            elif char in " \t":
                i += 1
            elif char in "'\"`":
                mode, i, after_dot = ("template" if char == "`" else char), i + 1, False
            elif char == "/":
                if line.startswith("//", i):
                    return frozenset({_JSState(mode, tuple(nest), slash, comment=i)})
                if line.startswith("/*", i):
                    mode, i = "comment", i + 2
                    continue
                # Both readings when unsure, each to the end of the line.
                ends: frozenset[_JSState] = frozenset()
                if slash != "divide" and (regex_end := _regex_end(line, i)) is not None:
                    ends |= scan(regex_end, _JSState("code", tuple(nest), "divide"))
                if slash != "regex":
                    ends |= scan(i + 2 if line.startswith("/=", i) else i + 1, _JSState("code", tuple(nest), "regex"))
                return ends
            elif char == "{":
                if nest:
                    nest[-1] += 1
                slash, i, after_dot = "regex", i + 1, False
            elif char == "}":
                if nest and nest[-1] == 0:  # the end of a ${ }: back in the template's text
                    nest.pop()
                    mode, i = "template", i + 1
                    continue
                if nest:
                    nest[-1] -= 1
                slash, i, after_dot = "either", i + 1, False  # a block's end, or an object's
            elif char == ")":
                slash, i, after_dot = "either", i + 1, False  # `if (a) /x/.test(s)`, or `(a) / 2`
            elif char == "]":
                slash, i, after_dot = "divide", i + 1, False
            elif line.startswith(("++", "--"), i):
                slash, i, after_dot = "divide", i + 2, False
            elif word := _JS_WORD.match(line, i):
                if after_dot:  # a property: `a.return / 2`
                    slash = "divide"
                elif word[0] in _BEFORE_EXPRESSION:
                    slash = "regex"
                else:
                    slash = "either" if word[0] == "of" else "divide"
                i, after_dot = word.end(), False
            else:  # an operator or punctuator: an expression may follow
                after_dot = char == "." and not line.startswith("..", i) and line[i - 1 : i] != "."
                slash, i = "regex", i + 1
        if mode in ("'", '"'):
            return frozenset()  # a quote at the end of the line opens a string it does not close
        return frozenset({_JSState(mode, tuple(nest), slash)})

    return scan(0, start)


def _regex_end(line: str, start: int) -> int | None:
    """Where the regular expression literal at ``line[start]`` ("/") ends, flags included;
    None when the line has no end for it."""
    i, in_class = start + 1, False
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            word = _JS_WORD.match(line, i + 1)
            return word.end() if word else i + 1
        i += 1
    return None


# What a CSS scanner stops at: a string, a comment, an escape, an unquoted url().
_CSS_SPECIAL = re.compile(r"""["'\\]|/\*|(?<![\w-])url\((?![ \t\n]*["'])""", re.I)
_CSS_URL_REST = re.compile(r"(?:[^)\\]|\\.)*\)", re.S)
# A comment beside one of these (or at the start or end of the file) goes without leaving
# anything: the tokens it separated cannot merge into one.
_CSS_SEPARATORS = frozenset({"", " ", "\t", "\n", "{", "}", ";", ",", ":"})
_CSS_ESCAPE_AT_END = re.compile(r"\\[0-9A-Fa-f]{0,6}$")


def strip_css(text: str, name: str = "<stylesheet>") -> str:
    """``text`` (a stylesheet) without its comments, blank lines, indentation and trailing
    whitespace; strings and ``url(...)`` untouched. A comment between two tokens that would
    merge without it (``1px/**/2px``) leaves ``/**/``; the first comment of the file stays
    when it is a licence. Raises :class:`BundleError` for a string that is not closed on its
    line and for a line ending with an escape (whose whitespace would go).

        >>> strip_css('/* Doc. */\\n:host {\\n  content: "/* x */";  /* why */\\n}\\n')
        ':host {\\ncontent: "/* x */";\\n}\\n'
    """
    # CSS reads CR LF, CR and FF as LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    out: list[str] = []
    last_char = ""  # of what is in out
    only_whitespace = True  # in out so far: a comment there is the file's first
    i = 0
    while match := _CSS_SPECIAL.search(text, i):
        out.append(text[i : match.start()])
        last_char = out[-1][-1:] or last_char
        only_whitespace = only_whitespace and not out[-1].strip()
        token = match[0]
        if token == "/*":
            end = text.find("*/", match.start() + 2)
            if end < 0:
                raise BundleError(f"{name}:{_line(text, match.start())}: a comment is not closed")
            comment = text[match.start() : end + 2]
            i = end + 2
            if only_whitespace and _LICENSE.search(comment):
                out.append(comment)
            elif last_char in _CSS_SEPARATORS or text[i : i + 1] in _CSS_SEPARATORS:
                continue  # last_char stays: the comment left nothing
            else:
                out.append("/**/")
        elif token in "\"'":
            end = _css_string_end(text, match.start(), name)
            out.append(text[match.start() : end])
            i = end
        elif token == "\\":
            out.append(text[match.start() : match.start() + 2])
            i = match.start() + 2
        else:  # url( without quotes: to the ")", which an escape may hide
            rest = _CSS_URL_REST.match(text, match.end())
            if not rest:
                raise BundleError(f"{name}:{_line(text, match.start())}: url( is not closed")
            out.append(text[match.start() : rest.end()])
            i = rest.end()
        last_char = out[-1][-1:]
        only_whitespace = False
    out.append(text[i:])
    lines = [line.strip(" \t") for line in "".join(out).split("\n")]
    for line in lines:
        if _CSS_ESCAPE_AT_END.search(line):
            raise BundleError(
                f"{name}: {line!r} ends with an escape, which the next line's whitespace may end; move it"
            )
    return "".join(line + "\n" for line in lines if line)


def _css_string_end(text: str, start: int, name: str) -> int:
    """Where the CSS string at ``text[start]`` (its quote) ends, past its closing quote."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        if text[i] == "\n" or text.startswith("\\\n", i):
            raise BundleError(f"{name}:{_line(text, start)}: a string is not closed on its line")
        i += 2 if text[i] == "\\" else 1
    if i >= len(text):
        raise BundleError(f"{name}:{_line(text, start)}: a string is not closed")
    return i + 1


__all__ = ["BundleError", "strip_css", "strip_js"]
