"""Deterministic, LLM-like Markdown replies of an exact number of words.

A *word* is a run of non-white-space characters (``str.split()``), and a reply is
streamed one word at a time: each yield adds the white space before the next word
and the word itself (:func:`word_ends`), as an LLM's tokens arrive.
"""

from __future__ import annotations

import random
import re
from functools import cache

_VOCAB = """the a an to of and in for is that with on as it be by this are can you your
request response server client thread worker process socket message reply stream
token model history session blueprint route handler function value result error
render renders rendered Markdown HTML text block blocks paragraph tail patch patches
frame frames browser element page user users queue buffer cache memory latency time
cost costs work linear quadratic once every each only when while because so but
not never always often usually first then after before until which what where how
simple small large fast slow safe exact whole partial final open closed new old
configure install deploy measure test check send sends receive receives call calls
returns yields keeps holds grows changes updates starts stops runs waits reads writes
Flask gunicorn nginx Python WebSocket JSON thread-safe application framework option
options setting default timeout interval limit size bytes characters lines words
""".split()
_CODE_NAMES = ["app", "reply", "stream", "history", "message", "renderer", "options", "chunk", "text", "result"]
_URLS = [
    "https://flask.palletsprojects.com/",
    "https://docs.python.org/3/library/threading.html",
    "https://gunicorn.org/",
    "https://python-markdown.github.io/",
    "https://example.com/docs/streaming",
]
# A 2,000-word reply: 3 fenced code blocks, 1 table, 2 bullet lists, 1 numbered list, headings.
_EXTRAS = ["bullets", "code", "numbered", "table", "code", "bullets", "code", "numbered"]


def _sentence(rng: random.Random, words: int) -> list[str]:
    out = [rng.choice(_VOCAB) for _ in range(words)]
    out[0] = out[0][:1].upper() + out[0][1:]
    out[-1] += "."
    if words > 9 and rng.random() < 0.5:
        out[rng.randrange(3, words - 3)] += ","
    return out


def _paragraph(rng: random.Random, words: int) -> str:
    out: list[str] = []
    while len(out) < words:
        n = min(rng.randint(8, 20), words - len(out))
        out += _sentence(rng, max(n, 1))
    out = out[:words]
    if not out[-1].endswith("."):
        out[-1] += "."
    # Inline Markdown, each replacing words one for one so the count holds.
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(0, max(words - 1, 1))
        if words >= 3 and not any(c in out[i] + out[i + 1] for c in "*`[.,"):
            out[i], out[i + 1] = "**" + out[i], out[i + 1] + "**"
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(0, words)
        if "*" not in out[i] and "[" not in out[i]:
            tail = out[i][len(out[i].rstrip(".,")) :]
            out[i] = f"`{rng.choice(_CODE_NAMES)}.{rng.choice(['send', 'render', 'update', 'close'])}()`{tail}"
    if words >= 6 and rng.random() < 0.4:
        i = rng.randrange(0, words - 2)
        if not any(c in out[i] + out[i + 1] for c in "*`[.,"):
            out[i], out[i + 1] = "[" + out[i], f"{out[i + 1]}]({rng.choice(_URLS)})"
    return " ".join(out)


def _list(rng: random.Random, words: int, numbered: bool) -> str:
    items, left = [], words
    n = 1
    while left > 0:
        k = min(rng.randint(6, 16), left)
        marker = f"{n}." if numbered else "-"
        items.append(f"{marker} {_paragraph(rng, k - 1) if k > 1 else ''}".rstrip())
        left -= k
        n += 1
    return "\n".join(items)


def _code(rng: random.Random, words: int) -> str:
    lines, count = ["```python"], 1
    name = rng.choice(_CODE_NAMES)
    lines.append(f"def handle_{name}(request, history):")
    count += 3
    depth = 1
    while count < words - 1:
        var, other = rng.choice(_CODE_NAMES), rng.choice(_CODE_NAMES)
        kind = rng.random()
        if kind < 0.2 and depth < 3:
            line, depth_next = f"for {var} in {other}s:", depth + 1
        elif kind < 0.3 and depth > 1:
            line, depth_next = f"return {var}", depth - 1
        else:
            line, depth_next = f"{var} = {other}.get({rng.randint(0, 99)})", depth
        lines.append("    " * depth + line)
        count += len(line.split())
        depth = depth_next
    lines.append("    return None")
    lines.append("```")
    return "\n".join(lines)


def _table(rng: random.Random, rows: int) -> str:
    out = ["| Option | Default | Meaning |", "|:-------|--------:|---------|"]
    for _ in range(rows):
        out.append(
            f"| `{rng.choice(_VOCAB)}_{rng.choice(_VOCAB)}` | {rng.randint(0, 999)} | {rng.choice(_VOCAB)} {rng.choice(_VOCAB)} |"
        )
    return "\n".join(out)


def _words(block: str) -> int:
    return len(block.split())


@cache
def reply(words: int = 2000, seed: int = 1) -> str:
    """An LLM-like Markdown reply of exactly ``words`` words."""
    rng = random.Random(seed)
    blocks: list[str] = []
    count = 0
    extras = 0
    extra_every = 2000 / len(_EXTRAS)  # one list, code block or table per 250 words

    def add(block: str) -> None:
        nonlocal count
        blocks.append(block)
        count += _words(block)

    add(_paragraph(rng, rng.randint(40, 70)))
    while count < words - 140:
        if count >= (extras + 0.6) * extra_every:
            kind = _EXTRAS[extras % len(_EXTRAS)]
            extras += 1
            if rng.random() < 0.8:
                add("#" * rng.choice([2, 3]) + " " + " ".join(_sentence(rng, rng.randint(2, 5))).rstrip("."))
            if kind == "code":
                add(_code(rng, rng.randint(40, 70)))
            elif kind == "table":
                add(_table(rng, rng.randint(5, 8)))
            else:
                add(_list(rng, rng.randint(30, 60), numbered=kind == "numbered"))
        else:
            add(_paragraph(rng, rng.randint(40, 120)))
    left = words - count
    while left > 0:  # close with paragraphs of 40-120 words (or one shorter one)
        n = left if left <= 120 else min(rng.randint(40, 120), left - 40)
        add(_paragraph(rng, n))
        left = words - count
    text = "\n\n".join(blocks)
    assert _words(text) == words, (_words(text), words)
    return text


def word_ends(text: str) -> list[int]:
    """The end of every word: ``text[:end]`` for each end is one cumulative yield."""
    return [m.end() for m in re.finditer(r"\S+", text)]


def prefixes(text: str) -> list[str]:
    """The cumulative yields of a one-word-at-a-time stream of ``text``."""
    return [text[:end] for end in word_ends(text)]
