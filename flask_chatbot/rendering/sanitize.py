"""The HTML allowlist and the bleach machinery that enforces it, in time linear in the HTML.

What a reply may keep (:data:`ALLOWED_TAGS`, :data:`ALLOWED_ATTRIBUTES`,
:data:`ALLOWED_PROTOCOLS`), the filters that make what is kept safe to show (links open
in a new tab, images from other hosts become links, media load nothing until played),
and :func:`new_cleaner`, a bleach cleaner with html5lib's quadratic steps replaced or
watched by the render deadline (:mod:`flask_chatbot.rendering.markdown_linear`). Used by
:mod:`flask_chatbot.rendering.renderer` for messages and :mod:`flask_chatbot.rendering.html_component`
for ``HTML`` components.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import bleach
from bleach import html5lib_shim
from bleach.html5lib_shim import Filter

from .code_highlight import CLASS_NAMES, LANGUAGE
from .markdown_linear import check_deadline, checking_deadline
from .math import MATHML_TAGS, mathml_attribute_allowed

# HTML a reply may use: tags outside it are removed and their text kept. MathML
# (math_render.MATHML_TAGS) is allowed besides, with its own attribute check.
ALLOWED_TAGS: frozenset[str] = frozenset(
    """a abbr audio b blockquote br caption center code dd del details div dl dt em figcaption figure
    h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small source span strong sub
    summary sup table tbody td tfoot th thead tr u ul var video""".split()
)
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")
# Elements whose content a browser never shows as text: with their closing tag, removed whole.
HIDDEN_ELEMENTS = ("script", "style", "template", "title", "noscript", "iframe", "noembed", "noframes")


def _code_class(tag: str, name: str, value: str) -> bool:
    return name == "class" and all(_LANGUAGE_CLASS.match(c) for c in value.split())


def _span_attribute(tag: str, name: str, value: str) -> bool:
    return name == "class" and (value in CLASS_NAMES or value == "code-language")  # Pygments tokens


def _div_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return value in ("code-block", "code-header")
    return name == "data-language" and (value == "" or bool(LANGUAGE.match(value)))


ALLOWED_ATTRIBUTES: dict[str, list[str] | Callable[[str, str, str], bool]] = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "code": _code_class,
    "span": _span_attribute,
    "div": _div_attribute,
    "details": ["open"],
    "ol": ["start"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
    # URLs are limited to ALLOWED_PROTOCOLS (or relative); QuietMedia adds preload="none".
    "audio": ["src", "controls", "loop", "muted"],
    "video": ["src", "controls", "loop", "muted", "poster", "width", "height", "playsinline"],
    "source": ["src", "type"],
    **{tag: mathml_attribute_allowed for tag in MATHML_TAGS},
}


EXTRA_TAG_ATTRIBUTES = ("src", "href", "alt", "title", "width", "height", "controls", "loop", "muted", "poster")


class ExternalLinks(Filter):  # type: ignore[misc]  # bleach ships no types
    """Every link opens in a new tab and gives the opened page no handle on ours."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for count, token in enumerate(super().__iter__()):
            if count % 64 == 0:
                check_deadline()
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token["data"])
                if (None, "href") in attrs:
                    attrs[(None, "target")] = "_blank"
                    attrs[(None, "rel")] = "noopener noreferrer"
                    token["data"] = attrs
            yield token


# Browsers strip these from the ends of a URL, drop tabs and newlines inside it, and read
# a backslash as "/" in http(s) URLs: "/\evil.example/x.png" loads from evil.example.
_URL_ENDS = "".join(chr(c) for c in range(0x21))
_URL_DROPPED = re.compile(r"[\t\n\r]")


def _remote_host(src: str) -> str | None:
    """The host ``src`` loads from if it is an absolute http(s) (or scheme-relative) URL, else None."""
    url = _URL_DROPPED.sub("", html.unescape(src).strip(_URL_ENDS)).replace("\\", "/")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed host ("http://[x"): not an allowed one
        return ""
    if parts.scheme in ("http", "https") or (not parts.scheme and url.startswith("//")):
        return host
    return None


class RemoteImages(Filter):  # type: ignore[misc]  # bleach ships no types
    """An <img> from a host not in ``hosts`` becomes a link to it: nothing loads until a click."""

    def __init__(self, source: Any, hosts: frozenset[str]) -> None:
        super().__init__(source)
        self.hosts = hosts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                attrs = token["data"]
                src = attrs.get((None, "src"))
                host = _remote_host(src) if src else None
                if host is not None and "*" not in self.hosts and host not in self.hosts:
                    yield {
                        "type": "StartTag",
                        "name": "a",
                        "namespace": token.get("namespace"),
                        "data": {(None, "href"): src},
                    }
                    # Attribute values keep their entities; text is escaped again when written.
                    yield {"type": "Characters", "data": html.unescape(attrs.get((None, "alt")) or "") or "image"}
                    yield {"type": "EndTag", "name": "a", "namespace": token.get("namespace"), "data": {}}
                    continue
            yield token


