"""The content of ``HTML`` components, sanitized: a reply's allowlist plus contained inline styles.

:func:`clean_html_component` keeps the tags and attributes of a reply
(:mod:`flask_chatbot.rendering.sanitize`) and adds ``style`` on every tag, limited to
:data:`COMPONENT_CSS_PROPERTIES` with values checked, so that a component changes how
its content looks and never where it sits on the page. Like a render, it has a CPU
budget (:func:`flask_chatbot.rendering.renderer.render_budget`).
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from typing import Any

import bleach

from . import renderer as rendering
from .markdown_linear import BudgetExceeded, check_deadline, cpu_deadline
from .math import MATHML_TAGS
from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ExternalLinks, QuietMedia, drop_hidden_elements, new_cleaner

log = logging.getLogger("flask_chatbot")

# Inline styles an HTML component may use: how its content looks, never where it is.
# Nothing that positions (position, inset, top, z-index, transform, float), that makes
# content (content) or that runs anything; margins and spacing only >= 0 (_ContainedCSS).
COMPONENT_CSS_PROPERTIES: frozenset[str] = frozenset(
    """color background-color opacity font font-family font-size font-style font-weight font-variant line-height
    letter-spacing word-spacing text-align text-decoration text-decoration-line text-decoration-color
    text-decoration-style text-transform text-overflow white-space word-break overflow-wrap vertical-align
    border-collapse border-spacing border-radius width height min-width min-height max-width max-height box-sizing
    display gap row-gap column-gap flex flex-direction flex-wrap flex-flow flex-grow flex-shrink flex-basis
    justify-content justify-items justify-self align-items align-content align-self place-items place-content order
    grid-template-columns grid-template-rows grid-template-areas grid-column grid-row grid-area grid-auto-flow
    grid-auto-columns grid-auto-rows list-style-type table-layout caption-side overflow overflow-x overflow-y
    padding padding-top padding-right padding-bottom padding-left padding-inline padding-block
    margin margin-top margin-right margin-bottom margin-left margin-inline margin-block""".split()
) | frozenset(
    f"border{side}{part}"
    for side in ("", "-top", "-right", "-bottom", "-left", "-inline", "-block")
    for part in ("", "-width", "-style", "-color")
)
_NON_NEGATIVE = ("margin", "letter-spacing", "word-spacing")  # a negative one moves content over others
_CSS_FUNCTIONS = frozenset(
    "rgb rgba hsl hsla hwb lab lch oklab oklch color-mix var calc min max clamp minmax repeat fit-content".split()
)


def _component_attributes() -> dict[str, Callable[[str, str, str], bool]]:
    """ALLOWED_ATTRIBUTES, plus ``style`` on every tag."""

    def allowed(rule: Any) -> Callable[[str, str, str], bool]:
        if callable(rule):
            return lambda tag, name, value: name == "style" or rule(tag, name, value)
        names = set(rule) | {"style"}
        return lambda tag, name, value: name in names

    tags = ALLOWED_TAGS | MATHML_TAGS
    return {tag: allowed(ALLOWED_ATTRIBUTES.get(tag, [])) for tag in tags}


def _css_value_allowed(prop: str, value: list[Any]) -> bool:
    stack = list(value)
    while stack:
        token = stack.pop()
        if token.type == "url" or (token.type == "function" and token.lower_name not in _CSS_FUNCTIONS):
            return False
        if prop.startswith(_NON_NEGATIVE) and (
            token.type == "function" or (token.type in ("number", "dimension", "percentage") and token.value < 0)
        ):
            return False
        stack.extend(getattr(token, "arguments", None) or getattr(token, "content", None) or ())
    return True


def _contained_css() -> Any:
    import tinycss2
    from bleach.css_sanitizer import CSSSanitizer

    class _ContainedCSS(CSSSanitizer):  # type: ignore[misc]  # bleach ships no types
        """bleach's CSS sanitizer with COMPONENT_CSS_PROPERTIES, values checked too (no url(),
        no function but colours and arithmetic, no negative margin)."""

        def sanitize_css(self, style: str) -> str:
            try:
                declarations = tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True)
            except RecursionError:
                return ""
            kept = []
            for d in declarations:
                check_deadline()
                if (
                    d.type == "declaration"
                    and d.lower_name in COMPONENT_CSS_PROPERTIES
                    and _css_value_allowed(d.lower_name, d.value)
                ):
                    kept.append(
                        f"{d.lower_name}: {tinycss2.serialize(d.value).strip()}{' !important' if d.important else ''}"
                    )
            return "; ".join(kept)

    return _ContainedCSS(allowed_css_properties=COMPONENT_CSS_PROPERTIES, allowed_svg_properties=frozenset())


_component_cleaners: list[bleach.Cleaner] = []  # a free list, as Renderer's kits


def _as_text(text: str) -> str:
    return "<p>" + html.escape(text, quote=False) + "</p>"


def clean_html_component(html: str) -> str:
    """The content of an ``HTML`` component, sanitized: the tags and attributes of a reply,
    plus inline ``style`` limited to COMPONENT_CSS_PROPERTIES (the page's CSP must allow
    style attributes: ``style-src-attr 'unsafe-inline'``). Images and media follow no host
    list here: the CSP decides what loads. Over its CPU budget, the HTML is shown as text.

    >>> clean_html_component('<p style="color: red; position: fixed" onclick="x()">hi</p>')
    '<p style="color: red">hi</p>'
    """
    # The budget is the one rendering/renderer.py sets for every render, read when called.
    budget = rendering.render_budget(html)
    try:
        cleaner = (
            _component_cleaners.pop()
            if _component_cleaners
            else new_cleaner(
                ALLOWED_TAGS | MATHML_TAGS,
                _component_attributes(),
                # Players load nothing before a click (the page's CSP lets media play from any https host).
                [ExternalLinks, functools.partial(QuietMedia, hosts=frozenset())],
                css_sanitizer=_contained_css(),
            )
        )
        with cpu_deadline(budget):
            out: str = cleaner.clean(drop_hidden_elements(html))
    except (BudgetExceeded, RecursionError):
        log.warning("A %d-character HTML component was too costly to sanitize: shown as text", len(html))
        return _as_text(html)
    _component_cleaners.append(cleaner)
    return out
