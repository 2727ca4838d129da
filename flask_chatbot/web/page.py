"""The standalone chat page and the developer's own files beside it (custom.css, custom.js),
served under the page's strict Content-Security-Policy; page.css is the page's own style."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup

from ..options.chat_options import ChatOptions
from ..options.locales import direction, locale_module, page_language
from ..options.page import PageAssets
from ..rendering.renderer import Renderer
from ..runtime.package_files import PACKAGE_DIR
from .assets import file_asset, gzip_response


def register_page(bp: Blueprint, opts: ChatOptions, page_renderer: Renderer, assets: PageAssets) -> None:
    """The page at the blueprint's root, and the files it links. ``page_renderer`` renders the
    developer's description (sanitized even when ``sanitize_html=False`` trusts fn's replies)."""

    @bp.get("/")
    def page() -> Response:
        description = page_renderer.render(opts.description, from_user=False) if opts.description else None
        lang = page_language(opts.lang, request.accept_languages)
        html = render_template(
            "flask_chatbot/page.html",
            options=opts,
            description_html=description,
            assets=assets,
            head=Markup(assets.head),
            lang=lang,
            dir="rtl" if opts.rtl else direction(lang),
            locale_module=locale_module(lang),
        )
        response = Response(html, mimetype="text/html")
        if opts.lang is None:
            response.vary.add("Accept-Language")  # the page speaks the reader's language
        if opts.content_security_policy:
            response.headers["Content-Security-Policy"] = opts.content_security_policy
        return gzip_response(response, request)

    # The developer's css, css_paths and js, as files: the page keeps its strict policy.
    @bp.get("/custom.css")
    def custom_css() -> Response:
        return gzip_response(Response(assets.css, mimetype="text/css"), request)

    @bp.get("/custom.js")
    def custom_js() -> Response:
        return gzip_response(Response(assets.js, mimetype="text/javascript"), request)

    @bp.get("/page.css")
    def page_css() -> Response:
        page_css = file_asset(PACKAGE_DIR / "static" / "page.css", "text/css", check_changes=current_app.debug)
        return page_css.response(request)


__all__ = ["register_page"]
