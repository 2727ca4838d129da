"""LaTeX to MathML on the server (flask_chatbot/rendering/math.py), and MathML through the sanitizer."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from test_rendering import assert_safe, elements
from test_rendering_bounds import GROWTH_LIMIT, growth

from flask_chatbot.rendering import math as math_render
from flask_chatbot.rendering.math import MATHML_TAGS, LatexDelimiter, latex_to_mathml, parse_latex_delimiters
from flask_chatbot.rendering.renderer import ALLOWED_TAGS, Renderer, RenderOptions

# Gradio's own list, as its docs show it.
GRADIO_DELIMITERS: list[dict[str, Any]] = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
    {"left": "\\(", "right": "\\)", "display": False},
    {"left": "\\[", "right": "\\]", "display": True},
]
DEFAULT = Renderer(RenderOptions())
DOLLARS = Renderer(RenderOptions(latex_delimiters=parse_latex_delimiters(GRADIO_DELIMITERS)))
SAFE_TAGS = ALLOWED_TAGS | MATHML_TAGS
E_MC2 = (
    '<math display="block"><semantics><mrow><mi>E</mi><mo>=</mo><mi>m</mi><msup><mi>c</mi><mn>2</mn></msup></mrow>'
    '<annotation encoding="application/x-tex">E = mc^2</annotation></semantics></math>'
)


def inline(tex: str, mathml: str) -> str:
    return f'<math display="inline"><semantics><mrow>{mathml}</mrow><annotation encoding="application/x-tex">{tex}</annotation></semantics></math>'


def test_display_math_between_double_dollars_is_mathml_by_default() -> None:
    assert DEFAULT.render("$$E = mc^2$$", from_user=False) == f"<p>{E_MC2}</p>"
    assert (
        DEFAULT.render("Energy:\n$$\nE = mc^2\n$$\nis mass.", from_user=True)
        == f"<p>Energy:<br>\n{E_MC2}<br>\nis mass.</p>"
    )
    # Single dollars are not delimiters unless configured.
    assert DEFAULT.render("$x$", from_user=False) == "<p>$x$</p>"


def test_every_configured_delimiter_draws_inline_or_display_math() -> None:
    out = DOLLARS.render("$x^2$ and \\(y\\) and \\[z\\]", from_user=False)
    assert out == (
        f"<p>{inline('x^2', '<msup><mi>x</mi><mn>2</mn></msup>')} and {inline('y', '<mi>y</mi>')} and "
        '<math display="block"><semantics><mrow><mi>z</mi></mrow><annotation encoding="application/x-tex">z</annotation>'
        "</semantics></math></p>"
    )


def test_an_empty_list_turns_math_off() -> None:
    assert Renderer(RenderOptions(latex_delimiters=())).render("$$E = mc^2$$", from_user=False) == "<p>$$E = mc^2$$</p>"


def test_markdown_never_reaches_inside_math() -> None:
    out = DEFAULT.render("$$a_1 * b_2 * c$$ and *em*", from_user=False)
    assert "<msub><mi>a</mi><mn>1</mn></msub><mo>*</mo><msub><mi>b</mi><mn>2</mn></msub>" in out
    assert out.count("<em>") == 1 and out.endswith(" and <em>em</em></p>")


@pytest.mark.parametrize(
    "text",
    ["$3,000 and $4,000", "between $3-$4", "US$5 and US$6", "$ 5 and 6 $", "I paid $5. You paid $6.", "$$5 and $$6"],
)
def test_money_is_never_math_even_with_single_dollar_delimiters(text: str) -> None:
    assert DOLLARS.render(text, from_user=False) == f"<p>{text}</p>"
    assert DOLLARS.render(text, from_user=True) == f"<p>{text}</p>"


def test_an_opening_dollar_whose_nearest_closing_one_fails_is_text() -> None:
    assert DOLLARS.render("costs $5, or $x$", from_user=False) == f"<p>costs $5, or {inline('x', '<mi>x</mi>')}</p>"


def test_an_escaped_dollar_is_a_dollar_sign() -> None:
    assert DOLLARS.render("\\$5 and \\$x\\$", from_user=True) == "<p>$5 and $x$</p>"


@pytest.mark.parametrize(
    "text",
    ["`$$x$$`", "```\n$$x$$\n```", "text\n\n    $$x$$", "<abbr title='$$x$$'>t</abbr>", "a $$x\n\ny$$"],
    ids=["code span", "fenced code", "indented code", "attribute", "across a blank line"],
)
def test_math_is_not_looked_for_in_code_tags_or_across_paragraphs(text: str) -> None:
    out = DEFAULT.render(text, from_user=False)
    assert "<math" not in out and "$$x" in out


def test_math_in_a_list_item_continuation_is_math_not_code() -> None:
    out = DEFAULT.render("- item\n\n    $$x$$", from_user=False)
    assert '<p><math display="block">' in out and "<pre>" not in out


@pytest.mark.parametrize("environment", ["aligned", "gathered", "eqnarray"])
def test_multi_line_environments_are_tables_not_rows_showing_ampersands(environment: str) -> None:
    out = DEFAULT.render(f"$$\\begin{{{environment}}}a &= b \\\\ c &= d\\end{{{environment}}}$$", from_user=False)
    mathml = out.split("<annotation")[0]
    assert mathml.count("<mtr>") == 2 and "&amp;" not in mathml


@pytest.mark.parametrize(
    "tex", ["\\frac{1}{", "x^", "\\begin{matrix}", "\\def\\a{\\a\\a}\\a", "\\newcommand{\\x}{y}\\x"]
)
def test_latex_that_cannot_be_drawn_shows_as_typed(tex: str) -> None:
    assert DEFAULT.render(f"$${tex}$$ ok", from_user=False) == f"<p>$${tex}$$ ok</p>"


def test_latex_cannot_inject_markup_attributes_or_links() -> None:
    tex = "\\text{<script>a&b</script>} \\href{javascript:alert(1)}{x} \\style{position:fixed}{y} \\class{k}{z}"
    for renderer in (DEFAULT, Renderer(RenderOptions(sanitize_html=False))):
        out = renderer.render(f"$${tex}$$", from_user=False)
        assert "<mtext>&lt;script&gt;a&amp;b&lt;/script&gt;</mtext>" in out
        assert {name for _, attrs in elements(out) for name in attrs} == {"display", "encoding"}
        assert_safe(out, SAFE_TAGS)


def test_user_messages_get_math_but_their_html_stays_text() -> None:
    out = DEFAULT.render("<b>$$E = mc^2$$</b>", from_user=True)
    assert out == f"<p>&lt;b&gt;{E_MC2}&lt;/b&gt;</p>"


def test_math_is_drawn_when_markdown_is_off() -> None:
    renderer = Renderer(RenderOptions(render_markdown=False))
    assert renderer.render("**a** $$E = mc^2$$ <b>", from_user=True) == f"<p>**a** {E_MC2} &lt;b&gt;</p>"


def test_gradio_delimiter_lists_are_read_and_bad_ones_explained() -> None:
    assert parse_latex_delimiters(GRADIO_DELIMITERS)[2] == LatexDelimiter("\\(", "\\)", False)
    assert parse_latex_delimiters([]) == () and parse_latex_delimiters(None) == ()
    for bad in [
        "$$",
        [{"left": "$$"}],
        [{"left": "", "right": "$", "display": True}],
        [{"left": "$", "right": "$", "display": "yes"}],
    ]:
        with pytest.raises(ValueError, match="latex_delimiters"):
            parse_latex_delimiters(bad)


# -- MathML and the sanitizer ----------------------------------------------------------------

FORMULAS = [
    "\\frac{a}{b}",
    "\\left( x \\right)",
    "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
    "\\sqrt[3]{x}",
    "\\color{red}{x}",
    "\\boxed{x}",
    "\\begin{array}{c|c}a&b\\\\\\hline c&d\\end{array}",
    "\\mathbb{R} \\sum_{i=0}^n \\int_0^1",
    "\\hat{x} \\overline{ab} \\underbrace{x}_{y}",
    "\\not= \\xrightarrow{abc} \\binom{n}{k}",
    "x < y > z \\& w",
]


@pytest.mark.parametrize("tex", FORMULAS)
def test_mathml_a_reply_writes_survives_the_sanitizer_unchanged(tex: str) -> None:
    mathml = latex_to_mathml(tex, True)
    assert mathml is not None
    assert DEFAULT.render(mathml, from_user=False) == mathml  # raw MathML, through bleach
    assert_safe(mathml, SAFE_TAGS)


HOSTILE_MATHML = {
    "xlink:href": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "href": '<math><mi href="javascript:alert(1)" style="color:red" class="k" onclick="x()">x</mi></math>',
    "maction": '<math><maction actiontype="statusline#javascript:alert(1)"><mi>y</mi><mtext>tip</mtext></maction></math>',
    "annotation-xml": '<math><annotation-xml encoding="text/html"><script>alert(1)</script><img src=x onerror=alert(2)></annotation-xml></math>',
    "mglyph and style": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "svg in math": '<math><mi><svg><script>alert(1)</script></svg></mi><mtext><a href="javascript:x">l</a></mtext></math>',
    "attribute values": '<math><mstyle mathcolor="url(javascript:x)" mathbackground="red"><mi>x</mi></mstyle></math>',
}


@pytest.mark.parametrize("text", list(HOSTILE_MATHML.values()), ids=list(HOSTILE_MATHML))
def test_hostile_mathml_is_neutralised(text: str) -> None:
    out = DEFAULT.render(text, from_user=False)
    assert_safe(out, SAFE_TAGS)
    assert "alert" not in out and "javascript" not in out
    assert not {"maction", "annotation-xml", "mglyph", "svg", "script"} & {tag for tag, _ in elements(out)}


def test_hostile_mathml_leaves_its_harmless_parts() -> None:
    assert DEFAULT.render(HOSTILE_MATHML["href"], from_user=False) == "<math><mi>x</mi></math>"
    assert DEFAULT.render(HOSTILE_MATHML["attribute values"], from_user=False) == (
        '<math><mstyle mathbackground="red"><mi>x</mi></mstyle></math>'
    )


# -- time ---------------------------------------------------------------------------------------


def repeat(unit: str) -> Any:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


MATH_FAMILIES = {
    "formulas": lambda n: " ".join(f"$$x_{{{i}}}^2$$" for i in range(n // 12 + 1))[:n],
    "unclosed $$": repeat("$$a "),
    "lone dollars": repeat("$a "),
    "dollars and digits": repeat("$1$"),
    "escaped dollars": repeat("\\$"),
    "brackets opened, closed after a blank line": lambda n: "\\[ a " * (n // 5) + "\n\n\\]",
    "backticks and dollars": repeat("`$`$$"),
    "indented code and dollars": repeat("\n\n    $$a$$\nb"),
}


@pytest.mark.parametrize("name", list(MATH_FAMILIES))
@pytest.mark.parametrize("from_user", [True, False], ids=["user", "reply"])
def test_finding_and_drawing_math_takes_linear_time(
    name: str, from_user: bool, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the memo of short formulas: what is measured is the work, not how many fit in it.
    monkeypatch.setattr(math_render, "_cached", math_render._convert)
    with caplog.at_level(logging.WARNING, logger="flask_chatbot"):
        small, large, ratio = growth(DOLLARS, MATH_FAMILIES[name], 1000, from_user)
    assert ratio < GROWTH_LIMIT, f"{name}: {small * 1000:.1f} ms, then {large * 1000:.1f} ms"
    assert "budget" not in caplog.text
