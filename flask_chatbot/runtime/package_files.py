"""Where the package's own files are: the element's folder and the package's static files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# flask_chatbot/ (this module is flask_chatbot/runtime/package_files.py): static/ and templates/.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def webcomponent_dir() -> Path:
    """Where the element's files are: inside the installed package (a wheel maps
    webcomponent/ to flask_chatbot/webcomponent), or beside it in a source checkout."""
    spec = importlib.util.find_spec("flask_chatbot.webcomponent")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "chat-bot.js").is_file():
                return Path(location)
    return PACKAGE_DIR.parent / "webcomponent"


__all__ = ["PACKAGE_DIR", "webcomponent_dir"]
