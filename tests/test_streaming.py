"""Cumulative yields to small patches (flask_chatbot/conversation/streaming.py, docs/protocol.md `patch`).

The element applies patches to what it shows; these tests apply them the same way
(``Client``) and check that what it ends up with is right, and that the server's work
stays proportional to the reply.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flask_chatbot.conversation.streaming import BIG_TAIL, MessageStream
from flask_chatbot.rendering.code_highlight import code_block_html
from flask_chatbot.rendering.renderer import Renderer, RenderOptions

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "frames.json").read_text(encoding="utf-8"))
RENDERER = Renderer(RenderOptions())
# The characters after which the open block must be re-rendered (docs/protocol.md).
SYNTAX = re.compile(r"[\n*_`~\[\]()!<>&\\|$]")


def render(text: str) -> str:
    return RENDERER.render(text, from_user=False)


class Client:
    """The element's copy of one streaming message: raw text, frozen blocks, tail."""

    def __init__(self) -> None:
        self.text = ""
        self.blocks: list[str] = []
        self.tail = ""
        self.sent_blocks: list[str] = []  # every block HTML ever received, in order
        self.mismatched_blocks_from: list[dict[str, Any]] = []

    def apply(self, patch: dict[str, Any] | None) -> None:
        if patch is None:
            return
        appends_only = patch["keep"] == len(self.text)
        self.text = self.text[: patch["keep"]] + patch["append"]
        if "blocks_from" in patch:
            held = len(self.blocks)
            # blocks_from is the number of blocks held, or 0 when a rewrite changed a frozen block.
            if patch["blocks_from"] != held and (patch["blocks_from"] != 0 or appends_only):
                self.mismatched_blocks_from.append({"held": held, **patch})
            del self.blocks[patch["blocks_from"] :]
            self.blocks += patch["blocks"]
            self.sent_blocks += patch["blocks"]
        if "tail" in patch:
            self.tail = patch["tail"]


def stream(yields: list[str], render_fn: Callable[[str], str] = render) -> tuple[MessageStream, Client, list[dict]]:
    message = MessageStream(render_fn)
    client = Client()
    patches = []
    for value in yields:
        patch = message.update(value)
        client.apply(patch)
        if patch is not None:
            patches.append(patch)
    return message, client, patches


def word_prefixes(text: str) -> list[str]:
    """The cumulative yields of a model that sends one word (with the space before it) at a time."""
    tokens = re.findall(r"\s*\S+|\s+$", text)
    return ["".join(tokens[: i + 1]) for i in range(len(tokens))]


# -- generated Markdown ---------------------------------------------------------------

WORDS = "flask reply stream model token browser server socket answer render block patch python element".split()


def _word(rng: random.Random) -> str:
    w = rng.choice(WORDS)
    return rng.choice(
        [w] * 14
        + [
            f"**{w}**",
            f"*{w}*",
            f"_{w}_",
            f"`{w}()`",
            f"[{w}](https://example.com/{w})",
            f"{w} & co",
            "a<b",
            f"~~{w}~~",
            f"({w})",
            f"{w}!",
            f"{w}_{w}",
            "$5",
            "a|b",
        ]
    )


