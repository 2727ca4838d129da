"""HTML in messages (flask_chatbot/rendering/renderer.py): the allowlist, tags removed with their text
kept, user text never HTML, sanitize_html=False, and HTML components with inline styles."""

from __future__ import annotations

import logging

import pytest
from test_rendering import assert_safe, elements
from test_rendering_bounds import GROWTH_LIMIT, cpu, growth

from flask_chatbot.rendering.html_component import clean_html_component
from flask_chatbot.rendering.renderer import ALLOWED_TAGS, Renderer, RenderOptions, _drop_hidden_elements

BOT = Renderer(RenderOptions())


def bot(text: str) -> str:
    return BOT.render(text, from_user=False)


def user(text: str) -> str:
    return BOT.render(text, from_user=True)


# -- tags outside the allowlist ------------------------------------------------------------------


def test_a_tag_outside_the_allowlist_is_removed_and_its_text_kept() -> None:
    assert bot("Use <thinking>hmm</thinking> and <foo bar=1>baz</foo>") == "<p>Use hmm and baz</p>"
    assert bot('<form action="https://evil.example"><button>Go</button></form>') == "Go"


def test_script_and_style_are_removed_with_their_content() -> None:
    assert bot("before <script>alert(1)</script> after") == "<p>before  after</p>"
    assert bot("x <style>p{}</style> y <STYLE type=x>q</STYLE > z <template><b>t</b></template>") == "<p>x  y  z </p>"
    assert bot("<noscript>n</noscript><iframe>i</iframe><title>t</title>ok") == "\n\n<p>ok</p>"


def test_an_unclosed_script_tag_in_prose_loses_only_the_tag() -> None:
    # A browser would hide everything after it; here only the tag goes.
    assert bot("Put it in a <script> tag, then <style> one.") == "<p>Put it in a  tag, then  one.</p>"


