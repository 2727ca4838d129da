"""The element's files served in as few requests as possible, without a build step.

A cold chat page would otherwise fetch every module of webcomponent/ one by one (the
browser finds each import only after the last module arrived) and every stylesheet a
stylesheet imports. So the blueprint serves, at the raw files' URLs:

- ``chat-bot.js``: one ES module holding chat-bot.js and every module it imports
  (web/bundle.py's :func:`bundle_modules`);
- ``styles.css``: styles.css with its ``@import url("x.css");`` lines replaced by those
  files (web/bundle.py's :func:`inline_css_imports`);

both without the sources' comments, indentation and blank lines (web/minify.py), each built
once (at the first request), gzipped once, and sent with a strong ETag and
``Cache-Control: no-cache``, so a returning browser revalidates and gets 304. The raw
files stay as they are, for pages that load the element from npm or a CDN, and the other
modules stay reachable one by one under ``/static``.

This module is the serving side: :class:`Asset` (the bytes, gzipped, with their ETags),
:func:`element_asset` and :func:`file_asset` (built once, rebuilt in debug mode when a
source changed) and :func:`gzip_response` for the rendered page. The bundler's and the
strippers' names are re-exported here, where they were first.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Request, Response, current_app, request

from .bundle import ENTRY as ENTRY
from .bundle import STYLESHEET as STYLESHEET
from .bundle import bundle_modules as bundle_modules
from .bundle import inline_css_imports as inline_css_imports
from .bundle import lazy_entries, lazy_stylesheets
from .minify import BundleError as BundleError
from .minify import strip_css as strip_css
from .minify import strip_js as strip_js


@dataclass(frozen=True)
class Asset:
    """A file's bytes and their gzipped form, each with its strong ETag, computed once."""

    body: bytes
    gzipped: bytes
    mimetype: str
    etag: str
    gzipped_etag: str

    @classmethod
    def of(cls, text: str, mimetype: str) -> Asset:
        body = text.encode("utf-8")
        # mtime=0: the same bytes, hence the same ETag, in every worker and after restarts.
        gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        return cls(body=body, gzipped=gzipped, mimetype=mimetype, etag=_etag(body), gzipped_etag=_etag(gzipped))

    def response(self, request: Request) -> Response:
        """200 with the gzipped bytes when the client takes gzip, else the plain ones; 304
        when ``If-None-Match`` names what would be sent."""
        compressed = accepts_gzip(request)
        response = Response(self.gzipped if compressed else self.body, mimetype=self.mimetype)
        if compressed:
            response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = "no-cache"  # revalidate every time: a 304 is cheap
        response.set_etag(self.gzipped_etag if compressed else self.etag)  # strong: one per encoding
        response.make_conditional(request)  # in place (it returns the response itself)
        return response


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def accepts_gzip(request: Request) -> bool:
    """Whether the request's Accept-Encoding takes gzip (by name or ``*``)."""
    return request.accept_encodings["gzip"] > 0


_Signature = tuple[tuple[str, int, int], ...]
# Built once per process: key -> (the sources' signature when it was built, the asset).
_cache: dict[Path, tuple[_Signature, Asset]] = {}
_cache_lock = threading.Lock()
_BUILDERS: dict[str, Callable[[Path], Asset]] = {
    ENTRY: lambda directory: Asset.of(bundle_modules(directory, ENTRY), "text/javascript"),
    STYLESHEET: lambda directory: Asset.of(inline_css_imports(directory, STYLESHEET), "text/css"),
}


def element_asset(directory: Path, name: str, *, check_changes: bool = False) -> Asset:
    """The served form of ``name`` (``chat-bot.js``, ``styles.css`` or a module of
    :func:`~flask_chatbot.web.bundle.lazy_entries`) of ``directory``, built
    at the first call. ``check_changes`` (the app's debug mode) rebuilds it when a file of the
    folder changed, so that an edited module shows on reload as the raw files would.

        element_asset(webcomponent_dir(), "chat-bot.js").response(request)
    """
    # Another module is a feature loaded on first use (bundle.lazy_entries): bundled alone.
    build = _BUILDERS.get(name) or (
        # A stylesheet a lazy module links (bundle.lazy_stylesheets), or a lazy module.
        (lambda directory: Asset.of(inline_css_imports(directory, name), "text/css"))
        if name.endswith(".css")
        else (lambda directory: Asset.of(bundle_modules(directory, name), "text/javascript"))
    )
    sources = sorted(p for p in directory.rglob("*") if p.suffix in (".js", ".css")) if check_changes else None
    return _cached(directory / name, sources, lambda: build(directory))


