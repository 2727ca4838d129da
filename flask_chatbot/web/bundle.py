"""The element's modules bundled into one ES module, and a stylesheet with its imports
inlined, without a build step; web/assets.py serves the results.

- :func:`bundle_modules`: chat-bot.js and every module it imports, each in a function scope
  of its own, in dependency order, as one module whose exports are chat-bot.js's;
- :func:`inline_css_imports`: styles.css with its ``@import url("x.css");`` lines replaced
  by those files;

both by default without the sources' comments, indentation and blank lines (web/minify.py).

The bundler is a text transform, not a JavaScript parser, so it relies on a house
convention that every module of webcomponent/ follows (and it refuses, with the module
and line, anything else):

- Imports come first, at the start of a line, only in these forms, from a module of the
  element's folder or one of its subfolders, named by a relative path:
  ``import {a, b as c} from './x.js'`` (may span lines) and
  ``import * as ns from '../core/x.js'``. No default, side-effect or other dynamic imports,
  no bare specifiers, nothing outside the folder, no import cycles. A module is known by its
  path in the folder (``core/socket.js``).
- One dynamic form loads a feature on first use: ``import('./x.js')`` with a literal relative
  path. In the bundle it is rewritten relative to the bundle's own URL, where the blueprint
  serves ``x.js`` (at its path in the folder) as a bundle of its own (:func:`lazy_entries`).
  That bundle has its own copies of the modules it imports, so a lazily loaded module
  imports only modules without state (constants, pure functions) and gets the rest from its
  caller.
- Exports, at the start of a line: ``export`` before ``function``, ``async function``,
  ``class`` or a ``const`` of one name; ``export {a, b as c}``; ``export default name``.
  No ``export let``/``var`` (exported bindings never change: the bundle copies them once
  the module has run), no re-exports (``export ... from``), no top-level ``await``.
- Top-level names starting with ``__chatbot_`` are the bundle's own (one per module).
- ``import.meta.url`` is each module's own URL, as for the raw files: in a module of another
  folder than the bundle's, the bundler writes it as that module's URL resolved against the
  bundle's (which is served where the raw entry is), so URLs resolved against it (a
  stylesheet beside the module) are the same.
- Stylesheets: ``@import url("x.css");`` on a line of its own, at the top, naming a file
  of the folder by its path relative to the importing one (``url("view/code.css")``). An
  inlined stylesheet refers to nothing else by URL: its ``url()`` would resolve against the
  importing file once inlined.
"""

from __future__ import annotations

import posixpath
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .minify import BundleError, _line, strip_css, strip_js

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
# A relative path of the element's folder: ./x.js, ./core/x.js, ../view/x.js.
_RELATIVE_JS = r"(?:\./|(?:\.\./)+)(?:[\w-]+/)*[\w-]+(?:\.[\w-]+)*\.js"
_MODULE_NAME = re.compile(rf"^(?P<file>{_RELATIVE_JS})$")
_CSS_IMPORT = re.compile(
    r"""^@import[ \t]+url\((?P<quote>['"])(?P<file>(?:\.\./)*(?:[\w-]+/)*[\w-]+(?:\.[\w-]+)*\.css)(?P=quote)\)[ \t]*;[ \t]*$""",
    re.M,
)
_ANY_CSS_IMPORT = re.compile(r"@import\b")
_CSS_URL = re.compile(r"\burl\(")
_LAZY_IMPORT = re.compile(rf"""\bimport\([ \t]*(?P<quote>['"])(?P<file>{_RELATIVE_JS})(?P=quote)[ \t]*\)""")
_IMPORT_META_URL = re.compile(r"\bimport\.meta\.url\b")


@dataclass(frozen=True)
class _Module:
    file: str
    imports: dict[str, str]  # local name -> "module.js:exported name", or "module.js:*"
    exports: dict[str, str]  # exported name -> local name
    body: str
    lazy: tuple[str, ...] = ()  # modules it loads with import('./x.js')


