"""Fenced code, highlighted on the server (flask_chatbot/rendering/code_highlight.py, webcomponent/view/code.css)."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name
from test_rendering_bounds import GROWTH_LIMIT, growth, parse

from flask_chatbot.conversation.streaming import MessageStream
from flask_chatbot.rendering.code_highlight import (
    CLASS_NAMES,
    LANGUAGES,
    MAX_HIGHLIGHTED_CHARS,
    code_block_html,
    stylesheet,
)
from flask_chatbot.rendering.renderer import ALLOWED_TAGS, Renderer, RenderOptions

BOT = Renderer(RenderOptions())
CSS = Path(__file__).parent.parent / "webcomponent" / "view" / "code.css"


def bot(text: str) -> str:
    return BOT.render(text, from_user=False)


def user(text: str) -> str:
    return BOT.render(text, from_user=True)


def code_text(out: str) -> str:
    """What the reader sees (and the copy button copies) inside <code>."""
    inner = re.search(r"<code[^>]*>(.*)</code>", out, re.DOTALL)
    assert inner, out
    return html.unescape(re.sub(r"</?span[^>]*>", "", inner.group(1)))


# -- the HTML of a block ----------------------------------------------------------------------


def test_a_python_block_is_highlighted_with_pygments_classes_under_a_header_naming_it() -> None:
    out = bot('Look:\n\n```python\nif x < 2:\n    print("a")  # hi\n```')
    assert out == (
        "<p>Look:</p>\n"
        '<div class="code-block" data-language="python"><div class="code-header"><span class="code-language">python'
        '</span></div><pre><code class="language-python"><span class="k">if</span> x <span class="o">&lt;</span> '
        '<span class="m">2</span>:\n    <span class="nb">print</span>(<span class="s">"a"</span>)  '
        '<span class="c"># hi</span>\n</code></pre></div>'
    )


def test_a_block_without_a_language_has_an_empty_header_and_no_highlighting() -> None:
    expected = '<div class="code-block" data-language=""><div class="code-header"></div><pre><code>**not bold** &lt;b&gt;\n</code></pre></div>'
    assert bot("```\n**not bold** <b>\n```") == expected
    assert user("~~~\n**not bold** <b>\n~~~") == expected


def test_an_unknown_language_is_named_but_not_highlighted() -> None:
    assert bot("```klingon\nqapla' <x>\n```") == (
        '<div class="code-block" data-language="klingon"><div class="code-header"><span class="code-language">klingon'
        '</span></div><pre><code class="language-klingon">qapla\' &lt;x&gt;\n</code></pre></div>'
    )


def test_tilde_fences_and_the_attribute_form_name_the_language_too() -> None:
    for text in ("~~~js\nlet a = 1\n~~~", "```{.js}\nlet a = 1\n```", "``` js\nlet a = 1\n```"):
        out = bot(text)
        assert out.startswith('<div class="code-block" data-language="js">'), out
        assert '<span class="k">let</span>' in out


def test_a_language_name_that_is_not_a_plain_word_is_dropped() -> None:
    out = code_block_html("x", 'py" onclick="alert(1)')
    assert (
        out == '<div class="code-block" data-language=""><div class="code-header"></div><pre><code>x</code></pre></div>'
    )


@pytest.mark.parametrize(
    "language", ["python", "js", "ts", "bash", "json", "html", "css", "sql", "c", "rust", "go", "diff", "yaml"]
)
def test_highlighted_code_reads_exactly_as_typed_with_only_known_classes(language: str) -> None:
    code = 'def f(a, b="<s>&amp;"):\n    # tab & "quotes" \'x\' `y` \\n {}\n\n  return a <= b  // $x /* c */\n\n'
    for text, shown in ((f"```{language}\n{code}```", code), (f"```{language}\n{code}", code.rstrip("\n") + "\n")):
        out = bot(text)
        assert code_text(out) == shown, out
        assert set(re.findall(r'<span class="([^"]*)"', out)) <= CLASS_NAMES | {"code-language"}
        assert set(parse(out).tags) <= ALLOWED_TAGS
        assert "style=" not in out


def test_every_listed_language_is_one_pygments_knows() -> None:
    for name, alias in LANGUAGES.items():
        if alias is not None:
            assert get_lexer_by_name(alias), name


# -- fences that never close -------------------------------------------------------------------


def test_an_unclosed_fence_is_code_to_the_end_of_the_message() -> None:
    out = bot("Here:\n\n```py\nx = 1\n**y**")
    assert out.startswith("<p>Here:</p>\n")
    assert code_text(out) == "x = 1\n**y**\n"
    assert "<strong>" not in out


def test_a_fence_opened_inside_an_unclosed_one_is_just_code() -> None:
    # As a streaming reply reads it (and CommonMark): the first fence is still open.
    out = bot("~~~a\nfoo\n```\nbar\n```")
    assert out.count('class="code-block"') == 1
    assert code_text(out) == "foo\n```\nbar\n```\n"


def test_a_closed_block_then_an_unclosed_one() -> None:
    out = bot("```\none\n```\ntext\n\n```sh\nls -l")
    assert out == (
        '<div class="code-block" data-language=""><div class="code-header"></div><pre><code>one\n</code></pre></div>\n'
        "<p>text</p>\n"
        '<div class="code-block" data-language="sh"><div class="code-header"><span class="code-language">sh</span>'
        '</div><pre><code class="language-sh">ls -l\n</code></pre></div>'
    )


def test_a_streaming_block_is_an_empty_code_element_growing_by_text_then_highlighted_when_closed() -> None:
    message = MessageStream(lambda text: bot(text))
    message.update("Run:\n\n")
    patch = message.update("Run:\n\n```py\n")
    assert patch is not None and patch["tail"].endswith('<pre><code class="language-py"></code></pre></div>')
    patch = message.update("Run:\n\n```py\nx = 1\n")
    assert patch is not None and patch["tail_text"] == "x = 1\n"  # appended inside <code> by the element
    patch = message.update("Run:\n\n```py\nx = 1\n```\n")
    assert patch is not None
    assert patch["blocks"][-1].startswith('<div class="code-block" data-language="py">')
    assert '<span class="m">1</span>' in patch["blocks"][-1]


# -- size and time -------------------------------------------------------------------------------


def python_code(n: int) -> str:
    lines = [f'def f_{i}(x, y=[1, 2]):\n    return x * {i} + y[0]  # "note"' for i in range(n // 40 + 1)]
    return "\n".join(lines)[:n]


def test_a_block_over_the_limit_is_shown_unhighlighted_within_its_budget(caplog: pytest.LogCaptureFixture) -> None:
    code = python_code(MAX_HIGHLIGHTED_CHARS + 1000)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        big = bot(f"```python\n{code}\n```")
        limit = bot(f"```python\n{code[: MAX_HIGHLIGHTED_CHARS - 100]}\n```")
    assert '<span class="k">' not in big and code_text(big) == code + "\n"
    assert '<span class="k">def</span>' in limit and code_text(limit) == code[: MAX_HIGHLIGHTED_CHARS - 100] + "\n"
    assert "budget" not in caplog.text


@pytest.mark.parametrize(
    "make",
    [
        lambda n: f"```python\n{python_code(n)}\n```",
        lambda n: "".join(f"```js\nlet a{i} = {i}\n```\n" for i in range(n // 20 + 1))[:n],
        lambda n: "```c\n" + "/*" * (n // 2),  # an unclosed comment, in an unclosed fence
        lambda n: "```html\n" + '<a b="' * (n // 6),
    ],
    ids=["one long block", "many blocks", "unclosed comment", "unclosed attributes"],
)
def test_highlighting_takes_time_linear_in_the_code(make, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        small, large, ratio = growth(Renderer(RenderOptions()), make, 1500, False)
    assert ratio < GROWTH_LIMIT, f"{small * 1000:.1f} ms, then {large * 1000:.1f} ms"
    assert "budget" not in caplog.text


# -- the sanitizer lets exactly these through ----------------------------------------------------


def test_a_reply_may_use_the_code_classes_but_no_others() -> None:
    assert (
        bot('<span class="k">if</span><span class="evil">x</span>') == '<p><span class="k">if</span><span>x</span></p>'
    )
    assert (
        bot('<div class="code-block" data-language="c++">x</div>')
        == '<div class="code-block" data-language="c++">x</div>'
    )
    assert bot('<div class="hero" data-language="a b" data-x="1">x</div>') == "<div>x</div>"
    assert bot('<div data-language="javascript:alert(1)">x</div>') == "<div>x</div>"


# -- code.css ---------------------------------------------------------------------------------------


def test_code_css_is_the_generated_stylesheet_small_enough_for_the_cold_page() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert css == stylesheet(), "regenerate webcomponent/view/code.css with code_highlight.stylesheet()"
    assert len(css.encode()) < 3000
    assert "url(" not in css


def test_code_css_colours_every_class_in_a_light_and_a_dark_palette() -> None:
    css = CSS.read_text(encoding="utf-8")
    light = re.search(r"^:host\{([^}]*)\}", css, re.MULTILINE)
    media = re.search(r"@media \(prefers-color-scheme:dark\)\{:host\(:not\(\[theme=light\]\)\)\{([^}]*)\}\}", css)
    forced = re.search(r"^:host\(\[theme=dark\]\)[^{]*\{([^}]*)\}", css, re.MULTILINE)
    assert light and media and forced
    assert media.group(1) == forced.group(1) != light.group(1)
    for cls in CLASS_NAMES - {"ge", "gs"}:  # emphasis and strong keep the text's colour
        assert f".{cls}{{color:var(--hl-{cls})}}" in css
        for palette in (light.group(1), media.group(1)):
            assert re.search(rf"--hl-{cls}:#[0-9a-f]{{3,6}}\b", palette), cls
