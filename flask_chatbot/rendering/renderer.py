"""Markdown to safe HTML: Python-Markdown, then bleach with an explicit allowlist.

Fenced code is highlighted (:mod:`flask_chatbot.rendering.code_highlight`) and LaTeX drawn as
MathML (:mod:`flask_chatbot.rendering.math`); that HTML, built here from escaped text, is
kept out of bleach and put back after it (:class:`_Fragments`). The allowlist and the
bleach machinery are :mod:`flask_chatbot.rendering.sanitize`: a tag outside the allowlist is
removed and its text kept; ``<script>``, ``<style>`` and the like go with their content.
A user's text is never HTML. ``HTML`` components are cleaned by
:mod:`flask_chatbot.rendering.html_component`, with this module's budget.

Pure functions of their input and options: no Flask globals, no I/O. Markdown and
bleach objects are costly to build (about 0.5 ms) and not thread-safe, so a render
takes a set of them from a free list and gives it back when done.

Every render has a CPU budget proportional to the text's length
(:data:`RENDER_BUDGET_FLOOR`, :data:`RENDER_BUDGET_PER_CHAR`). Markdown's known
quadratic steps are replaced by linear ones (:mod:`flask_chatbot.rendering.markdown_linear`);
the budget is the backstop for any that remain: a render that exceeds it shows the
text as typed, escaped, and logs a warning.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import bleach
import markdown
from bleach import html5lib_shim
from bleach.html5lib_shim import Filter
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import ENTITY_RE
from markdown.postprocessors import Postprocessor

from .code_highlight import HighlightedCode
from .markdown_linear import BudgetExceeded, LinearMarkdown, check_nesting, cpu_deadline
from .math import DEFAULT_LATEX_DELIMITERS, MATHML_TAGS, LatexDelimiter, MathExtension, split_math
from .sanitize import ALLOWED_ATTRIBUTES as ALLOWED_ATTRIBUTES
from .sanitize import ALLOWED_PROTOCOLS as ALLOWED_PROTOCOLS
from .sanitize import ALLOWED_TAGS as ALLOWED_TAGS
from .sanitize import EXTRA_TAG_ATTRIBUTES as EXTRA_TAG_ATTRIBUTES
from .sanitize import HIDDEN_ELEMENTS as HIDDEN_ELEMENTS
from .sanitize import ExternalLinks, LinearWalker, QuietMedia, RemoteImages, check_deadline_while_parsing, new_cleaner
from .sanitize import drop_hidden_elements as _drop_hidden_elements  # the name tests import

log = logging.getLogger("flask_chatbot")

# The CPU budget of one render, in seconds of time.thread_time(): FLOOR + PER_CHAR * len(text).
# Measured (bench/render_families.py, a 2-core machine under load): ordinary replies
# (bench.text.reply) cost 1-3 µs a character (up to 6 µs on a loaded CI machine, with code
# highlighted), so 80 µs leaves them at least 10x headroom; the densest linear
# pathological text (table separators between headings, a table of one-letter cells, a
# line break per character) costs 20-65 µs: at 50 µs the densest of them was cut off on a
# slow machine though it is linear. Anything worse stops within 80 ms a KB. The floor covers a
# garbage collection landing in a short render. No render may cost more than MAX, whatever its
# length: an honest 100,000-character reply costs 0.1-0.6 s, while the densest pathological text
# of that length would hold a core for several seconds for a reader who may already be gone.
RENDER_BUDGET_FLOOR = 0.25
RENDER_BUDGET_PER_CHAR = 80e-6
RENDER_BUDGET_MAX = 1.0


def render_budget(text: str) -> float:
    """Seconds of CPU a render of ``text`` may take before it is shown as typed."""
    return min(RENDER_BUDGET_MAX, RENDER_BUDGET_FLOOR + RENDER_BUDGET_PER_CHAR * len(text))


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
    # Gradio's latex_delimiters (math_render.parse_latex_delimiters reads its list of dicts); () disables math.
    latex_delimiters: tuple[LatexDelimiter, ...] = DEFAULT_LATEX_DELIMITERS


class _RawHtmlAsText(Extension):  # type: ignore[misc]  # Markdown ships no types
    """Treat raw HTML in Markdown as text: user messages are never interpreted as HTML.

    An entity the user typed (``&amp;``) shows as typed too: Markdown stashes entities
    as raw HTML, and :class:`_TypedEntities` escapes their ``&`` before they are put back.
    """

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.postprocessors.register(_TypedEntities(md), "typed_entities", 35)  # before raw_html (30)


_ENTITY = re.compile(ENTITY_RE)


class _TypedEntities(Postprocessor):  # type: ignore[misc]  # Markdown ships no types
    def run(self, text: str) -> str:
        blocks = self.md.htmlStash.rawHtmlBlocks
        for i, block in enumerate(blocks):
            if isinstance(block, str) and _ENTITY.fullmatch(block):
                blocks[i] = "&amp;" + block[1:]
        return text


class _Fragments:
    """HTML built here from escaped text and fixed tags (highlighted code, MathML), kept
    out of the sanitizer: Markdown and bleach see a marker, the HTML is put back after.

    Parsing it again would cost as much as the rest of a code- or math-heavy render. A
    marker is put back only where it is text: :class:`_NoMarkersInAttributes` removes
    the marker characters from attribute values first. The nonce, new for each render,
    keeps markers a message types from matching.
    """

    _MARKER = re.compile("\ue000([0-9a-f]{12})([0-9]+)\ue001")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.nonce = secrets.token_hex(6)

    def reset(self) -> None:
        self.items.clear()
        self.nonce = secrets.token_hex(6)

    def store(self, fragment: str) -> str:
        self.items.append(fragment)
        return f"\ue000{self.nonce}{len(self.items) - 1}\ue001"

    def restore(self, text: str) -> str:
        if not self.items:
            return text

        def fragment(m: re.Match[str]) -> str:
            i = int(m.group(2))
            return self.items[i] if m.group(1) == self.nonce and i < len(self.items) else m.group()

        return self._MARKER.sub(fragment, text)


_ANY_MARKER = re.compile("\ue000[0-9a-f]*[0-9]*\ue001?")


class _NoMarkersInAttributes(Filter):  # type: ignore[misc]  # bleach ships no types
    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            data = token.get("data")
            if token["type"] in ("StartTag", "EmptyTag") and data and any("\ue000" in v for v in data.values()):
                token["data"] = {k: _ANY_MARKER.sub("", v) for k, v in data.items()}
            yield token


class Renderer:
    """Renders message text to sanitized HTML with one set of :class:`RenderOptions`.

    >>> Renderer(RenderOptions()).render("**hi** <blink>there</blink><script>x</script>", from_user=False)
    '<p><strong>hi</strong> there</p>'
    """

    def __init__(self, options: RenderOptions) -> None:
        self.options = options
        self.tags = ALLOWED_TAGS | MATHML_TAGS | frozenset(options.allow_tags)
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
        budget = render_budget(text)
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
            return self._render(text, from_user, min(cpu_limit, render_budget(text)))
        except (BudgetExceeded, RecursionError):
            return None

    def _render(self, text: str, from_user: bool, budget: float) -> str:
        if not self.options.render_markdown:
            with cpu_deadline(budget):
                return self._plain(text, math=True)
        check_nesting(text)  # before Markdown: how it nests near its limit is not ours to rely on
        kit = self._kits.pop() if self._kits else _Kit(self)
        kit.fragments.reset()
        # Built before the budget starts: a new kit (a render beside another) costs ~10 ms
        # of set-up, which is no part of the text's cost and must not push a quick render
        # off the gevent hub, behind the slow one it runs beside.
        md = kit.markdown(from_user)
        sanitize = from_user or self.options.sanitize_html
        finish = kit.cleaner if sanitize else kit.relinker
        with cpu_deadline(budget):
            out = md.reset().convert(text)
            # finish is the relinker exactly when not sanitize; isinstance tells the type checker which.
            out = finish.render(out) if isinstance(finish, _Relinker) else finish.clean(_drop_hidden_elements(out))
            out = kit.fragments.restore(out)
        # Only a kit that finished goes back: one stopped halfway keeps state (open lists,
        # a half-built tree) and is dropped.
        self._kits.append(kit)
        return out

    def as_typed(self, text: str) -> str:
        """``text`` shown as typed (escaped, its line breaks kept): what a render over its budget shows."""
        return self._plain(text)

    def _plain(self, text: str, math: bool = False) -> str:
        """``text`` as typed; with ``math``, its formulas as MathML (Gradio draws math
        even with render_markdown=False)."""
        if not text:
            return ""
        parts = split_math(text, self.options.latex_delimiters, markdown=False) if math else [(text, False)]
        body = "".join(piece if is_html else html.escape(piece, quote=False) for piece, is_html in parts)
        return "<p>" + body.replace("\n", "<br>\n") + "</p>"

    def build_markdown(self, from_user: bool, store: Callable[[str], str] | None = None) -> markdown.Markdown:
        """The converter; ``store`` keeps generated HTML out of the sanitizer (_Fragments)."""
        extensions: list[str | Extension] = [
            "fenced_code",
            TableExtension(use_align_attribute=True),  # align="", not style="": strict CSP
            "sane_lists",
        ]
        if self.options.line_breaks:
            extensions.append("nl2br")
        if from_user:
            extensions.append(_RawHtmlAsText())
        extensions.append(LinearMarkdown())  # it replaces processors the others registered
        extensions.append(HighlightedCode(store))  # after LinearMarkdown: replaces the fenced code it set
        if self.options.latex_delimiters:
            extensions.append(MathExtension(self.options.latex_delimiters, store))
        return markdown.Markdown(extensions=extensions, output_format="html")

    def build_cleaner(self) -> bleach.Cleaner:
        return new_cleaner(
            self.tags,
            self.attributes,
            filters=[
                functools.partial(RemoteImages, hosts=self.image_hosts),
                functools.partial(QuietMedia, hosts=self.image_hosts),
                ExternalLinks,
                _NoMarkersInAttributes,
            ],
        )


class _Relinker:
    """HTML parsed and written back with only ExternalLinks applied (sanitize_html=False)."""

    def __init__(self) -> None:
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=None, strip=False, consume_entities=True, namespaceHTMLElements=False
        )
        check_deadline_while_parsing(self.parser)
        self.serializer = html5lib_shim.BleachHTMLSerializer(
            quote_attr_values="always",
            omit_optional_tags=False,
            escape_lt_in_attrs=True,
            resolve_entities=False,
            sanitize=False,
            alphabetical_attributes=False,
        )

    def render(self, text: str) -> str:
        walker = LinearWalker(self.parser.parseFragment(text))
        html_text: str = self.serializer.render(_NoMarkersInAttributes(ExternalLinks(walker)))
        return html_text


class _Kit:
    """One render's Markdown converters and bleach cleaner, each built when first needed."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._markdown: dict[bool, markdown.Markdown] = {}
        self._cleaner: bleach.Cleaner | None = None
        self._relinker: _Relinker | None = None
        self.fragments = _Fragments()

    def markdown(self, from_user: bool) -> markdown.Markdown:
        md = self._markdown.get(from_user)
        if md is None:
            md = self._markdown[from_user] = self._renderer.build_markdown(from_user, self.fragments.store)
        return md

    @property
    def cleaner(self) -> bleach.Cleaner:
        if self._cleaner is None:
            self._cleaner = self._renderer.build_cleaner()
        return self._cleaner

    @property
    def relinker(self) -> _Relinker:
        if self._relinker is None:
            self._relinker = _Relinker()
        return self._relinker
