"""Markdown to safe HTML: Python-Markdown, then bleach with an explicit allowlist.

Pure functions of their input and options: no Flask globals, no I/O. Markdown and
bleach objects are costly to build (about 0.5 ms) and not thread-safe, so each
thread keeps its own and reuses them.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markdown.extensions import Extension
from markdown.extensions.tables import TableExtension

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
    image_hosts: tuple[str, ...] = ()


class _RawHtmlAsText(Extension):
    """Treat raw HTML in Markdown as text: user messages are never interpreted as HTML."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class _ExternalLinks(Filter):  # type: ignore[misc]
    """Every link opens in a new tab and gives the opened page no handle on ours."""

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token["data"])
                if (None, "href") in attrs:
                    attrs[(None, "target")] = "_blank"
                    attrs[(None, "rel")] = "noopener noreferrer"
                    token["data"] = attrs
            yield token


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
        self._local = threading.local()

    def render(self, text: str, *, from_user: bool) -> str:
        """The HTML for ``text``; ``from_user`` text never has raw HTML interpreted."""
        if not self.options.render_markdown:
            return self._plain(text)
        md = self._markdown(from_user)
        out = md.reset().convert(text)
        if from_user or self.options.sanitize_html:
            out = self._cleaner().clean(out)
        return out

    def _plain(self, text: str) -> str:
        if not text:
            return ""
        return "<p>" + html.escape(text, quote=False).replace("\n", "<br>\n") + "</p>"

    def _markdown(self, from_user: bool) -> markdown.Markdown:
        key = "md_user" if from_user else "md_bot"
        md = getattr(self._local, key, None)
        if md is None:
            extensions: list[str | Extension] = [
                "fenced_code",
                TableExtension(use_align_attribute=True),  # align="", not style="": strict CSP
                "sane_lists",
            ]
            if self.options.line_breaks:
                extensions.append("nl2br")
            if from_user:
                extensions.append(_RawHtmlAsText())
            md = markdown.Markdown(extensions=extensions, output_format="html")
            setattr(self._local, key, md)
        return md

    def _cleaner(self) -> bleach.Cleaner:
        cleaner = getattr(self._local, "cleaner", None)
        if cleaner is None:
            cleaner = bleach.Cleaner(
                tags=self.tags,
                attributes=self.attributes,
                protocols=ALLOWED_PROTOCOLS,
                strip=False,  # disallowed tags show as text: nothing the model wrote vanishes
                strip_comments=True,
                filters=[_ExternalLinks],
            )
            self._local.cleaner = cleaner
        return cleaner

