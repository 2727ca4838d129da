"""The element's folders keep their layers, as import-linter keeps the package's
(docs/architecture.md, "The element"): a module imports, or loads on first use, only modules of
its own folder and of the folders under it. The top of the folder (chat-bot.js, element.js,
chat.js, config.js) wires the rest and may import any of them."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from flask_chatbot.web.minify import strip_js

WEBCOMPONENT = Path(__file__).resolve().parent.parent / "webcomponent"
# A folder: the folders its modules may import from besides their own. Lowest first.
LAYERS: dict[str, set[str]] = {
    "i18n": set(),  # the element's texts: strings.js and the locales
    "core": {"i18n"},  # protocol, socket and connection, events, HTML, icons, what a reload keeps
    "actions": {"core", "i18n"},  # the reader's actions on a message, edits and versions
    "view": {"actions", "core", "i18n"},  # the messages on screen and how they render
    "composer": {"core", "i18n"},  # the message box, files, recorder, example cards
    "panels": {"core", "i18n"},  # saved history, additional inputs and outputs, the turn's status
}
SPECIFIER = re.compile(r"""(?:^import\b[^'"]*?\bfrom|\bimport\()\s*['"](?P<path>\.{1,2}/[^'"]+)['"]""", re.M | re.S)


def folder_of(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def crossings(sources: dict[str, str]) -> list[str]:
    """Each import of ``sources`` (path in the folder -> text) that goes against LAYERS."""
    found = []
    for path, text in sources.items():
        here = folder_of(path)
        if here == "":
            continue
        for match in SPECIFIER.finditer(text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), match["path"]))
            there = folder_of(target)
            if there != here and there not in LAYERS[here]:
                found.append(f"{path} imports {target}")
    return found


def the_element() -> dict[str, str]:
    """Each module's code, without its comments (which show imports as examples)."""
    paths = {p.relative_to(WEBCOMPONENT).as_posix(): p for p in WEBCOMPONENT.rglob("*.js")}
    return {path: strip_js(p.read_text(encoding="utf-8"), path) for path, p in paths.items()}


def test_every_module_is_at_the_top_or_in_a_folder_of_the_layers() -> None:
    sources = the_element()
    assert {folder_of(path) for path in sources} == {"", *LAYERS}
    assert sorted(path for path in sources if folder_of(path) == "") == [
        "chat-bot.js",
        "chat.js",
        "config.js",
        "element.js",
    ]
    lines = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in WEBCOMPONENT.rglob("*.js")}
    assert max(lines.values()) <= 400, lines


def test_no_module_imports_from_a_folder_above_its_own() -> None:
    sources = the_element()
    assert sum(len(SPECIFIER.findall(text)) for text in sources.values()) > 80  # the imports are read
    assert crossings(sources) == []


def test_an_import_from_above_is_found() -> None:
    sources = {
        "core/socket.js": "import {Conversation} from '../view/conversation.js'\n",
        "view/render.js": "import {icon} from '../core/icons.js'\nconst load = () => import('../panels/outputs.js')\n",
        "panels/outputs.js": "import {\n  emit,\n} from '../core/events.js'\n",
        "element.js": "import {Chat} from './chat.js'\n",
    }
    assert crossings(sources) == [
        "core/socket.js imports view/conversation.js",
        "view/render.js imports panels/outputs.js",
    ]