def file_asset(path: Path, mimetype: str, *, check_changes: bool = False) -> Asset:
    """A static file served like the element's (gzip, ETag, no-cache), read at the first call."""
    return _cached(
        path, [path] if check_changes else None, lambda: Asset.of(path.read_text(encoding="utf-8"), mimetype)
    )


def _cached(key: Path, sources: list[Path] | None, build: Callable[[], Asset]) -> Asset:
    """``build()``'s asset, kept; rebuilt when ``sources`` (None: not checked) changed since."""
    stats = [(str(p), p.stat()) for p in sources or ()]
    signature = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
    cached = _cache.get(key)
    if cached is None or (sources is not None and cached[0] != signature):
        with _cache_lock:  # one build at a time; a second request finds the first's result
            cached = _cache.get(key)
            if cached is None or (sources is not None and cached[0] != signature):
                cached = _cache[key] = (signature, build())
    return cached[1]


# The HTML page is rendered per request: compressing it costs more than it saves when small.
MIN_GZIP_BYTES = 1024


def gzip_response(response: Response, request: Request, minimum: int = MIN_GZIP_BYTES) -> Response:
    """Gzip a rendered response in place when the client takes gzip and it is over ``minimum``
    bytes. (The chat page holds no secret and echoes nothing of the request, so compressing
    it gives a BREACH-style attack nothing to find.)"""
    response.vary.add("Accept-Encoding")
    data = response.get_data()
    if len(data) > minimum and "Content-Encoding" not in response.headers and accepts_gzip(request):
        response.set_data(gzip.compress(data, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    return response


def flat_aliases(static_dir: Path, lazy: list[str]) -> dict[str, str]:
    """Each feature loaded on first use that lies in a folder, and its name at the top of the
    element's folder, where 0.9 served it; none that a file at the top already takes."""
    top = {p.name for p in static_dir.iterdir()}
    return {path: posixpath.basename(path) for path in lazy if "/" in path and posixpath.basename(path) not in top}


def register_element(bp: Blueprint, static_dir: Path) -> None:
    """The element's routes: its entry module and stylesheet, bundled, and each feature it loads
    on first use as a bundle of its own (endpoint ``element_feature``)."""

    # The element in two requests (web/assets.py): its entry module with every module it imports,
    # and its stylesheet with its @imports inlined, at the raw files' URLs so that pages need
    # no change. The static route still serves every file of the folder as it is.
    @bp.get(f"/static/{ENTRY}")
    def element_module() -> Response:
        return element_asset(static_dir, ENTRY, check_changes=current_app.debug).response(request)

    @bp.get(f"/static/{STYLESHEET}")
    def element_stylesheet() -> Response:
        return element_asset(static_dir, STYLESHEET, check_changes=current_app.debug).response(request)

    # Features the element loads on first use (the attachments of a multimodal chat), each
    # bundled alone at its raw file's URL: a chat that never uses them never downloads them.
    lazy = [*lazy_entries(static_dir), *lazy_stylesheets(static_dir)]
    served = {path: path for path in lazy}
    # The same features at their flat paths of 0.9, before the element's folders: a tab opened
    # before an upgrade keeps its bundle, which asks for /static/attach.js (docs/element.md).
    served.update({flat: path for path, flat in flat_aliases(static_dir, lazy).items()})

    def element_feature(folder: str, name: str) -> Response:
        path = served[f"{folder}/{name}" if folder else name]
        return element_asset(static_dir, path, check_changes=current_app.debug).response(request)

    # A rule a folder (`any` names its files): an app may register dozens of chats, and every
    # rule costs werkzeug a compiled builder. Each is more specific than an app's own
    # /static/<path:filename>, which would hide them at the root of a default app.
    by_folder: dict[str, list[str]] = {}
    for url_path in served:
        folder, _, name = url_path.rpartition("/")
        by_folder.setdefault(folder, []).append(name)
    for folder, names in sorted(by_folder.items()):
        files = ", ".join(repr(name) for name in sorted(names))
        bp.add_url_rule(
            f"/static/{folder + '/' if folder else ''}<any({files}):name>",
            "element_feature",
            element_feature,
            defaults={"folder": folder},
        )


__all__ = [
    "Asset",
    "BundleError",
    "accepts_gzip",
    "bundle_modules",
    "element_asset",
    "file_asset",
    "gzip_response",
    "inline_css_imports",
    "strip_css",
    "strip_js",
]
