"""Markdown to safe HTML: Python-Markdown, then bleach with an explicit allowlist.

Pure functions of their input and options: no Flask globals, no I/O. Markdown and
bleach objects are costly to build (about 0.5 ms) and not thread-safe, so a render
takes a set of them from a free list and gives it back when done.

Every render has a CPU budget proportional to the text's length
(:data:`RENDER_BUDGET_FLOOR`, :data:`RENDER_BUDGET_PER_CHAR`). Markdown's known
quadratic steps are replaced by linear ones (:mod:`flask_chatbot.markdown_limits`);
the budget is the backstop for any that remain: a render that exceeds it shows the
text as typed, escaped, and logs a warning.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import bleach
import markdown
from bleach import html5lib_shim
from bleach.html5lib_shim import Filter
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension

from .markdown_limits import BudgetExceeded, LinearMarkdown, check_deadline, checking_deadline, cpu_deadline

log = logging.getLogger("flask_chatbot")

# The CPU budget of one render, in seconds of time.thread_time(): FLOOR + PER_CHAR * len(text).
# Measured (bench/render_families.py, a 2-core machine under load): ordinary replies
# (bench.text.reply) cost 1-2 µs a character, code- and table-heavy text up to 5 µs, so
# 50 µs leaves them at least 10x headroom; the densest linear pathological text (a table
# of one-letter cells, runs of emphasis, a line break per character) costs 20-45 µs.
# Anything worse stops within 50 ms a KB: 5 s for a 100,000-character message. The floor
# covers a garbage collection landing in a short render.
RENDER_BUDGET_FLOOR = 0.25
RENDER_BUDGET_PER_CHAR = 50e-6

ALLOWED_TAGS: frozenset[str] = frozenset(
    """a abbr b blockquote br caption code dd del details div dl dt em figcaption figure
    h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub
    summary sup table tbody td tfoot th thead tr u ul var""".split()
)
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")


def _code_class(tag: str, name: str, value: str) -> bool:
    return name == "class" and all(_LANGUAGE_CLASS.match(c) for c in value.split())


ALLOWED_ATTRIBUTES: dict[str, list[str] | Callable[[str, str, str], bool]] = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "code": _code_class,
    "ol": ["start"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
}


EXTRA_TAG_ATTRIBUTES = ("src", "href", "alt", "title", "width", "height", "controls", "loop", "muted", "poster")


@dataclass(frozen=True)
class RenderOptions:
    """The rendering options of :func:`chat_bp`, with Gradio's names and defaults."""

    render_markdown: bool = True
    line_breaks: bool = True
    sanitize_html: bool = True
    allow_tags: tuple[str, ...] = ()
    # Hosts an <img> may load from (exact, case-insensitive, any port; "*" for any). Other
    # absolute http(s) images become links, so that a reply cannot send data to a server
    # through an image URL without the user clicking.
    image_hosts: tuple[str, ...] = ()


