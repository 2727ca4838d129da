"""Sections of docs/performance.md that a benchmark other than ``python -m bench`` owns.

Each lives between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; a benchmark run
with ``--write`` replaces its own section, and ``python -m bench --write`` (which writes
the rest of the file) keeps the others as they were.
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
_SECTION = re.compile(r"<!-- bench:(?P<name>[\w.-]+) -->\n.*?<!-- /bench:(?P=name) -->\n", re.S)


def sections(text: str) -> dict[str, str]:
    """Every marked section of ``text``, markers included, by name."""
    return {m.group("name"): m.group(0) for m in _SECTION.finditer(text)}


def mark(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->\n"


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Put ``body`` in section ``name`` of the document: in place, or appended at its end."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    block = mark(name, body)
    old = sections(text).get(name)
    text = text.replace(old, block) if old else text.rstrip("\n") + "\n\n" + block
    doc.write_text(text, encoding="utf-8")


def keep_sections(new_text: str, doc: Path = DOC) -> str:
    """``new_text`` with the marked sections of the document as it is now appended."""
    old = sections(doc.read_text(encoding="utf-8")) if doc.exists() else {}
    kept = [block for name, block in old.items() if name not in sections(new_text)]
    return new_text.rstrip("\n") + ("\n\n" + "\n".join(kept) if kept else "\n")
