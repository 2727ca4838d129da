"""Wire content → the HTML the element shows.

Every attribute is escaped and nothing carries an inline style or script, so the markup
works under the strict CSP (options/chat_options.py). What needs the app (a stored file's URL, the HTML
sanitizer, the code highlighter, which hosts may serve images) comes in as functions, so
this module stays pure: no Flask globals, no I/O.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .sources import InvalidContent, checked_url, url_name

FileUrl = Callable[[str, bool], str]


def render_content(
    content: Mapping[str, Any],
    *,
    file_url: FileUrl,
    clean_html: Callable[[str], str],
    highlight: Callable[[str, str | None], str],
    allow_downloads: bool,
    remote_allowed: Callable[[str], bool] | None = None,
) -> str:
    """The HTML of one piece of wire content (made by :func:`to_content` or :func:`from_wire`).

    ``file_url(id, download)`` gives a stored file's URL, ``clean_html`` sanitizes an HTML
    component, ``highlight(code, language)`` renders a code block. ``remote_allowed(url)``,
    if given, says whether an http(s) image or player may load from its host; one that may
    not becomes a link. Every attribute is escaped; no inline style or script.
    """
    kind = content.get("component")
    ctx = _Context(file_url, clean_html, highlight, allow_downloads, remote_allowed)
    render = _RENDERERS.get(kind) if isinstance(kind, str) else None
    if render is None:
        raise InvalidContent(f"unknown component {kind!r}")
    return render(content, ctx)


@dataclass(frozen=True)
class _Context:
    file_url: FileUrl
    clean_html: Callable[[str], str]
    highlight: Callable[[str, str | None], str]
    allow_downloads: bool
    remote_allowed: Callable[[str], bool] | None


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _name(content: Mapping[str, Any]) -> str:
    return content["file"]["name"] if "file" in content else url_name(content["url"])


def _src(content: Mapping[str, Any], ctx: _Context) -> str | None:
    """The URL to load the content from, or None if it must stay a link (a host not allowed:
    images and players alike, so a message never makes the page reach a host nobody listed)."""
    if "file" in content:
        return ctx.file_url(content["file"]["id"], False)
    url = checked_url(content.get("url"))
    if url is None:
        raise InvalidContent("a url must be an absolute http(s) URL")
    if ctx.remote_allowed is not None and not ctx.remote_allowed(url):
        return None
    return url


def _download_link(
    content: Mapping[str, Any], ctx: _Context, text: str = "Download", cls: str = "media-download"
) -> str:
    if not ctx.allow_downloads:
        return ""
    if "file" in content:
        href = ctx.file_url(content["file"]["id"], True)
        extra = " download"
    else:
        href = checked_url(content["url"]) or ""
        extra = ' download target="_blank" rel="noopener noreferrer"'
    return f'<a class="{cls}" href="{_attr(href)}"{extra} aria-label="{_attr("Download " + _name(content))}">{text}</a>'


def _link(content: Mapping[str, Any], text: str) -> str:
    return f'<a class="media-link" href="{_attr(content["url"])}" target="_blank" rel="noopener noreferrer">{html.escape(text)}</a>'


def _figure(kind: str, inner: str, content: Mapping[str, Any], extra: str = "") -> str:
    label = content.get("label")
    caption = f"<figcaption>{html.escape(label)}</figcaption>" if label else ""
    return f'<figure class="media {kind}">{inner}{extra}{caption}</figure>'


def _img(src: str, alt: str) -> str:
    return f'<img src="{_attr(src)}" alt="{_attr(alt)}" loading="lazy">'


def _player(tag: str, content: Mapping[str, Any], src: str) -> str:
    noun = "Audio" if tag == "audio" else "Video"
    playsinline = " playsinline" if tag == "video" else ""
    # A stored file may load its length at once; another host hears of the reader only on play.
    preload = "metadata" if "file" in content else "none"
    return (
        f'<{tag} controls preload="{preload}"{playsinline} src="{_attr(src)}" '
        f'aria-label="{_attr(f"{noun}: {_name(content)}")}"></{tag}>'
    )


def _render_image(content: Mapping[str, Any], ctx: _Context) -> str:
    alt = content.get("alt_text") or content.get("label") or _name(content)
    src = _src(content, ctx)
    inner = _img(src, alt) if src is not None else _link(content, alt)
    return _figure("image", inner, content, _download_link(content, ctx))


def _render_player(tag: str) -> Callable[[Mapping[str, Any], _Context], str]:
    def render(content: Mapping[str, Any], ctx: _Context) -> str:
        src = _src(content, ctx)
        inner = _player(tag, content, src) if src is not None else _link(content, _name(content))
        return _figure(tag, inner, content, _download_link(content, ctx))

    return render


def _render_file(content: Mapping[str, Any], ctx: _Context) -> str:
    size = f'<span class="file-size">{human_size(content["file"]["size"])}</span>' if "file" in content else ""
    label = content.get("label") or _name(content)
    return (
        f'<div class="file-card"><span class="file-name">{html.escape(label)}</span>{size}'
        f"{_download_link(content, ctx, cls='file-download')}</div>"
    )


def _render_plot(content: Mapping[str, Any], ctx: _Context) -> str:
    title = content.get("label") or "Plot"
    src = ctx.file_url(content["file"]["id"], False)
    if content["file"]["mime_type"] == "text/html":
        inner = (
            f'<iframe class="html-repr" sandbox="allow-scripts" src="{_attr(src)}" title="{_attr(title)}" '
            'loading="lazy" referrerpolicy="no-referrer"></iframe>'
        )
    else:
        inner = _img(src, title)
    return _figure("plot", inner, content, _download_link(content, ctx))


def _render_gallery(content: Mapping[str, Any], ctx: _Context) -> str:
    items = []
    for item in content["files"]:
        caption = item.get("caption")
        src = _src(item, ctx)
        if src is None:
            inner = _link(item, caption or _name(item))
        elif item["component"] == "video":
            inner = _player("video", item, src)
        else:
            inner = _img(src, caption or _name(item))
        text = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        items.append(f'<figure class="gallery-item">{inner}{text}{_download_link(item, ctx)}</figure>')
    label = content.get("label") or "Gallery"
    grid = f'<div class="gallery-grid" role="group" aria-label="{_attr(label)}">{"".join(items)}</div>'
    return _figure("gallery", grid, content)


def _render_html(content: Mapping[str, Any], ctx: _Context) -> str:
    return f'<div class="media html">{ctx.clean_html(content["value"])}</div>'


def _render_code(content: Mapping[str, Any], ctx: _Context) -> str:
    return _figure("code", ctx.highlight(content["value"], content.get("language")), content)


def _render_dataframe(content: Mapping[str, Any], ctx: _Context) -> str:
    out = [
        f'<div class="table-scroll" role="region" tabindex="0" aria-label="{_attr(content.get("label") or "Table")}"><table>'
    ]
    if content["headers"]:
        out.append("<thead><tr>")
        out.extend(f'<th scope="col">{html.escape(str(h))}</th>' for h in content["headers"])
        out.append("</tr></thead>")
    out.append("<tbody>")
    for row in content["rows"]:
        out.append("<tr>")
        out.extend(f"<td>{_cell_html(cell)}</td>" for cell in row)
        out.append("</tr>")
    out.append("</tbody></table></div>")
    more = []
    hidden_rows = content["total_rows"] - len(content["rows"])
    hidden_columns = content["total_columns"] - max([len(content["headers"]), *(len(r) for r in content["rows"])])
    if hidden_rows > 0:
        more.append(f"{hidden_rows:,} more row{'s' if hidden_rows != 1 else ''}")
    if hidden_columns > 0:
        more.append(f"{hidden_columns:,} more column{'s' if hidden_columns != 1 else ''}")
    if more:
        out.append(f'<p class="dataframe-more">… {" and ".join(more)}</p>')
    return _figure("dataframe", "".join(out), content)


def _cell_html(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return html.escape(str(cell), quote=False)


def human_size(size: int) -> str:
    """``1234567`` → ``"1.2 MB"`` (powers of 1024, as browsers' download lists show)."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


_RENDERERS: dict[str, Callable[[Mapping[str, Any], _Context], str]] = {
    "image": _render_image,
    "audio": _render_player("audio"),
    "video": _render_player("video"),
    "file": _render_file,
    "plot": _render_plot,
    "gallery": _render_gallery,
    "html": _render_html,
    "code": _render_code,
    "dataframe": _render_dataframe,
}


__all__ = ["FileUrl", "human_size", "render_content"]