class _RawHtmlAsText(Extension):
    """Treat raw HTML in Markdown as text: user messages are never interpreted as HTML."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class _ExternalLinks(Filter):  # type: ignore[misc]
    """Every link opens in a new tab and gives the opened page no handle on ours."""

    def __iter__(self) -> Iterator[dict]:
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


class _RemoteImages(Filter):  # type: ignore[misc]
    """An <img> from a host not in ``hosts`` becomes a link to it: nothing loads until a click."""

    def __init__(self, source: Any, hosts: frozenset[str]) -> None:
        super().__init__(source)
        self.hosts = hosts

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                attrs = token["data"]
                src = attrs.get((None, "src"))
                host = _remote_host(src) if src else None
                if host is not None and "*" not in self.hosts and host not in self.hosts:
                    yield {"type": "StartTag", "name": "a", "namespace": token.get("namespace"), "data": {(None, "href"): src}}
                    # Attribute values keep their entities; text is escaped again when written.
                    yield {"type": "Characters", "data": html.unescape(attrs.get((None, "alt")) or "") or "image"}
                    yield {"type": "EndTag", "name": "a", "namespace": token.get("namespace"), "data": {}}
                    continue
            yield token


class _LinearWalker(html5lib_shim.getTreeWalker("etree")):  # type: ignore[misc]
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


class Renderer:
    """Renders message text to sanitized HTML with one set of :class:`RenderOptions`.

    >>> Renderer(RenderOptions()).render("**hi** <script>x</script>", from_user=False)
    '<p><strong>hi</strong> &lt;script&gt;x&lt;/script&gt;</p>'
    """

    def __init__(self, options: RenderOptions) -> None:
        self.options = options
        self.tags = ALLOWED_TAGS | frozenset(options.allow_tags)
        self.attributes = dict(ALLOWED_ATTRIBUTES)
        for tag in options.allow_tags:  # an allowed <video> needs its src; protocols still apply
            self.attributes.setdefault(tag, list(EXTRA_TAG_ATTRIBUTES))
        self.image_hosts = frozenset(host.lower() for host in options.image_hosts)
        # Markdown and bleach objects are costly to build and hold state while they work:
        # each render takes a kit from this free list and gives it back. Not a thread-local:
        # under gevent that is per greenlet, a fresh kit for every reply. The list holds as
        # many kits as renders ever ran at once (list.pop and append are atomic).
        self._kits: list[_Kit] = []

    def render(self, text: str, *, from_user: bool) -> str:
        """The HTML for ``text``; ``from_user`` text never has raw HTML interpreted.

        Text that would cost more CPU than its budget is shown as typed (escaped).
        """
        budget = RENDER_BUDGET_FLOOR + RENDER_BUDGET_PER_CHAR * len(text)
        start = time.thread_time()
        try:
            return self._render(text, from_user, budget)
        except (BudgetExceeded, RecursionError) as exc:
            spent = time.thread_time() - start
            if isinstance(exc, BudgetExceeded):
                reason = f"exceeded its CPU budget ({spent * 1000:.0f} ms of {budget * 1000:.0f} ms)"
            else:
                reason = f"nested too deeply ({spent * 1000:.0f} ms)"
            log.warning("A %d-character message %s: shown as plain text", len(text), reason)
            return self._plain(text)

    def try_render(self, text: str, *, from_user: bool, cpu_limit: float) -> str | None:
        """The HTML for ``text`` if it takes at most ``cpu_limit`` seconds of CPU, else None.

        For a caller that must not hold the CPU for long (the gevent hub): it renders
        inline what is quick, and hands the rest to :meth:`render` elsewhere.
        """
        try:
            return self._render(text, from_user, min(cpu_limit, RENDER_BUDGET_FLOOR + RENDER_BUDGET_PER_CHAR * len(text)))
        except (BudgetExceeded, RecursionError):
            return None

    def _render(self, text: str, from_user: bool, budget: float) -> str:
        if not self.options.render_markdown:
            return self._plain(text)
        kit = self._kits.pop() if self._kits else _Kit(self)
        with cpu_deadline(budget):
            out = kit.markdown(from_user).reset().convert(text)
            if from_user or self.options.sanitize_html:
                out = kit.cleaner.clean(out)
        # Only a kit that finished goes back: one stopped halfway keeps state (open lists,
        # a half-built tree) and is dropped.
        self._kits.append(kit)
        return out

    def _plain(self, text: str) -> str:
        if not text:
            return ""
        return "<p>" + html.escape(text, quote=False).replace("\n", "<br>\n") + "</p>"

    def build_markdown(self, from_user: bool) -> markdown.Markdown:
        extensions: list[str | Extension] = [
            "fenced_code",
            TableExtension(use_align_attribute=True),  # align="", not style="": strict CSP
            "sane_lists",
        ]
        if self.options.line_breaks:
            extensions.append("nl2br")
        if from_user:
            extensions.append(_RawHtmlAsText())
        extensions.append(LinearMarkdown())  # last: it replaces processors the others registered
        return markdown.Markdown(extensions=extensions, output_format="html")

    def build_cleaner(self) -> bleach.Cleaner:
        cleaner = bleach.Cleaner(
            tags=self.tags,
            attributes=self.attributes,
            protocols=ALLOWED_PROTOCOLS,
            strip=False,  # disallowed tags show as text: nothing the model wrote vanishes
            strip_comments=True,
            filters=[functools.partial(_RemoteImages, hosts=self.image_hosts), _ExternalLinks],
        )
        cleaner.walker = _LinearWalker
        # html5lib's tree builder is quadratic in the depth of unclosed tags (each <div>
        # looks through all the open ones): it checks the deadline as it goes.
        tree = cleaner.parser.tree
        tree.elementInScope = checking_deadline(tree.elementInScope)
        tree.insertText = checking_deadline(tree.insertText)
        return cleaner


class _Kit:
    """One render's Markdown converters and bleach cleaner, each built when first needed."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._markdown: dict[bool, markdown.Markdown] = {}
        self._cleaner: bleach.Cleaner | None = None

    def markdown(self, from_user: bool) -> markdown.Markdown:
        md = self._markdown.get(from_user)
        if md is None:
            md = self._markdown[from_user] = self._renderer.build_markdown(from_user)
        return md

    @property
    def cleaner(self) -> bleach.Cleaner:
        if self._cleaner is None:
            self._cleaner = self._renderer.build_cleaner()
        return self._cleaner