def test_user_html_is_still_shown_as_typed() -> None:
    assert user("<thinking>x</thinking> <script>alert(1)</script>") == (
        "<p>&lt;thinking&gt;x&lt;/thinking&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_an_entity_the_user_typed_shows_as_typed() -> None:
    out = user("AT&amp;T &copy; &#169; `&amp;` & co")
    assert out == "<p>AT&amp;amp;T &amp;copy; &amp;#169; <code>&amp;amp;</code> &amp; co</p>"
    assert bot("AT&amp;T &copy;") == "<p>AT&amp;T &copy;</p>"  # a reply's HTML entities are HTML


# -- the harmless HTML models and Gradio demos write ----------------------------------------------------


def test_formatting_tags_are_kept() -> None:
    text = (
        "<details open><summary>More</summary>hidden <kbd>Ctrl</kbd> <mark>m</mark> <u>u</u> <s>s</s> "
        "<del>d</del> <ins>i</ins> H<sub>2</sub>O x<sup>2</sup></details>"
    )
    assert bot(text) == text
    assert bot("<center><h1>Title</h1></center>") == "<center><h1>Title</h1></center>"


def test_audio_and_video_keep_their_controls_and_load_nothing_before_play() -> None:
    assert bot('<audio controls src="/static/a.mp3" autoplay onplay="x()"></audio>') == (
        '<p><audio controls src="/static/a.mp3" preload="none"></audio></p>'
    )
    listed = Renderer(RenderOptions(image_hosts=("cdn.example",)))
    assert listed.render(
        '<video controls width="320"><source src="https://cdn.example/v.mp4" type="video/mp4"></video>', from_user=False
    ) == (
        '<video controls width="320" preload="none"><source src="https://cdn.example/v.mp4" type="video/mp4"></video>'
    )
    # Not listed: nothing loads from it; the reader gets a link after the player.
    assert bot('<video controls width="320"><source src="https://cdn.example/v.mp4" type="video/mp4"></video>') == (
        '<video controls width="320" preload="none"></video><a href="https://cdn.example/v.mp4" target="_blank" '
        'rel="noopener noreferrer">https://cdn.example/v.mp4</a>'
    )


@pytest.mark.parametrize("src", ["javascript:alert(1)", "data:audio/wav;base64,AAAA", "vbscript:x", " JaVaScRiPt:x"])
def test_media_urls_are_http_https_or_relative(src: str) -> None:
    out = bot(f'<video controls src="{src}"><source src="{src}"></video>')
    assert out == '<video controls preload="none"></video>'


def test_a_poster_image_follows_the_image_hosts_rule() -> None:
    text = '<video controls poster="https://img.example/p.png" src="https://cdn.example/v.mp4"></video>'
    assert "poster" not in bot(text)
    allowed = Renderer(RenderOptions(image_hosts=("img.example",))).render(text, from_user=False)
    assert 'poster="https://img.example/p.png"' in allowed


@pytest.mark.parametrize(
    "text",
    [
        '<video controls src="x" onerror="alert(1)" autoplay><track src="x" kind="subtitles"></video>',
        '<details ontoggle="alert(1)" open><summary onclick="x()">s</summary></details>',
        '<center style="position:fixed" class="x" id="y">c</center>',
        '<img src="/a.png" onerror="alert(1)" style="z-index: 9">',
    ],
)
def test_the_new_tags_carry_no_handlers_styles_or_ids(text: str) -> None:
    out = bot(text)
    assert_safe(out)
    assert not {name for _, attrs in elements(out) for name in attrs} & {"style", "id", "class", "autoplay"}


# -- sanitize_html=False ---------------------------------------------------------------------------


def test_links_open_in_a_new_tab_even_when_html_is_not_sanitized() -> None:
    renderer = Renderer(RenderOptions(sanitize_html=False))
    out = renderer.render(
        '[a](https://a.example) <a href="https://b.example" target="_self" rel="opener">b</a>', from_user=False
    )
    assert out == (
        '<p><a href="https://a.example" target="_blank" rel="noopener noreferrer">a</a> '
        '<a href="https://b.example" target="_blank" rel="noopener noreferrer">b</a></p>'
    )
    assert renderer.render("AT&amp;T &lt;b&gt;", from_user=False) == "<p>AT&amp;T &lt;b&gt;</p>"


# -- HTML made here (code, math) is put back only as text ------------------------------------------------


def test_a_marker_typed_in_a_message_shows_as_typed() -> None:
    fake = "\ue000abcdefabcdef0\ue001"
    assert bot(f"```\ncode\n```\n\n{fake}").endswith(f"<p>{fake}</p>")


def test_math_in_a_link_destination_leaves_no_marker_in_the_attribute() -> None:
    out = bot("[x]($$a$$) ![$$b$$](/i.png)")
    assert out == '<p><a href="" target="_blank" rel="noopener noreferrer">x</a> <img alt="" src="/i.png"></p>'


# -- HTML components ---------------------------------------------------------------------------------


def test_a_component_keeps_styles_that_only_change_how_its_content_looks() -> None:
    html = '<div style="display:flex; gap:4px; border:1px solid #ccc; border-radius:4px; color: rgb(1,2,3)">f</div>'
    assert clean_html_component(html) == (
        '<div style="display: flex; gap: 4px; border: 1px solid #ccc; border-radius: 4px; color: rgb(1,2,3)">f</div>'
    )


@pytest.mark.parametrize(
    "style",
    [
        "position: fixed",
        "top: 0",
        "inset: 0",
        "z-index: 99",
        "transform: scale(9)",
        "margin: -10px 0",
        "margin-top: calc(0px - 50px)",
        "background-color: url(https://evil.example/x)",
        "content: 'x'",
        "filter: blur(9px)",
        "cursor: url(x.cur), auto",
        "color: expression(alert(1))",
        "behavior: url(x.htc)",
        "float: left",
        "letter-spacing: -3em",
        "background-image: url(x)",
    ],
)
def test_a_component_loses_every_style_that_could_lift_content_out_of_its_message(style: str) -> None:
    assert clean_html_component(f'<p style="{style}; color: red">x</p>') == '<p style="color: red">x</p>'


def test_a_component_follows_the_reply_allowlist_otherwise() -> None:
    html = '<center><h1 style="text-align:center">T</h1></center><script>x()</script><a href="https://e.example">l</a><iframe src="x"></iframe>'
    assert clean_html_component(html) == (
        '<center><h1 style="text-align: center">T</h1></center>'
        '<a href="https://e.example" target="_blank" rel="noopener noreferrer">l</a>'
    )


def test_a_component_too_costly_to_clean_is_shown_as_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flask_chatbot.rendering import renderer as rendering

    monkeypatch.setattr(rendering, "RENDER_BUDGET_FLOOR", 0.0)
    monkeypatch.setattr(rendering, "RENDER_BUDGET_PER_CHAR", 0.0)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        assert clean_html_component("<b>x</b>" * 50) == "<p>" + "&lt;b&gt;x&lt;/b&gt;" * 50 + "</p>"
    assert "HTML component" in caplog.text


# -- time -------------------------------------------------------------------------------------------------


def repeat(unit: str):  # type: ignore[no-untyped-def]
    return lambda n: (unit * (n // len(unit) + 1))[:n]


HIDDEN_UNITS = [
    "<script>",
    "<script ",
    "</script ",
    "<style>x</style>",
    "<script>a</scrip",
    "<template><style>",
    "<Title/>",
]


@pytest.mark.parametrize("unit", HIDDEN_UNITS)
def test_removing_hidden_elements_takes_linear_time(unit: str, caplog: pytest.LogCaptureFixture) -> None:
    small_text, large_text = repeat(unit)(2000), repeat(unit)(16000)
    small = min(cpu(lambda: _drop_hidden_elements(small_text)) for _ in range(3))
    large = min(cpu(lambda: _drop_hidden_elements(large_text)) for _ in range(3))
    assert large / small < GROWTH_LIMIT, f"{unit!r}: {small * 1000:.2f} ms, then {large * 1000:.2f} ms"
    if unit == "<script ":
        return  # Python's HTMLParser is quadratic on "<a "-like runs: the budget bounds it (test_rendering_bounds.py)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        small, large, ratio = growth(Renderer(RenderOptions()), repeat(unit), 1000, False)
    assert ratio < GROWTH_LIMIT, f"{unit!r}: {small * 1000:.1f} ms, then {large * 1000:.1f} ms"
    assert "budget" not in caplog.text


@pytest.mark.parametrize(
    "unit",
    [
        '<p style="color:red;margin:-1px;position:fixed">a</p>',
        '<b style="' + "(" * 20,
        '<i style="color:rgb(' + "calc(" * 10 + '">',
    ],
)
def test_cleaning_a_component_takes_linear_time(unit: str) -> None:
    small_text, large_text = repeat(unit)(1000), repeat(unit)(8000)
    clean_html_component(small_text)
    small = min(cpu(lambda: clean_html_component(small_text)) for _ in range(3))
    large = min(cpu(lambda: clean_html_component(large_text)) for _ in range(3))
    assert large / small < GROWTH_LIMIT, f"{small * 1000:.1f} ms, then {large * 1000:.1f} ms"
    assert set(tag for tag, _ in elements(clean_html_component(large_text))) <= ALLOWED_TAGS
