"""``python -m bench.render_families``: what rendering costs for text built to be slow.

Each family is a text that once made Python-Markdown (or bleach, or Python's HTML
parser) do work that grows with the square of its length, plus an ordinary reply
(:func:`bench.text.reply`) and code- and table-heavy text as the references. Each is
rendered at each size through ``Renderer(RenderOptions()).render`` as a user message
and as a reply; the table gives the least CPU time of a few runs, per KB, and whether
the render fell back to the text as typed (over its CPU budget, or nested past
Python's recursion limit).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from flask_chatbot.rendering import renderer as rendering
from flask_chatbot.rendering.renderer import Renderer, RenderOptions

from . import doc_sections
from .text import _code, _table, reply


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def _random(chars: str, seed: int = 1) -> Callable[[int], str]:
    def make(n: int) -> str:
        rng = random.Random(seed)
        return "".join(rng.choice(chars) for _ in range(n))

    return make


def _ordinary(n: int) -> str:
    words = max(10, n // 6)
    while len(reply(words)) < n:
        words = int(words * 1.1) + 1
    return reply(words)[:n]


def _code_and_tables(n: int) -> str:
    rng = random.Random(2)
    blocks: list[str] = []
    while sum(len(b) + 2 for b in blocks) < n:
        blocks += [_code(rng, 60), _table(rng, 8)]
    return "\n\n".join(blocks)[:n]


def _backtick_runs(n: int) -> str:
    """Runs of 1, 2, 3... backticks: no run ever closes another."""
    out, k, size = [], 1, 0
    while size < n:
        out.append("`" * k + "a")
        size += k + 1
        k += 1
    return "".join(out)[:n]


def _wide_table(n: int) -> str:
    k = n // 6
    return "|" + "a|" * k + "\n|" + "-|" * k + "\n|" + "b|" * k


# name: the text of n characters (the references first)
FAMILIES: dict[str, Callable[[int], str]] = {
    "ordinary reply (reference)": _ordinary,
    "code and tables (reference)": _code_and_tables,
    "unclosed `![`": _repeat("!["),
    "unclosed `[`": _repeat("["),
    "unclosed `[a`": _repeat("[a"),
    "`[a][` references": _repeat("[a]["),
    "link destination `[a](`": _repeat("[a]("),
    "link destination `[a](<`": _repeat("[a](<"),
    "link destination `[a](((`": _repeat("[a]((("),
    'unclosed title `[a](b "`': _repeat('[a](b "'),
    "emphasis `*a`": _repeat("*a"),
    "emphasis `**a`": _repeat("**a"),
    "emphasis `*_a`": _repeat("*_a"),
    "emphasis, random `*_a `": _random("*_a "),
    "nested quotes `>`": _repeat(">"),
    "nested quotes `> `": _repeat("> "),
    "backticks ``` ``a` ```": _repeat("``a`"),
    "backtick runs of growing length": _backtick_runs,
    "`<`": _repeat("<"),
    "`<a`": _repeat("<a"),
    "`<a `": _repeat("<a "),
    "`<http://`": _repeat("<http://"),
    "`<a@`": _repeat("<a@"),
    "`<![CDATA[`": _repeat("<![CDATA["),
    "`<div>`": _repeat("<div>"),
    "nested lists `1. `": _repeat("1. "),
    "`&`": _repeat("&"),
    "table of many columns": _wide_table,
    "headings ending in a pipe `# a|`": _repeat("# a|\n"),
    "separator rows and headings": _repeat("|-|\n|-|\n# a|\n"),
    "rules `***`": _repeat("***\n"),
    "setext headings": _repeat("a\n-\n"),
    "fences ```` ``` ````": _repeat("```\n"),
    "fences with a language": _repeat("```a\n"),
    "escapes `\\*`": _repeat("\\*"),
    "line breaks": _repeat("a\n"),
    "random Markdown characters": _random("*_[]()!<>&`|#>- \n\\a"),
}


def cpu_ms(text: str, from_user: bool, runs: int) -> tuple[float, bool]:
    """Least CPU milliseconds of ``runs`` renders, and whether it fell back to plain text."""
    renderer = Renderer(RenderOptions())
    stopped = False

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal stopped
            stopped = stopped or "shown as plain text" in record.getMessage()

    seen = Seen()
    logger = logging.getLogger("flask_chatbot")
    logger.addHandler(seen)
    propagate, logger.propagate = logger.propagate, False
    try:
        best = float("inf")
        for _ in range(runs):
            start = time.thread_time()
            renderer.render(text, from_user=from_user)
            best = min(best, time.thread_time() - start)
    finally:
        logger.removeHandler(seen)
        logger.propagate = propagate
    return best * 1000, stopped


def run(
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000), runs: int = 3, families: list[str] | None = None
) -> dict[str, Any]:
    """``{family: {"user" | "reply": {size: {"ms", "ms_per_kb", "fallback"}}}}`` plus the budget."""
    results: dict[str, Any] = {}
    for name in families or list(FAMILIES):
        make = FAMILIES[name]
        results[name] = {}
        for who, from_user in (("user", True), ("reply", False)):
            results[name][who] = {}
            for size in sizes:
                text = make(size)
                # Fewer runs of the big ones: each may take seconds.
                ms, fallback = cpu_ms(text, from_user, runs if size <= 10_000 else max(1, runs - 1))
                results[name][who][size] = {"ms": ms, "ms_per_kb": ms / (len(text) / 1000), "fallback": fallback}
    return {
        "budget": {"floor_s": rendering.RENDER_BUDGET_FLOOR, "per_char_s": rendering.RENDER_BUDGET_PER_CHAR},
        "sizes": list(sizes),
        "families": results,
    }


def table(result: dict[str, Any]) -> str:
    """The results as a Markdown table: a row per family and sender, a column per size."""
    sizes = result["sizes"]
    head = "| family | sent as | " + " | ".join(f"{s // 1000} KB: ms (ms/KB)" for s in sizes) + " |"
    lines = [head, "|" + "---|" * (2 + len(sizes))]
    for name, by_who in result["families"].items():
        for who, by_size in by_who.items():
            cells = []
            for size in sizes:
                r = by_size[size]
                cells.append(f"{r['ms']:.0f} ({r['ms_per_kb']:.1f})" + (" **fallback**" if r["fallback"] else ""))
            lines.append(f"| {name} | {who} | " + " | ".join(cells) + " |")
    budget = result["budget"]
    lines.append("")
    lines.append(
        f"Budget per render: {budget['floor_s'] * 1000:.0f} ms + {budget['per_char_s'] * 1e6:.0f} µs a character; "
        "**fallback**: the render stopped (over its budget, or nested past MAX_NESTING levels) "
        "and the text was shown as typed."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated lengths in characters")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--family", action="append", help="only this family (repeatable); see FAMILIES")
    parser.add_argument("--write", metavar="SECTION", help="also put the table in docs/performance.md as SECTION")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    result = table(run(sizes, args.runs, args.family))
    print(result)
    sys.stdout.flush()
    if args.write:
        command = "python -m bench.render_families " + " ".join(argv if argv is not None else sys.argv[1:])
        doc_sections.write_section(args.write, f"### Rendering time for hostile Markdown\n\n`{command}`\n\n{result}\n")


if __name__ == "__main__":
    main()