def bundle_modules(directory: Path, entry: str = ENTRY, *, strip: bool = True) -> str:
    """``entry`` and every module it imports from ``directory`` as one ES module whose
    exports are ``entry``'s; ``strip``: without comments, indentation and blank lines
    (:func:`strip_js`), as served.

        >>> source = bundle_modules(webcomponent_dir())  # doctest: +SKIP
    """
    modules = _load_graph(directory, entry)
    # A module's scope is named after its file (__chatbot_render), or its path when two files
    # of the bundle share a name (__chatbot_core_x, __chatbot_view_x): every byte is on the wire.
    stems = Counter(posixpath.basename(file) for file in modules)
    wrappers = {
        file: "__chatbot_"
        + re.sub(
            r"\W", "_", (file if stems[posixpath.basename(file)] > 1 else posixpath.basename(file)).removesuffix(".js")
        )
        for file in modules
    }
    if len(set(wrappers.values())) < len(wrappers):
        raise BundleError(f"two modules would share a name in the bundle: {sorted(wrappers)}")
    parts = [
        f"// {entry} and the modules it imports, bundled by flask_chatbot/web/bundle.py; the raw files are beside it.\n"
    ]
    for file, module in modules.items():
        body = _relocated(module, entry)
        body = strip_js(body, file) if strip else body
        bindings = []
        for local, source in module.imports.items():
            target, _, name = source.partition(":")
            value = wrappers[target] if name == "*" else f"{wrappers[target]}.{name}"
            bindings.append(f"const {local} = {value};\n")
        exported = ", ".join(name if name == local else f"{name}: {local}" for name, local in module.exports.items())
        parts.append(
            f"\n// -- {file}\n"
            f"const {wrappers[file]} = (() => {{\n{''.join(bindings)}{body.rstrip()}\n"
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


def _relocated(module: _Module, entry: str) -> str:
    """``module``'s body as it runs inside ``entry``'s bundle, which is served where the raw
    ``entry`` is: its lazy imports and its ``import.meta.url`` name what they name in the raw
    file, written relative to the bundle's folder."""
    base = posixpath.dirname(entry)

    def lazy(match: re.Match[str]) -> str:
        target = _resolve(module.file, match["file"])
        assert target is not None  # _parse refused a path outside the folder
        return f"import({match['quote']}{_relative(target, base)}{match['quote']})"

    body = _LAZY_IMPORT.sub(lazy, module.body)
    if posixpath.dirname(module.file) != base:
        body = _IMPORT_META_URL.sub(f"new URL('{_relative(module.file, base)}', import.meta.url).href", body)
    return body


def _resolve(importer: str, specifier: str) -> str | None:
    """The path in the element's folder that ``specifier`` names in ``importer`` (both paths in
    that folder); None when it lies outside."""
    path = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    return None if path == ".." or path.startswith("../") else path


def _relative(target: str, folder: str) -> str:
    """``target`` (a path in the element's folder) as a specifier relative to ``folder``."""
    path = posixpath.relpath(target, folder or ".")
    return path if path.startswith("../") else "./" + path


def lazy_entries(directory: Path, entry: str = ENTRY) -> list[str]:
    """The modules ``entry``'s graph loads on first use (``import('./x.js')``), and those
    theirs load, by their paths in ``directory``: each is served as a bundle of its own."""
    found: list[str] = []
    pending = [entry]
    while pending:
        for module in _load_graph(directory, pending.pop()).values():
            for file in module.lazy:
                if file not in found and file != entry:
                    found.append(file)
                    pending.append(file)
    return found


def lazy_stylesheets(directory: Path, name: str = STYLESHEET) -> list[str]:
    """The stylesheets of ``directory`` (and its subfolders) that ``name`` does not take in:
    those a lazily loaded module links itself (panels/status.css), each served on its own."""
    taken: set[str] = set()
    pending = [name]
    while pending:
        importer = pending.pop()
        for match in _CSS_IMPORT.finditer(_read(directory, importer)):
            path = _resolve(importer, match["file"])
            if path is not None and path not in taken:
                taken.add(path)
                pending.append(path)
    every = (p.relative_to(directory).as_posix() for p in directory.rglob("*.css"))
    return sorted(path for path in every if path != name and path not in taken)


def inline_css_imports(directory: Path, name: str = STYLESHEET, *, strip: bool = True) -> str:
    """``name`` with each ``@import url("x.css");`` line replaced by that file (recursively);
    ``strip``: each file without comments, indentation and blank lines (:func:`strip_css`)."""
    return _inline_css(directory, name, (), strip)


def _inline_css(directory: Path, name: str, within: tuple[str, ...], strip: bool) -> str:
    if name in within:
        raise BundleError(f"{name}: @import cycle {' -> '.join((*within, name))}")
    text = _read(directory, name)
    # Left: an @import of another form (media query, layer, another folder) or in a comment.
    remaining = _CSS_IMPORT.sub("", text)
    if match := _ANY_CSS_IMPORT.search(remaining):
        raise BundleError(f'{name}:{_line(remaining, match.start())}: only @import url("file.css"); lines are inlined')
    # Inlined, a url() would resolve against the stylesheet that took it in, not this file.
    if within and posixpath.dirname(name) != posixpath.dirname(within[0]):
        if match := _CSS_URL.search(strip_css(remaining, name)):
            raise BundleError(f"{name}: refers to a url() that would resolve elsewhere once inlined in {within[0]}")
    if strip:  # after the checks above, so that the refusals do not depend on it
        text = strip_css(text, name)

    def replace(match: re.Match[str]) -> str:
        path = _resolve(name, match["file"])
        if path is None:
            raise BundleError(f"{name}: imports {match['file']!r}, outside the element's folder")
        imported = _inline_css(directory, path, (*within, name), strip).rstrip()
        return imported if strip else f"/* {path} */\n{imported}\n/* end of {path} */"

    return _CSS_IMPORT.sub(replace, text)


def _load_graph(directory: Path, entry: str) -> dict[str, _Module]:
    """The modules reachable from ``entry``, dependencies before their importers."""
    ordered: dict[str, _Module] = {}

    def visit(file: str, path: tuple[str, ...]) -> None:
        if file in ordered:
            return
        if file in path:
            raise BundleError(f"import cycle: {' -> '.join((*path, file))}")
        module = _parsed(directory, file)
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


# Each module parsed once per process while it is unchanged: every chat_bp reads the graph
# (lazy_entries, for its routes), and an app may register dozens.
_parsed_cache: dict[tuple[Path, str], tuple[tuple[int, int], _Module]] = {}
_parsed_lock = threading.Lock()


def _parsed(directory: Path, file: str) -> _Module:
    try:
        stat = (directory / file).stat()
    except FileNotFoundError:
        raise BundleError(f"{file}: no such file in {directory}") from None
    key, version = (directory, file), (stat.st_mtime_ns, stat.st_size)
    with _parsed_lock:
        cached = _parsed_cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    module = _parse(file, _read(directory, file))
    with _parsed_lock:
        _parsed_cache[key] = (version, module)
    return module


def _parse(file: str, text: str) -> _Module:
    imports: dict[str, str] = {}
    exports: dict[str, str] = {}

    def module_of(match: re.Match[str]) -> str:
        found = _MODULE_NAME.match(match["specifier"])
        path = _resolve(file, found["file"]) if found else None
        if path is None:
            raise BundleError(
                f"{file}:{_line(text, match.start())}: imports {match['specifier']!r}; "
                "only a relative path ('./name.js', '../core/name.js') inside the element's folder is bundled"
            )
        return path

    def named_import(match: re.Match[str]) -> str:
        target = module_of(match)
        for name, local in _names(file, text, match):
            imports[local] = f"{target}:{name}"
        return _same_lines(match)

    def namespace_import(match: re.Match[str]) -> str:
        imports[match["name"]] = f"{module_of(match)}:*"
        return ""

    def declaration(match: re.Match[str]) -> str:
        exports[match["name"]] = match["name"]
        return match["kind"] + match["name"]

    def export_list(match: re.Match[str]) -> str:
        for local, name in _names(file, text, match):
            exports[name] = local
        return _same_lines(match)

    def export_default(match: re.Match[str]) -> str:
        exports["default"] = match["name"]
        return ""

    body = _NAMED_IMPORT.sub(named_import, text)
    body = _NAMESPACE_IMPORT.sub(namespace_import, body)
    body = _EXPORT_DECLARATION.sub(declaration, body)
    body = _EXPORT_LIST.sub(export_list, body)
    body = _EXPORT_DEFAULT.sub(export_default, body)
    # In the code, not its comments: a comment may show an import as an example.
    code = strip_js(body, file)
    lazy = tuple(dict.fromkeys(_lazy_target(file, match) for match in _LAZY_IMPORT.finditer(code)))
    checked = _LAZY_IMPORT.sub("", body)
    for pattern, what in (
        (_ANY_IMPORT, "an import of a form the bundler does not know"),
        (_ANY_EXPORT, "an export of a form the bundler does not know (let, var, destructuring, re-export?)"),
        (_TOP_LEVEL_AWAIT, "a top-level await"),
    ):
        if match := pattern.search(checked):
            line = checked[match.start() : checked.find("\n", match.start())].strip()
            raise BundleError(f"{file}: {what}: {line!r}; see the convention in flask_chatbot/web/bundle.py")
    return _Module(file=file, imports=imports, exports=exports, body=body, lazy=lazy)


def _lazy_target(file: str, match: re.Match[str]) -> str:
    path = _resolve(file, match["file"])
    if path is None:
        raise BundleError(f"{file}: loads {match['file']!r}, outside the element's folder")
    return path


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


def _same_lines(match: re.Match[str]) -> str:
    """What replaces an import or export that may span lines: its line breaks, so that a line
    of the body has the number it has in the file (for :func:`strip_js`'s messages)."""
    return "\n" * match[0].count("\n")


def _read(directory: Path, name: str) -> str:
    try:
        return (directory / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{name}: no such file in {directory}") from None


__all__ = [
    "ENTRY",
    "STYLESHEET",
    "BundleError",
    "bundle_modules",
    "inline_css_imports",
    "lazy_entries",
    "lazy_stylesheets",
]
