"""The element's files served in as few requests as possible, without a build step.

A cold chat page would otherwise fetch every module of webcomponent/ one by one (the
browser finds each import only after the last module arrived) and every stylesheet a
stylesheet imports. So the blueprint serves, at the raw files' URLs:

- ``chat-bot.js``: one ES module holding chat-bot.js and every module it imports, each in
  a function scope of its own, in dependency order (:func:`bundle_modules`);
- ``styles.css``: styles.css with its ``@import url("x.css");`` lines replaced by those
  files (:func:`inline_css_imports`);

each built once (at the first request), gzipped once, and sent with a strong ETag and
``Cache-Control: no-cache``, so a returning browser revalidates and gets 304. The raw
files stay as they are, for pages that load the element from npm or a CDN, and the other
modules stay reachable one by one under ``/static``.

The bundler is a text transform, not a JavaScript parser, so it relies on a house
convention that every module of webcomponent/ follows (and it refuses, with the module
and line, anything else):

- Imports come first, at the start of a line, only in these forms, from a module of the
  same folder: ``import {a, b as c} from './x.js'`` (may span lines) and
  ``import * as ns from './x.js'``. No default, side-effect or dynamic imports, no
  bare specifiers, no import cycles.
- Exports, at the start of a line: ``export`` before ``function``, ``async function``,
  ``class`` or a ``const`` of one name; ``export {a, b as c}``; ``export default name``.
  No ``export let``/``var`` (exported bindings never change: the bundle copies them once
  the module has run), no re-exports (``export ... from``), no top-level ``await``.
- Top-level names starting with ``__chatbot_`` are the bundle's own (one per module).
- ``import.meta.url`` is the bundle's URL inside the bundle: it is served from the same
  folder as the raw files, so URLs resolved against it (styles.css) are the same.
- Stylesheets: ``@import url("x.css");`` on a line of its own, at the top, naming a file
  of the same folder.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Request, Response

ENTRY = "chat-bot.js"
STYLESHEET = "styles.css"

_IDENT = r"[A-Za-z_$][\w$]*"
_SPECIFIER = r"""(?P<quote>['"])(?P<specifier>[^'"\n]*)(?P=quote)"""
_NAMED_IMPORT = re.compile(rf"^import[ \t]*\{{(?P<names>[^}}]*)\}}[ \t]*from[ \t]*{_SPECIFIER}[ \t]*;?[ \t]*$", re.M)
_NAMESPACE_IMPORT = re.compile(
    rf"^import[ \t]*\*[ \t]*as[ \t]+(?P<name>{_IDENT})[ \t]+from[ \t]*{_SPECIFIER}[ \t]*;?[ \t]*$", re.M
)
_ANY_IMPORT = re.compile(r"^[ \t]*import\b(?!\.meta)|\bimport[ \t]*\(", re.M)
_EXPORT_DECLARATION = re.compile(
    rf"^export[ \t]+(?P<kind>(?:async[ \t]+)?function\b[ \t]*\*?[ \t]*|class[ \t]+|const[ \t]+)(?P<name>{_IDENT})", re.M
)
_EXPORT_LIST = re.compile(r"^export[ \t]*\{(?P<names>[^}]*)\}[ \t]*;?[ \t]*$", re.M)
_EXPORT_DEFAULT = re.compile(rf"^export[ \t]+default[ \t]+(?P<name>{_IDENT})[ \t]*;?[ \t]*$", re.M)
_ANY_EXPORT = re.compile(r"^[ \t]*export\b", re.M)
_TOP_LEVEL_AWAIT = re.compile(r"^await\b", re.M)
_MODULE_NAME = re.compile(r"^\./(?P<file>[\w-]+(?:\.[\w-]+)*\.js)$")
_CSS_IMPORT = re.compile(
    r"""^@import[ \t]+url\((?P<quote>['"])(?P<file>[\w-]+(?:\.[\w-]+)*\.css)(?P=quote)\)[ \t]*;[ \t]*$""", re.M
)
_ANY_CSS_IMPORT = re.compile(r"@import\b")


class BundleError(ValueError):
    """A module or stylesheet does not follow the convention above; says which and where."""


@dataclass(frozen=True)
class _Module:
    file: str
    imports: dict[str, str]  # local name -> "module.js:exported name", or "module.js:*"
    exports: dict[str, str]  # exported name -> local name
    body: str


def bundle_modules(directory: Path, entry: str = ENTRY) -> str:
    """``entry`` and every module it imports from ``directory`` as one ES module whose
    exports are ``entry``'s.

        >>> source = bundle_modules(webcomponent_dir())  # doctest: +SKIP
    """
    modules = _load_graph(directory, entry)
    wrappers = {file: "__chatbot_" + re.sub(r"\W", "_", file.removesuffix(".js")) for file in modules}
    if len(set(wrappers.values())) < len(wrappers):
        raise BundleError(f"two modules would share a name in the bundle: {sorted(wrappers)}")
    parts = [f"// {entry} and the modules it imports, bundled by flask_chatbot/assets.py; the raw files are beside it.\n"]
    for file, module in modules.items():
        bindings = []
        for local, source in module.imports.items():
            target, _, name = source.partition(":")
            value = wrappers[target] if name == "*" else f"{wrappers[target]}.{name}"
            bindings.append(f"const {local} = {value};\n")
        exported = ", ".join(f"{name}: {local}" for name, local in module.exports.items())
        parts.append(
            f"\n// -- {file} " + "-" * max(0, 80 - len(file)) + "\n"
            f"const {wrappers[file]} = (() => {{\n{''.join(bindings)}{module.body.rstrip()}\n"
            f"return Object.freeze({{__proto__: null, {exported}}});\n}})();\n"
        )
    entry_exports = modules[entry].exports
    if clash := set(entry_exports) & set(wrappers.values()):
        raise BundleError(f"{entry}: exports {sorted(clash)} clash with the bundle's own names")
    named = [name for name in entry_exports if name != "default"]
    if named:
        parts.append(f"\nexport const {{{', '.join(named)}}} = {wrappers[entry]};\n")
    if "default" in entry_exports:
        parts.append(f"export default {wrappers[entry]}.default;\n")
    return "".join(parts)


def inline_css_imports(directory: Path, name: str = STYLESHEET) -> str:
    """``name`` with each ``@import url("x.css");`` line replaced by that file (recursively)."""
    return _inline_css(directory, name, ())


def _inline_css(directory: Path, name: str, within: tuple[str, ...]) -> str:
    if name in within:
        raise BundleError(f"{name}: @import cycle {' -> '.join((*within, name))}")
    text = _read(directory, name)

    def replace(match: re.Match[str]) -> str:
        imported = _inline_css(directory, match["file"], (*within, name))
        return f"/* {match['file']} */\n{imported.rstrip()}\n/* end of {match['file']} */"

    inlined = _CSS_IMPORT.sub(replace, text)
    # Left: an @import of another form (media query, layer, another folder) or in a comment.
    remaining = _CSS_IMPORT.sub("", text)
    if match := _ANY_CSS_IMPORT.search(remaining):
        raise BundleError(f'{name}:{_line(remaining, match.start())}: only @import url("file.css"); lines are inlined')
    return inlined


def _load_graph(directory: Path, entry: str) -> dict[str, _Module]:
    """The modules reachable from ``entry``, dependencies before their importers."""
    ordered: dict[str, _Module] = {}

    def visit(file: str, path: tuple[str, ...]) -> None:
        if file in ordered:
            return
        if file in path:
            raise BundleError(f"import cycle: {' -> '.join((*path, file))}")
        module = _parse(file, _read(directory, file))
        for source in dict.fromkeys(source.partition(":")[0] for source in module.imports.values()):
            visit(source, (*path, file))
        ordered[file] = module

    visit(entry, ())
    for module in ordered.values():
        for local, source in module.imports.items():
            target, _, name = source.partition(":")
            if name != "*" and name not in ordered[target].exports:
                raise BundleError(f"{module.file}: imports {name!r} as {local}, but {target} does not export it")
    return ordered


def _parse(file: str, text: str) -> _Module:
    imports: dict[str, str] = {}
    exports: dict[str, str] = {}

    def module_of(match: re.Match[str]) -> str:
        found = _MODULE_NAME.match(match["specifier"])
        if not found:
            raise BundleError(
                f"{file}:{_line(text, match.start())}: imports {match['specifier']!r}; "
                "only './name.js' of the same folder is bundled"
            )
        return found["file"]

    def named_import(match: re.Match[str]) -> str:
        target = module_of(match)
        for name, local in _names(file, text, match):
            imports[local] = f"{target}:{name}"
        return ""

    def namespace_import(match: re.Match[str]) -> str:
        imports[match["name"]] = f"{module_of(match)}:*"
        return ""

    def declaration(match: re.Match[str]) -> str:
        exports[match["name"]] = match["name"]
        return match["kind"] + match["name"]

    def export_list(match: re.Match[str]) -> str:
        for local, name in _names(file, text, match):
            exports[name] = local
        return ""

    def export_default(match: re.Match[str]) -> str:
        exports["default"] = match["name"]
        return ""

    body = _NAMED_IMPORT.sub(named_import, text)
    body = _NAMESPACE_IMPORT.sub(namespace_import, body)
    body = _EXPORT_DECLARATION.sub(declaration, body)
    body = _EXPORT_LIST.sub(export_list, body)
    body = _EXPORT_DEFAULT.sub(export_default, body)
    for pattern, what in (
        (_ANY_IMPORT, "an import of a form the bundler does not know"),
        (_ANY_EXPORT, "an export of a form the bundler does not know (let, var, destructuring, re-export?)"),
        (_TOP_LEVEL_AWAIT, "a top-level await"),
    ):
        if match := pattern.search(body):
            line = body[match.start() : body.find("\n", match.start())].strip()
            raise BundleError(f"{file}: {what}: {line!r}; see the convention in flask_chatbot/assets.py")
    return _Module(file=file, imports=imports, exports=exports, body=body)


def _names(file: str, text: str, match: re.Match[str]) -> Iterable[tuple[str, str]]:
    """``a, b as c`` -> (a, a), (b, c)."""
    for item in match["names"].split(","):
        words = item.split()
        if not words:
            continue  # a trailing comma
        if len(words) == 1 and re.fullmatch(_IDENT, words[0]):
            yield words[0], words[0]
        elif len(words) == 3 and words[1] == "as" and all(re.fullmatch(_IDENT, w) for w in words[::2]):
            yield words[0], words[2]
        else:
            raise BundleError(f"{file}:{_line(text, match.start())}: cannot read {item.strip()!r} in {match[0]!r}")


def _read(directory: Path, name: str) -> str:
    try:
        return (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{name}: no such file in {directory}") from None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# -- serving ----------------------------------------------------------------------------


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
        return response.make_conditional(request)


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
    """The served form of ``name`` (``chat-bot.js`` or ``styles.css``) of ``directory``, built
    at the first call. ``check_changes`` (the app's debug mode) rebuilds it when a file of the
    folder changed, so that an edited module shows on reload as the raw files would.

        element_asset(webcomponent_dir(), "chat-bot.js").response(request)
    """
    build = _BUILDERS[name]
    sources = sorted(p for p in directory.iterdir() if p.suffix in (".js", ".css")) if check_changes else None
    return _cached(directory / name, sources, lambda: build(directory))


def file_asset(path: Path, mimetype: str, *, check_changes: bool = False) -> Asset:
    """A static file served like the element's (gzip, ETag, no-cache), read at the first call."""
    return _cached(path, [path] if check_changes else None, lambda: Asset.of(path.read_text(encoding="utf-8"), mimetype))


def _cached(key: Path, sources: list[Path] | None, build: Callable[[], Asset]) -> Asset:
    """``build()``'s asset, kept; rebuilt when ``sources`` (None: not checked) changed since."""
    stats = [(p.name, p.stat()) for p in sources or ()]
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


__all__ = [
    "Asset",
    "BundleError",
    "accepts_gzip",
    "bundle_modules",
    "element_asset",
    "file_asset",
    "gzip_response",
    "inline_css_imports",
]
