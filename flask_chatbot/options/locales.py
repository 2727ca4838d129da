"""The languages of the element's own texts: the built-in locales, the page's language and
direction, and the ``lang`` and ``strings`` options (docs/options.md, "Languages").

The texts live in webcomponent/i18n/: ``strings.js`` names them (in English) and each
``locale-xx.js`` translates them. This module reads the names from strings.js (and the tables
of the modules loaded on first use), so an override
of a text that does not exist is refused at start-up, with the closest name.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import OptionsError
from ..runtime.package_files import webcomponent_dir

#: The languages the element speaks out of the box (webcomponent/i18n/locale-xx.js, and English).
LOCALES: tuple[str, ...] = ("en", "de", "es", "fr", "ja", "zh", "ar", "he")
#: Languages written right to left (webcomponent/i18n/strings.js RTL_LANGUAGES).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*\Z")
_NAME = re.compile(r"^  (\w+): '", re.M)
_TABLE = re.compile(r"^export const (EN|\w+_TEXT) = Object\.freeze\(\{$", re.M)


@functools.lru_cache(maxsize=1)
def string_names() -> frozenset[str]:
    """The names of the element's texts: the keys of strings.js's English table and of the
    tables of the modules loaded on first use (``export const X_TEXT = Object.freeze({``)."""
    names: set[str] = set()
    for path in webcomponent_dir().rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        for start in (m.start() for m in _TABLE.finditer(source)):
            names.update(_NAME.findall(source[start : source.index("\n})", start)]))
    return frozenset(names)


def base_language(tag: str) -> str:
    """``"de-AT"`` → ``"de"``."""
    return re.split(r"[-_]", tag, maxsplit=1)[0].lower()


def direction(tag: str) -> str:
    return "rtl" if base_language(tag) in RTL_LANGUAGES else "ltr"


def page_language(lang: str | None, accept_languages: Any) -> str:
    """The standalone page's language: ``lang`` when given, else the reader's first choice
    among the built-in locales (werkzeug's ``request.accept_languages``), else English."""
    if lang:
        return lang
    return str(accept_languages.best_match(LOCALES, default="en"))


def locale_module(tag: str) -> str | None:
    """The element's module of ``tag``'s texts (``i18n/locale-de.js``), None for English or a language
    without one: the standalone page preloads it."""
    base = base_language(tag)
    return f"i18n/locale-{base}.js" if base in LOCALES and base != "en" else None


def check_lang(value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _TAG.match(value)):
        raise OptionsError(
            f"lang must be a language tag like 'de' or 'pt-BR' (or None: the reader's language), not {value!r}"
        )


def parse_strings(value: Any) -> dict[str, Any]:
    """The ``strings`` option: ``{name: text}`` for every language, and/or ``{lang: {name:
    text}}`` for one; checked against the element's texts."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise OptionsError(
            f"strings must be a dict like {{'send': 'Go'}} or {{'de': {{'send': 'Los'}}}}, not {value!r}"
        )
    out: dict[str, Any] = {}
    for key, text in value.items():
        if isinstance(text, Mapping):
            check_lang(key)
            out[key] = _texts(text, f"strings[{key!r}]")
        else:
            out.update(_texts({key: text}, "strings"))
    return out


def _texts(texts: Mapping[Any, Any], where: str) -> dict[str, str]:
    names = string_names()
    for name, text in texts.items():
        if name not in names:
            raise OptionsError(f"{where}: {name!r} is not one of the element's texts{_hint(name, names)}")
        if not isinstance(text, str):
            raise OptionsError(f"{where}[{name!r}] must be a string, not {text!r}")
    return dict(texts)


def _hint(name: Any, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), sorted(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else " (docs/element.md lists them)"


__all__ = [
    "LOCALES",
    "RTL_LANGUAGES",
    "check_lang",
    "direction",
    "locale_module",
    "page_language",
    "parse_strings",
    "string_names",
]