def _sentence(rng: random.Random, n: int) -> str:
    text = " ".join(_word(rng) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return "\n".join(_sentence(rng, rng.randint(3, 14)) for _ in range(rng.randint(1, 3)))


def _list(rng: random.Random, loose: bool = False) -> str:
    ordered = rng.random() < 0.4
    marker = rng.choice("-*+")
    items = [
        f"{f'{i + 1}.' if ordered else marker} {_sentence(rng, rng.randint(1, 8))}" for i in range(rng.randint(1, 4))
    ]
    if loose and rng.random() < 0.5:
        items[0] += "\n\n    " + _sentence(rng, 4)  # a second paragraph inside the first item
    return ("\n\n" if loose else "\n").join(items)


def _code(rng: random.Random) -> str:
    fence = rng.choice(["```", "~~~", "````"])
    lang = rng.choice(["", "py", "js", "python", "c++"])
    lines = ["x = 1", "if x < 2:", "    print(x)", "a && b", "`tick`", "", "**not bold**", "<div>", "# not a heading"]
    if fence == "````":
        lines.append("```")  # a shorter fence inside a longer one is code
    body = "\n".join(rng.choice(lines) for _ in range(rng.randint(0, 5)))
    return f"{fence}{lang}\n{body}\n{fence}" if body else f"{fence}{lang}\n{fence}"


def _table(rng: random.Random) -> str:
    n = rng.randint(1, 4)
    head = "| " + " | ".join(rng.choice(WORDS) for _ in range(n)) + " |"
    rule = "|" + "|".join(rng.choice(["---", ":--", ":-:", "--:"]) for _ in range(n)) + "|"
    rows = ["| " + " | ".join(_sentence(rng, 1) for _ in range(n)) + " |" for _ in range(rng.randint(1, 3))]
    return "\n".join([head, rule, *rows])


def _heading(rng: random.Random) -> str:
    return "#" * rng.randint(1, 6) + " " + _sentence(rng, rng.randint(1, 5))


def _quote(rng: random.Random) -> str:
    return "\n".join("> " + _sentence(rng, rng.randint(2, 8)) for _ in range(rng.randint(1, 2)))


KINDS: list[Callable[[random.Random], str]] = [
    _paragraph,
    _paragraph,
    _paragraph,
    _list,
    lambda rng: _list(rng, loose=True),
    _code,
    _table,
    _heading,
    _quote,
]


def document(rng: random.Random, *, tight: bool) -> str:
    """Blocks separated by blank lines; ``tight`` also glues some together with a single newline
    (lazy continuation lines, a table right after a paragraph, ...)."""
    kinds: list[Callable[[random.Random], str]] = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.choice(KINDS)
        while not tight and kinds and kind is _quote and kinds[-1] is _quote:
            kind = rng.choice(KINDS)  # quote, blank, quote is one quote: see test_a_quote_...
        kinds.append(kind)
    separators = ["\n\n", "\n\n", "\n\n\n"] + (["\n"] if tight else [])
    text = "".join(kind(rng) + rng.choice(separators) for kind in kinds)
    return text.rstrip("\n") if rng.random() < 0.5 else text


def chunked(rng: random.Random, text: str) -> list[str]:
    """Cumulative yields cut at random places (one character to a third of the text at a time)."""
    if len(text) < 2:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, max(1, len(text) // 8))))
    return [text[:c] for c in cuts] + [text]


def with_rewrites(rng: random.Random, text: str) -> list[str]:
    """Chunked yields where now and then a yield is not an append: junk that the next yield
    takes back, or one character changed anywhere (also inside frozen blocks)."""
    out = []
    for value in chunked(rng, text):
        roll = rng.random()
        if roll < 0.1:
            out.append(value + rng.choice(["junk", " **half", "\n\n- x", "\n```py\nz = 1", "\n\n", "▌"]))
        elif roll < 0.15 and len(value) > 3:
            i = rng.randrange(len(value) - 1)
            out.append(value[:i] + "Z" + value[i + 1 :])
        out.append(value)
    return out


# -- (1) the canonical streams both test suites read ----------------------------------


@pytest.mark.parametrize("canonical", FIXTURE["streams"], ids=lambda s: s["name"])
def test_canonical_streams_are_reproduced_exactly(canonical: dict[str, Any]) -> None:
    renderer = Renderer(RenderOptions())
    message = MessageStream(lambda t: renderer.render(t, from_user=False))
    produced = [p for p in (message.update(value) for value in canonical["yields"]) if p is not None]
    expected = [
        {k: v for k, v in frame.items() if k not in ("type", "id")}
        for frame in canonical["frames"]
        if frame["type"] == "patch"
    ]
    assert produced == expected
    assert message.text == canonical["final_content"]
    assert message.finish() == canonical["final_html"]
    assert canonical["frames"][-1]["html"] == canonical["final_html"]


# -- (2) properties over generated documents ------------------------------------------

DOCS = 30


@dataclass(frozen=True)
class Run:
    seed: int
    text: str
    yields: list[str]
    patches: list[dict[str, Any] | None]  # what update() returned for each yield
    final_html: str


@functools.cache
def runs(*, tight: bool, rewrites: bool) -> list[Run]:
    """Streams of generated documents, rendered once and shared by the property tests."""
    out = []
    for seed in range(DOCS):
        rng = random.Random(seed)
        text = document(rng, tight=tight)
        yields = with_rewrites(rng, text) if rewrites else chunked(rng, text)
        message = MessageStream(render)
        patches = [message.update(value) for value in yields]
        out.append(Run(seed, text, yields, patches, message.finish()))
    return out


@pytest.mark.parametrize("rewrites", [False, True], ids=["appends", "rewrites"])
def test_patches_rebuild_the_text_and_the_blocks_the_client_holds(rewrites: bool) -> None:
    # Rewrites on documents glued with single newlines too; appends on the shared documents.
    for run in runs(tight=rewrites, rewrites=rewrites):
        client = Client()
        for value, patch in zip(run.yields, run.patches, strict=False):
            client.apply(patch)
            assert client.text == value, f"seed {run.seed}"
        assert client.mismatched_blocks_from == [], f"seed {run.seed}: {run.text!r}"
        assert run.final_html == render(run.text), f"seed {run.seed}"


def test_no_patch_when_nothing_changed() -> None:
    message = MessageStream(render)
    assert message.update("Hello") is not None
    assert message.update("Hello") is None
    assert MessageStream(render).update("") is None
    assert MessageStream(render).finish() == ""


def test_frozen_blocks_are_what_the_final_message_starts_with() -> None:
    # What the user watched while streaming stays in place when `done` replaces it.
    for run in runs(tight=False, rewrites=False):
        client = Client()
        for patch in run.patches:
            client.apply(patch)
        shown = "\n".join(block for block in client.blocks if block)  # an empty block shows nothing
        assert run.final_html.startswith(shown), f"seed {run.seed}: {run.text!r}\nblocks: {client.blocks}"


def test_plain_text_sent_as_tail_text_renders_as_itself() -> None:
    # tail_text goes in as a text node: outside code it must hold no Markdown syntax.
    for run in runs(tight=False, rewrites=False):
        client = Client()
        for patch in run.patches:
            client.apply(patch)
            piece = (patch or {}).get("tail_text", "")
            in_code = client.tail.endswith("</code></pre></div>")
            assert in_code or not SYNTAX.search(piece), f"seed {run.seed}: {piece!r} after {client.tail!r}"


def test_an_edit_inside_a_frozen_block_resets_the_blocks() -> None:
    message, client, _ = stream(word_prefixes("First paragraph.\n\nSecond paragraph.\n\nThird"))
    assert client.blocks == ["<p>First paragraph.</p>", "<p>Second paragraph.</p>"]
    patch = message.update("Fixed paragraph.\n\nSecond paragraph.\n\nThird")
    assert patch is not None
    assert (patch["keep"], patch["append"][:5], patch["blocks_from"]) == (2, "xed p", 0)
    client.apply(patch)
    client.apply(message.update("Fixed paragraph.\n\nSecond paragraph.\n\nThird and last"))
    assert client.mismatched_blocks_from == []
    assert "".join(client.blocks) == "<p>Fixed paragraph.</p>\n<p>Second paragraph.</p>"


# -- (3) frozen blocks are rendered and sent once --------------------------------------


def test_each_frozen_block_is_sent_once_and_never_again() -> None:
    for run in runs(tight=False, rewrites=False):
        client = Client()
        for patch in run.patches:
            client.apply(patch)
        assert client.sent_blocks == client.blocks, f"seed {run.seed}: a block was sent again or dropped"


def _echo_stream(yields: list[str]) -> list[tuple[str, list[str], list[str], int]]:
    """Stream with a render function that returns its input, so each block *is* its source
    text. Returns every update as (value, blocks after it, its render calls, frozen length before)."""
    calls: list[str] = []

    def echo(source: str) -> str:
        calls.append(source)
        return source

    message = MessageStream(echo)
    client = Client()
    steps = []
    for value in yields:
        before, frozen_before = len(calls), len("".join(client.blocks))
        client.apply(message.update(value))
        steps.append((value, list(client.blocks), calls[before:], frozen_before))
    return steps


@pytest.mark.parametrize("rewrites", [False, True], ids=["appends", "rewrites"])
def test_frozen_blocks_are_consecutive_pieces_of_the_current_text(rewrites: bool) -> None:
    for seed in range(DOCS):
        rng = random.Random(seed)
        text = document(rng, tight=True)
        steps = _echo_stream(with_rewrites(rng, text) if rewrites else chunked(rng, text))
        for value, blocks, _, _ in steps:
            assert value.startswith("".join(blocks)), f"seed {seed}: stale blocks {blocks} for {value!r}"


def test_frozen_text_is_never_rendered_again() -> None:
    fence = re.compile(r"(`{3,}|~{3,})$")
    for seed in range(DOCS):
        rng = random.Random(seed)
        steps = _echo_stream(chunked(rng, document(rng, tight=True)))
        for value, blocks, calls, frozen_before in steps:
            frozen_now = len("".join(blocks))
            for source in calls:
                # A render starts where the blocks ended (the new block) or end now (the tail);
                # a code tail is rendered with a closing fence added.
                assert any(
                    value.startswith(s, at)
                    for s in (source, fence.sub("", source))
                    for at in (frozen_before, frozen_now)
                ), f"seed {seed}: rendered {source!r} again"


# -- (4) the work stays linear in the length of the reply -------------------------------


def _long_reply(rng: random.Random, words: int) -> str:
    """Prose paragraphs of 40-120 words with light inline markup, some lists, some code."""
    vocabulary = (
        "the a server sends each reply as small patches so browser shows text while model is "
        "still writing frozen blocks are rendered once tail grows word by word until"
    ).split()

    def prose(n: int) -> str:
        out = []
        for i in range(n):
            w = rng.choice(vocabulary)
            roll = rng.random()
            if roll < 0.02:
                w = f"**{w}**"
            elif roll < 0.03:
                w = f"`{w}`"
            elif roll < 0.04:
                w = f"[{w}](https://example.com/{w})"
            if rng.random() < 0.08 or i == n - 1:
                w += "."
            out.append(w)
        return " ".join(out)

    blocks, count = [], 0
    while count < words:
        roll = rng.random()
        if roll < 0.75:
            n = rng.randint(40, 120)
            blocks.append(prose(n))
        elif roll < 0.9:
            items = [prose(rng.randint(4, 12)) for _ in range(rng.randint(2, 5))]
            blocks.append("\n".join("- " + item for item in items))
            n = sum(len(item.split()) for item in items)
        else:
            lines = ["x = compute(a, b)", "for i in range(10):", "    total += i * 2", "print(total)"]
            body = "\n".join(rng.choice(lines) for _ in range(rng.randint(2, 8)))
            blocks.append(f"```python\n{body}\n```")
            n = len(body.split())
        count += n
    return "\n\n".join(blocks)


def _stream_counting(yields: list[str]) -> tuple[int, int, MessageStream, Client]:
    """Stream ``yields``; count the render calls and the characters they rendered."""
    calls, characters = 0, 0

    def counting(source: str) -> str:
        nonlocal calls, characters
        calls += 1
        characters += len(source)
        return render(source)

    message = MessageStream(counting)
    client = Client()
    for value in yields:
        client.apply(message.update(value))
    return calls, characters, message, client


def test_streaming_a_long_reply_word_by_word_renders_each_character_a_few_times() -> None:
    text = _long_reply(random.Random(7), 2000)
    yields = word_prefixes(text)
    assert len(yields) > 2000
    calls, characters, _, client = _stream_counting(yields)
    # Rendering the whole text on every yield would be ~len(text) * len(yields) / 2;
    # re-rendering it (not just the open block) on every bit of syntax ~100x len(text).
    assert characters <= 4 * len(text), f"{characters} characters rendered for a {len(text)}-character reply"
    assert calls * 5 <= len(yields), f"{calls} renders for {len(yields)} yields"
    assert client.text == text


def test_one_huge_paragraph_streamed_word_by_word_stays_linear() -> None:
    rng = random.Random(3)
    words: list[str] = []
    length = 0
    while length < 20_000:
        word = rng.choice(WORDS)
        words.append(f"**{word}**" if rng.random() < 0.1 else word)  # syntax keeps the tail re-rendering
        length += len(words[-1]) + 1
    text = " ".join(words)
    assert "\n" not in text and len(text) > 5 * BIG_TAIL
    calls, characters, message, client = _stream_counting(word_prefixes(text))
    # Past BIG_TAIL the tail is re-rendered only after growing by a quarter: renders of sizes
    # growing by 1.25x add up to at most 5x the text, plus the part below BIG_TAIL.
    # Re-rendering the paragraph on every ** would be about 140x.
    assert characters <= 7 * len(text), f"{characters} characters rendered for {len(text)}"
    assert calls <= 60, f"{calls} renders"
    assert client.text == text
    assert message.finish() == render(text)


# -- (5) fences -------------------------------------------------------------------------


def test_a_partial_closing_fence_is_not_shown_as_code() -> None:
    message = MessageStream(render)
    client = Client()
    code_text = ""
    for value in ["```py\n", "```py\nx = 1\n", "```py\nx = 1\n`", "```py\nx = 1\n``", "```py\nx = 1\n```"]:
        patch = message.update(value)
        client.apply(patch)
        code_text += (patch or {}).get("tail_text", "")
        assert "`" not in code_text, f"after {value!r} the code shows {code_text!r}"
    assert client.tail == code_block_html("", "py")
    assert code_text == "x = 1\n"
    patch = message.update("```py\nx = 1\n```\n")
    assert patch is not None
    assert patch["blocks"] == [code_block_html("x = 1\n", "py")]


def test_backticks_that_turn_out_not_to_be_a_fence_are_shown() -> None:
    message = MessageStream(render)
    code_text = ""
    for value in ["```py\n", "```py\n``", "```py\n``x", "```py\n``x\n"]:
        code_text += (message.update(value) or {}).get("tail_text", "")
    assert code_text == "``x\n"


def test_a_shorter_fence_inside_a_longer_one_is_code() -> None:
    message = MessageStream(render)
    client = Client()
    code_text = ""
    for value in word_prefixes("````md\n```\ninner\n```\n````\n"):
        patch = message.update(value)
        client.apply(patch)
        code_text += (patch or {}).get("tail_text", "")
    assert code_text == "```\ninner\n```\n"
    assert client.blocks == [code_block_html("```\ninner\n```\n", "md")]


# -- what the element shows while streaming stays what `done` will show -------------------


@pytest.mark.parametrize(
    "text",
    [
        # Python-Markdown puts a quote after a blank line into the quote before it.
        "> first thought\n\n> second thought\n\nAfter.",
        # A lazy continuation line is still part of the list item; the next item continues the list.
        "- one\ncontinued\n\n- two\n\nAfter.",
    ],
    ids=["quote-blank-quote", "list-with-lazy-line"],
)
def test_blocks_frozen_while_streaming_match_the_final_rendering(text: str) -> None:
    _, client, _ = stream(word_prefixes(text))
    shown = "\n".join(block for block in client.blocks if block)
    assert render(text).startswith(shown), f"streamed blocks {client.blocks}\nfinal {render(text)!r}"


def test_blank_lines_after_a_code_block_do_not_freeze_an_empty_block() -> None:
    # Tokens as in tests/fixtures/regenerate.py: white space arrives apart from words.
    tokens = re.findall(r"\s+|\S+", "```py\nx = 1\n```\n\n\nNext paragraph.\n\nMore")
    _, client, _ = stream(["".join(tokens[: i + 1]) for i in range(len(tokens))])
    assert "" not in client.blocks, client.blocks
    assert client.blocks == [code_block_html("x = 1\n", "py"), "<p>Next paragraph.</p>"]


def test_a_typing_cursor_does_not_change_how_blocks_are_frozen() -> None:
    # Gradio demos often yield `partial + "▌"`: every yield takes back the cursor of the last.
    text = "Steps:\n\n1. one\n\n    more about one\n\n2. two\n\nDone."
    _, client, patches = stream([value + "▌" for value in word_prefixes(text)] + [text])
    shown = [p["tail"] for p in patches if "tail" in p] + client.sent_blocks
    assert not [html for html in shown if "<pre>" in html], "the list item's second paragraph was shown as code"
    assert render(text).startswith("\n".join(b for b in client.blocks if b)), client.blocks
