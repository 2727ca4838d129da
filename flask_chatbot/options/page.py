"""The standalone page's own options, with gr.ChatInterface's names: ``css``, ``css_paths``,
``js``, ``head``, ``head_paths``, ``fill_height``, ``fill_width`` and ``analytics_enabled``
(docs/options.md, "Page and conversation").

The page keeps its strict Content-Security-Policy: the developer's CSS and JavaScript are
served as files of the blueprint (``{mount}/custom.css``, ``{mount}/custom.js``), never inline,
so ``style-src 'self'`` and ``script-src 'self'`` still hold. ``head`` goes into the page as
written (it is the developer's HTML, not a reader's); an inline ``<script>``, ``<style>`` or
event handler in it, which the page's policy would block in every reader's browser, is an
OptionsError at start-up unless the policy lets it run (``content_security_policy``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OptionsError


def default_content_security_policy(image_hosts: Sequence[str] = ()) -> str:
    """The strict policy of the chat page; images, audio and video only from the page's origin
    and ``image_hosts`` (``"*"``: any https host), the one list of outside hosts a page may
    reach; images also from data: and blob: URLs (thumbnails of files being attached). Trusted
    Types are enforced, with one policy, the element's ``chat-bot`` (webcomponent/core/html.js: the
    server's sanitized HTML), so a string at any other DOM sink throws instead of running."""
    if "*" in image_hosts:
        hosts = " https:"
    else:
        hosts = "".join(f" https://{host}" for host in image_hosts)
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: blob:{hosts}; "
        f"media-src 'self'{hosts}; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
        "require-trusted-types-for 'script'; trusted-types chat-bot"
    )


#: The built-in themes (webcomponent/view/themes.css). Gradio's hub names of the same themes are
#: accepted too ("gradio/soft"); None is "default".
THEMES = ("default", "soft", "monochrome")


def theme_name(value: Any) -> str:
    """The built-in theme a ``theme`` option names, or an OptionsError listing them."""
    if value is None:
        return "default"
    name = value.removeprefix("gradio/").lower() if isinstance(value, str) else None
    if name not in THEMES:
        raise OptionsError(
            f"theme must be one of {', '.join(map(repr, THEMES))} (a Gradio Theme object or a Hub theme "
            f"other than these is not supported; restyle with css and the --chat-bot-* properties), not {value!r}"
        )
    return name


@dataclass(frozen=True)
class PageAssets:
    """What the page adds to its head: a stylesheet, a script, HTML (empty: nothing)."""

    css: str = ""
    js: str = ""
    head: str = ""


def page_assets(
    css: str | None, css_paths: Any, js: str | None, head: str | None, head_paths: Any, policy: str | None = None
) -> PageAssets:
    """The page's additions, files read now (a wrong path fails at start-up, as in Gradio's
    launch); ``css`` before ``css_paths``' files, ``head`` before ``head_paths``'. Inline code
    in the head that ``policy`` (the page's Content-Security-Policy) would block is refused."""
    for name, value in (("css", css), ("js", js), ("head", head)):
        if value is not None and not isinstance(value, str):
            raise OptionsError(
                f"{name} must be a string of {name.upper() if name != 'head' else 'HTML'}, not {value!r}"
            )
    styles = [css or "", *(_read("css_paths", p) for p in _paths("css_paths", css_paths))]
    heads = [head or "", *(_read("head_paths", p) for p in _paths("head_paths", head_paths))]
    # Gradio's js is one function, run when the page loads: (function ...)() runs it.
    script = f"({js.strip()})();\n" if js and js.strip() else ""
    assets = PageAssets(css="\n".join(s for s in styles if s), js=script, head="\n".join(h for h in heads if h))
    _check_inline_code(assets.head, policy)
    return assets


# Inline code in HTML: a <script> without src, a <style>, an on...= event handler attribute.
_INLINE = {
    "script-src": (
        re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
        re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.I),
    ),
    "style-src": (re.compile(r"<style\b", re.I),),
}


def _check_inline_code(head: str, policy: str | None) -> None:
    """OptionsError when ``head`` holds inline code that ``policy`` blocks: it would be copied
    into every page only to be refused in every reader's browser."""
    if policy is None or not head:
        return
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, _, values = part.strip().partition(" ")
        directives.setdefault(name.lower(), values.split())
    for directive, patterns in _INLINE.items():
        sources = directives.get(directive, directives.get("default-src"))
        if sources is None or "'unsafe-inline'" in sources or any(s.startswith(("'nonce-", "'sha")) for s in sources):
            continue
        found = next((m for p in patterns if (m := p.search(head))), None)
        if found is not None:
            raise OptionsError(
                f"head holds inline code ({found.group(0)[:40]!r}) that the page's Content-Security-Policy "
                f"({directive} {' '.join(sources)}) blocks in every browser: put scripts in js= or a file "
                "linked with <script src>, styles in css= or css_paths, or set content_security_policy"
            )


def _paths(name: str, value: Any) -> list[Path]:
    if value is None:
        return []
    items = [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(items, Sequence) or not all(isinstance(p, (str, os.PathLike)) for p in items):
        raise OptionsError(f"{name} must be a path or a list of paths, not {value!r}")
    return [Path(p) for p in items]


def _read(name: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptionsError(f"{name}: cannot read {str(path)!r}: {exc.strerror or exc}") from None


__all__ = ["THEMES", "PageAssets", "default_content_security_policy", "page_assets", "theme_name"]