class QuietMedia(Filter):  # type: ignore[misc]  # bleach ships no types
    """Audio and video load nothing until the reader presses play (preload="none"), and only
    from the image hosts, as images: a reply cannot make the page reach another host. A player's
    or a ``<source>``'s URL of another host becomes a link after the player; a poster goes."""

    def __init__(self, source: Any, hosts: frozenset[str]) -> None:
        super().__init__(source)
        self.hosts = hosts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        outside: list[str] = []  # the URLs of the player being read that may not load: links after it
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if kind in ("StartTag", "EmptyTag") and name in ("audio", "video", "source"):
                attrs = dict(token["data"])
                if name != "source":
                    attrs[(None, "preload")] = "none"
                for attr in ("src", "poster"):
                    value = attrs.get((None, attr))
                    host = _remote_host(value) if value else None
                    if value and host is not None and "*" not in self.hosts and host not in self.hosts:
                        del attrs[(None, attr)]
                        if attr == "src":
                            outside.append(value)
                if name == "source" and (None, "src") not in attrs:
                    continue  # nothing left to load
                token["data"] = attrs
            yield token
            if (
                outside
                and (kind == "EndTag" or (kind == "EmptyTag" and name != "source"))
                and name in ("audio", "video")
            ):
                for url in outside:
                    yield {
                        "type": "StartTag",
                        "name": "a",
                        "namespace": token.get("namespace"),
                        "data": {(None, "href"): url},
                    }
                    yield {"type": "Characters", "data": html.unescape(url)}
                    yield {"type": "EndTag", "name": "a", "namespace": token.get("namespace"), "data": {}}
                outside = []


_HIDDEN_OPEN = re.compile(r"<(%s)(?=[\s/>])[^<>]*>" % "|".join(HIDDEN_ELEMENTS), re.IGNORECASE)
_HIDDEN_CLOSE = {name: re.compile(r"</%s(?=[\s/>])[^<>]*>" % name, re.IGNORECASE) for name in HIDDEN_ELEMENTS}


def drop_hidden_elements(html_text: str) -> str:
    """``html_text`` without its <script>, <style>, ... elements and their content.

    Only elements with a closing tag: an unclosed ``<style>`` in prose is an ordinary
    disallowed tag (removed, the text after it kept), where a browser would hide the rest
    of the message. Each closing tag is searched for once ([^<>] stops every scan at the
    next tag): linear.

    >>> drop_hidden_elements("a<script>x()</script>b<style>")
    'ab<style>'
    """
    parts: list[str] = []
    last = pos = 0
    closes: dict[str, tuple[int, re.Match[str] | None]] = {}  # name: (searched from, found)
    while (m := _HIDDEN_OPEN.search(html_text, pos)) is not None:
        check_deadline()
        name = m.group(1).lower()
        searched, close = closes.get(name, (-1, None))
        if searched < 0 or searched > m.end() or (close is not None and close.start() < m.end()):
            close = _HIDDEN_CLOSE[name].search(html_text, m.end())
            closes[name] = (m.end(), close)
        if close is None:
            pos = m.end()
            continue
        parts.append(html_text[last : m.start()])
        last = pos = close.end()
    if not parts:
        return html_text
    parts.append(html_text[last:])
    return "".join(parts)


class LinearWalker(html5lib_shim.getTreeWalker("etree")):  # type: ignore[misc]  # bleach ships no types
    """html5lib's etree walker, without its cost quadratic in the number of siblings.

    Going back up to a parent, html5lib finds the parent's position among its own
    siblings with ``list(grandparent).index(parent)``: 10,000 empty fenced code blocks
    in a row cost 10,000 scans of 10,000. Positions are computed once per grandparent.
    """

    def __init__(self, tree: Any) -> None:
        super().__init__(tree)
        self._positions: dict[int, dict[int, int]] = {}

    def getParentNode(self, node: Any) -> Any:  # noqa: N802 (html5lib's API)
        if not isinstance(node, tuple) or node[3] == "text":
            return super().getParentNode(node)
        element, key, parents, flag = node
        parent = parents.pop()
        if not parents:
            return parent
        grandparent = parents[-1]
        positions = self._positions.get(id(grandparent))
        if positions is None:
            positions = self._positions[id(grandparent)] = {id(child): i for i, child in enumerate(grandparent)}
        return parent, positions[id(parent)], parents, None


def check_deadline_while_parsing(parser: Any) -> None:
    """Make ``parser``'s tree builder check the render deadline as it goes.

    html5lib's tree builder is quadratic in the depth of unclosed tags (each <div>
    looks through all the open ones): bounded by the deadline instead.
    """
    tree = parser.tree
    tree.elementInScope = checking_deadline(tree.elementInScope)
    tree.insertText = checking_deadline(tree.insertText)


def new_cleaner(
    tags: frozenset[str],
    attributes: Mapping[str, list[str] | Callable[[str, str, str], bool]],
    filters: list[Callable[[Any], Any]],
    css_sanitizer: Any = None,
) -> bleach.Cleaner:
    """A bleach cleaner for ``tags`` and ``attributes``, URLs limited to ALLOWED_PROTOCOLS,
    that works in linear time (or stops at the render deadline).

    Costly to build (about 0.5 ms) and not thread-safe: callers keep a free list of them.
    """
    cleaner = bleach.Cleaner(
        tags=tags,
        attributes=attributes,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,  # a disallowed tag goes, its text stays (as a browser would show it)
        strip_comments=True,
        filters=filters,
        css_sanitizer=css_sanitizer,
    )
    cleaner.walker = LinearWalker
    check_deadline_while_parsing(cleaner.parser)
    return cleaner
