"""Markdown to safe HTML (flask_chatbot/rendering/renderer.py): what a message looks like on screen."""

from __future__ import annotations

import threading
from html.parser import HTMLParser

import pytest

from flask_chatbot.rendering.math import MATHML_TAGS
from flask_chatbot.rendering.renderer import ALLOWED_TAGS, Renderer, RenderOptions

BOT = Renderer(RenderOptions())


def bot(text: str) -> str:
    return BOT.render(text, from_user=False)


def user(text: str) -> str:
    return BOT.render(text, from_user=True)


class _Elements(HTMLParser):
    """Every start tag of a piece of HTML, as the browser's parser would see it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe(html: str, tags: frozenset[str] = ALLOWED_TAGS) -> None:
    """Nothing in ``html`` can run script, load a frame, or restyle the page."""
    for tag, attrs in elements(html):
        assert tag in tags, f"<{tag}> is not allowed: {html}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} kept: {html}"
            assert name not in ("style", "srcdoc", "formaction"), f"{name} kept: {html}"
            if name in ("href", "src"):
                scheme = (value or "").strip().split(":", 1)[0].lower() if ":" in (value or "") else ""
                assert scheme in ("", "http", "https", "mailto"), f"{name}={value!r} kept: {html}"


# -- Markdown ---------------------------------------------------------------------


def test_fenced_code_is_a_code_block_with_its_language_class() -> None:
    html = bot("Look:\n\n```python\nif x < 2:\n    print(x)\n```")
    assert '<div class="code-block" data-language="python"><div class="code-header">' in html
    assert '<pre><code class="language-python"><span class="k">if</span> x <span class="o">&lt;</span>' in html


def test_tilde_fences_and_fences_without_language_are_code_blocks_too() -> None:
    assert '<pre><code class="language-js"><span class="k">let</span> a' in bot("~~~js\nlet a = 1\n~~~")
    assert bot("```\n**not bold**\n```") == (
        '<div class="code-block" data-language=""><div class="code-header"></div><pre><code>**not bold**\n</code></pre></div>'
    )


def test_tables_align_columns_with_align_attributes_never_style() -> None:
    html = bot("| left | mid | right |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert '<th align="left">left</th>' in html
    assert '<th align="center">mid</th>' in html
    assert '<td align="right">3</td>' in html
    # The element runs under style-src 'self': an inline style would be refused and the
    # column would silently lose its alignment.
    assert "style=" not in html


def test_lists_unordered_ordered_and_with_a_start_number() -> None:
    assert bot("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert bot("1. a\n2. b") == "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"
    assert bot("3. c\n4. d") == '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'


def test_headings() -> None:
    assert bot("# One\n## Two\n###### Six") == "<h1>One</h1>\n<h2>Two</h2>\n<h6>Six</h6>"


def test_inline_markup() -> None:
    assert bot("**bold** *em* `code` ~~x~~") == "<p><strong>bold</strong> <em>em</em> <code>code</code> ~~x~~</p>"


def test_a_single_newline_is_a_line_break_by_default() -> None:
    assert bot("first line\nsecond line") == "<p>first line<br>\nsecond line</p>"


def test_line_breaks_false_keeps_soft_breaks_inside_the_paragraph() -> None:
    renderer = Renderer(RenderOptions(line_breaks=False))
    assert renderer.render("first line\nsecond line", from_user=False) == "<p>first line\nsecond line</p>"
    assert renderer.render("first line\nsecond line", from_user=True) == "<p>first line\nsecond line</p>"


def test_render_markdown_false_shows_the_text_as_typed() -> None:
    renderer = Renderer(RenderOptions(render_markdown=False))
    text = "**not bold** <b>no tag</b> & co\n# not a heading"
    expected = "<p>**not bold** &lt;b&gt;no tag&lt;/b&gt; &amp; co<br>\n# not a heading</p>"
    assert renderer.render(text, from_user=False) == expected
    assert renderer.render(text, from_user=True) == expected
    assert renderer.render("", from_user=False) == ""


# -- sanitization ------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "before <script>alert(1)</script> after",
    '<img src="x" onerror="alert(1)">',
    '<div onclick="steal()" onmouseover="steal()">hover me</div>',
    '<svg onload="alert(1)"></svg>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "<style>body { display: none }</style>",
    '<p style="position: fixed; inset: 0">cover the page</p>',
    '<span style="color: red">red</span>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><button formaction="https://evil.example">go</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0; url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_assistant_html_is_neutralised(text: str) -> None:
    assert_safe(bot(text), ALLOWED_TAGS | MATHML_TAGS)


@pytest.mark.parametrize("text", HOSTILE)
def test_user_html_is_neutralised(text: str) -> None:
    assert_safe(user(text))


def test_a_disallowed_tag_is_removed_and_its_text_kept_but_script_goes_whole() -> None:
    # As a browser would show it: unknown tags vanish, their words stay; script never shows.
    assert bot("<marquee>keep</marquee> and <script>alert(1)</script>") == "<p>keep and </p>"


def test_allowed_html_in_assistant_text_is_kept_without_its_dangerous_attributes() -> None:
    assert bot('<b onclick="x()">bold</b>') == "<p><b>bold</b></p>"
    assert bot("<details><summary>More</summary>hidden</details>") == (
        "<details><summary>More</summary>hidden</details>"
    )


def test_raw_html_in_user_text_is_shown_as_text_never_as_tags() -> None:
    html = user('<b>bold</b> <img src="x" onerror="alert(1)"> **md**')
    assert [tag for tag, _ in elements(html)] == ["p", "strong"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;img" in html


def test_user_html_blocks_are_text_too() -> None:
    html = user('<div onclick="x()">\nhello\n</div>')
    assert [tag for tag, _ in elements(html)] == ["p", "br", "br"]
    assert "&lt;div onclick=" in html


def test_links_open_in_a_new_tab_without_a_handle_on_the_page() -> None:
    expected = '<a href="https://flask.palletsprojects.com" target="_blank" rel="noopener noreferrer">Flask</a>'
    assert expected in bot("[Flask](https://flask.palletsprojects.com)")
    assert expected in user("[Flask](https://flask.palletsprojects.com)")
    raw = bot('<a href="https://flask.palletsprojects.com" target="_self" rel="opener">Flask</a>')
    assert expected in raw
    assert '<a href="https://example.com" target="_blank" rel="noopener noreferrer">' in bot("<https://example.com>")


def test_a_link_whose_href_was_removed_gets_no_target() -> None:
    assert bot("[click](javascript:alert(1))") == "<p><a>click</a></p>"


def test_code_elements_keep_only_language_classes() -> None:
    assert bot('<code class="language-py">x</code>') == '<p><code class="language-py">x</code></p>'
    assert bot('<code class="hljs">x</code>') == "<p><code>x</code></p>"
    # One class that is not a language takes the whole attribute with it.
    assert bot('<code class="language-py evil">x</code>') == "<p><code>x</code></p>"
    assert bot('<span class="evil">x</span>') == "<p><span>x</span></p>"
    assert bot('<pre class="evil"><code>y</code></pre>') == "<pre><code>y</code></pre>"


def test_allow_tags_extends_the_allowlist_for_assistant_text() -> None:
    text = '<ruby onclick="alert(1)">漢<rt>kan</rt></ruby>'
    assert bot(text) == "<p>漢kan</p>"
    renderer = Renderer(RenderOptions(allow_tags=("ruby", "rt")))
    assert renderer.render(text, from_user=False) == "<p><ruby>漢<rt>kan</rt></ruby></p>"
    # Still neither event handlers nor raw HTML from the user.
    assert (
        renderer.render(text, from_user=True)
        == '<p>&lt;ruby onclick="alert(1)"&gt;漢&lt;rt&gt;kan&lt;/rt&gt;&lt;/ruby&gt;</p>'
    )
    assert_safe(renderer.render('<script>x</script><iframe src="https://e"></iframe>', from_user=False))


def test_sanitize_html_false_leaves_assistant_html_alone() -> None:
    renderer = Renderer(RenderOptions(sanitize_html=False))
    html = renderer.render('<span style="color: red">red</span> <video controls>v</video>', from_user=False)
    assert html == '<p><span style="color: red">red</span> <video controls>v</video></p>'


def test_sanitize_html_false_still_shows_user_html_as_text() -> None:
    renderer = Renderer(RenderOptions(sanitize_html=False))
    html = renderer.render('<img src="x" onerror="alert(1)"> <script>alert(1)</script>', from_user=True)
    assert [tag for tag, _ in elements(html)] == ["p"]
    assert_safe(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- threads -------------------------------------------------------------------------


def test_one_renderer_gives_correct_results_from_many_threads_at_once() -> None:
    texts = [
        ("# Title\n\nSome **bold** text\nand a [link](https://example.com).", False),
        ("| a | b |\n|:-|-:|\n| 1 | 2 |", False),
        ("```py\nx = 1\n```\n\n- one\n- two", False),
        ("<b>user</b> says *hi*\nsecond line", True),
        ('<img src=x onerror="alert(1)"> <i>ok</i>', False),
    ]
    renderer = Renderer(RenderOptions())
    expected = [Renderer(RenderOptions()).render(t, from_user=u) for t, u in texts]
    threads_count, rounds = 8, 40
    start = threading.Barrier(threads_count, timeout=10)
    results: list[list[str]] = [[] for _ in range(threads_count)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for r in range(rounds):
                # Each thread walks the texts in its own order, so different texts and
                # both user and assistant rendering overlap in time.
                text, from_user = texts[(index + r) % len(texts)]
                results[index].append(renderer.render(text, from_user=from_user))
        except BaseException as exc:  # noqa: BLE001, surfaced below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for index, got in enumerate(results):
        assert got == [expected[(index + r) % len(texts)] for r in range(rounds)]
