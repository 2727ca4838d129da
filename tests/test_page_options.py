"""gr.ChatInterface's page options (issue 9, item 4): css, css_paths, js, head, head_paths,
fill_height, fill_width, analytics_enabled; the page keeps its strict policy."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_chatbot import OptionsError, chat_bp


def page_client(**options):
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: m, **options), url_prefix="/chat")
    return app.test_client()


def test_css_and_css_paths_are_one_stylesheet_of_the_blueprint(tmp_path) -> None:
    extra = tmp_path / "extra.css"
    extra.write_text(".b { color: blue }")
    client = page_client(css=".a { color: red }", css_paths=[extra])
    page = client.get("/chat/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/chat/custom.css">' in page and "<style" not in page
    css = client.get("/chat/custom.css")
    assert css.mimetype == "text/css" and css.get_data(as_text=True) == ".a { color: red }\n.b { color: blue }"


def test_js_runs_from_a_file_so_the_policy_stays_strict() -> None:
    client = page_client(js="() => { document.title = 'hi' }")
    response = client.get("/chat/")
    page = response.get_data(as_text=True)
    assert '<script src="/chat/custom.js" defer></script>' in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/chat/custom.js").get_data(as_text=True) == "(() => { document.title = 'hi' })();\n"


def test_head_and_head_paths_go_into_the_head_as_written(tmp_path) -> None:
    more = tmp_path / "more.html"
    more.write_text('<link rel="author" href="/humans.txt">')
    page = page_client(head='<meta name="x" content="1">', head_paths=str(more)).get("/chat/").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert head.index('<meta name="x" content="1">') < head.index('<link rel="author" href="/humans.txt">')


@pytest.mark.parametrize(
    "head",
    [
        "<script>alert(1)</script>",
        "<SCRIPT type=module>x()</SCRIPT>",
        "<style>p{}</style>",
        '<img src="x.png" onerror="go()">',
    ],
)
def test_inline_code_in_head_that_the_policy_would_block_is_refused_at_start_up(head: str, tmp_path) -> None:
    with pytest.raises(OptionsError, match="Content-Security-Policy"):
        chat_bp(lambda m, h: m, head=head)
    (tmp_path / "head.html").write_text(head)
    with pytest.raises(OptionsError, match="put scripts in js= or a file"):
        chat_bp(lambda m, h: m, head_paths=[tmp_path / "head.html"])
    # A policy that lets it run, or none: the developer's choice, served as written.
    page = page_client(head=head, content_security_policy="default-src 'self' 'unsafe-inline'").get("/chat/")
    assert head in page.get_data(as_text=True)
    assert head in page_client(head=head, content_security_policy=None).get("/chat/").get_data(as_text=True)


def test_linked_scripts_and_styles_in_head_are_fine() -> None:
    head = (
        '<script src="/analytics.js" defer></script><link rel="stylesheet" href="/x.css"><meta name="on" content="1">'
    )
    assert head in page_client(head=head).get("/chat/").get_data(as_text=True)


def test_without_page_options_the_page_links_nothing_more() -> None:
    page = page_client().get("/chat/").get_data(as_text=True)
    assert "custom.css" not in page and "custom.js" not in page


def test_fill_height_and_fill_width_shape_the_page() -> None:
    assert 'class="chat-page"' in page_client().get("/chat/").get_data(as_text=True)
    page = page_client(fill_height=False, fill_width=True).get("/chat/").get_data(as_text=True)
    assert 'class="chat-page chat-page--natural-height chat-page--full-width"' in page


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"css_paths": ["/no/such.css"]}, "css_paths: cannot read '/no/such.css'"),
        ({"head_paths": 42}, "head_paths must be a path or a list of paths"),
        ({"css": 1}, "css must be a string"),
        ({"fill_height": "yes"}, "fill_height must be True or False"),
        ({"analytics_enabled": "no"}, "analytics_enabled must be True, False or None"),
    ],
)
def test_wrong_page_options_say_what_to_change(options, message) -> None:
    with pytest.raises(OptionsError, match=message):
        chat_bp(lambda m, h: m, **options)


def test_analytics_enabled_is_accepted_and_nothing_is_sent() -> None:
    page = page_client(analytics_enabled=True).get("/chat/").get_data(as_text=True)
    assert "http" not in page.split("<body>", 1)[0].replace('content="width', "")  # nothing of another host


@pytest.mark.parametrize(
    ("given", "theme"), [(None, "default"), ("soft", "soft"), ("gradio/monochrome", "monochrome"), ("Soft", "soft")]
)
def test_theme_names_a_built_in_theme_the_element_applies(given, theme) -> None:
    config = page_client(theme=given).get("/chat/config.json").get_json()
    assert config["theme"] == theme


def test_a_theme_that_is_not_built_in_says_which_are() -> None:
    with pytest.raises(OptionsError, match="theme must be one of 'default', 'soft', 'monochrome'"):
        chat_bp(lambda m, h: m, theme="glass")
