"""The options of chat_bp() (flask_chatbot/options/chat_options.py, blueprint.py): checked at start-up
with messages that say what to change; mounts; the page; the Origin check."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_chatbot import ChatOptions, OptionsError, chat_bp
from flask_chatbot.blueprint import origin_allowed


def respond(message: str, history: list[dict[str, Any]]) -> str:
    return message


def options_error(**kwargs: Any) -> str:
    with pytest.raises(OptionsError) as info:
        chat_bp(respond, **kwargs)
    return str(info.value)


# -- unknown and mistyped options ----------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("titel", "title"),
        ("descripton", "description"),
        ("line_break", "line_breaks"),
        ("allowed_origin", "allowed_origins"),
        ("sanitise_html", "sanitize_html"),
    ],
)
def test_an_unknown_option_gets_a_did_you_mean_hint(typo: str, meant: str) -> None:
    message = options_error(**{typo: "x"})
    assert repr(typo) in message
    assert f"did you mean {meant!r}?" in message


def test_an_unknown_option_with_no_close_match_lists_the_options() -> None:
    message = options_error(zzzzzz=1)
    assert "'zzzzzz'" in message
    assert "title" in message and "allowed_origins" in message


def test_options_error_is_a_value_error() -> None:
    # So code that guards configuration with `except ValueError` catches it.
    with pytest.raises(ValueError):
        ChatOptions.from_kwargs({"title": 5})


@pytest.mark.parametrize(
    ("name", "value", "accepts"),
    [
        ("title", 5, "a string or None"),
        ("description", ["a"], "a string or None"),
        ("placeholder", True, "a string or None"),
        ("textbox_placeholder", 5, "a string or None"),
        ("render_markdown", "yes", "True or False"),
        ("line_breaks", 1, "True or False"),
        ("sanitize_html", None, "True or False"),
        ("rtl", "false", "True or False"),
        ("autoscroll", 0, "True or False"),
        ("autofocus", "no", "True or False"),
        ("submit_btn", None, "True, False or a label string"),
        ("stop_btn", 3, "True, False or a label string"),
        ("max_frame_bytes", 100, "at least 1024"),
        ("max_frame_bytes", 4096.0, "whole number"),
        ("max_message_chars", 0, "at least 1"),
        ("max_history", True, "whole number"),
        ("max_history", -1, "at least 0"),
        ("stream_interval", -0.1, "seconds >= 0"),
        ("stream_interval", "fast", "seconds >= 0"),
        ("ping_interval", None, "seconds >= 0"),
        ("idle_timeout", 0, "> 0 or None"),
        ("idle_timeout", True, "> 0 or None"),
        ("content_security_policy", False, "a string or None"),
        ("allow_tags", "iframe", "a list of strings"),
        ("allow_tags", ["iframe", 3], "a list of strings"),
        ("allowed_origins", "https://example.com", "a list of strings"),
        ("image_hosts", "images.example.com", "a list of strings"),
        ("hello_timeout", 0, "seconds > 0"),
        ("hello_timeout", -1.5, "seconds > 0"),
        ("hello_timeout", None, "seconds > 0"),
        ("hello_timeout", True, "seconds > 0"),
        ("hello_timeout", "5", "seconds > 0"),
        ("max_frames_per_second", 0, "a number > 0"),
        ("max_frames_per_second", float("inf"), "a number > 0"),
        ("max_frames_per_second", False, "a number > 0"),
        ("max_frames_per_second", None, "a number > 0"),
    ],
)
def test_a_wrong_type_names_the_option_and_what_it_accepts(name: str, value: Any, accepts: str) -> None:
    message = options_error(**{name: value})
    assert message.startswith(f"{name} must be")
    assert accepts in message
    assert repr(value) in message


@pytest.mark.parametrize(
    "origin",
    [
        "example.com",
        "https://",
        "ftp://example.com",
        "https://example.com/chat",
        "//example.com",
        "null",
        "",
        "https://example.com:*",
        "https://example.com?x",
        "https://me@example.com",
    ],
)
def test_bad_allowed_origins_entries_are_refused(origin: str) -> None:
    message = options_error(allowed_origins=[origin])
    assert repr(origin) in message
    assert "'https://example.com'" in message  # shows what an entry looks like


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        # A wildcard anywhere but a leading "*." would be taken and match nothing.
        ("https://*example.com", "leading '*.'"),
        ("https://a.*.example.com", "leading '*.'"),
        ("https://*.*.example.com", "leading '*.'"),
        ("https://*", "leading '*.'"),
        ("*.example.com", "'https://*.example.com'"),  # no scheme: which one would it be?
        ("https://*.com", "not a top-level domain"),  # every site there
        ("https://*.0.0.1", "nor an IP address"),
    ],
)
def test_a_wildcard_other_than_a_leading_subdomain_one_is_refused(origin: str, problem: str) -> None:
    message = options_error(allowed_origins=[origin])
    assert repr(origin) in message and problem in message
    assert "'https://*.example.com'" in message  # shows the wildcard that works


@pytest.mark.parametrize(
    ("entry", "subdomain", "others"),
    [
        (
            "https://*.example.com",
            "https://a.b.example.com",
            ["https://example.com", "https://evilexample.com", "http://a.example.com", "https://a.example.com:8443"],
        ),
        ("https://*.Example.com:443", "https://a.example.com", ["https://example.com", "https://a.example.net"]),
        (
            "http://*.localhost:5000",
            "http://app.localhost:5000",
            ["http://app.localhost:5001", "http://localhost:5000"],
        ),
    ],
)
def test_a_subdomain_wildcard_is_accepted_and_matches_subdomains_only(
    entry: str, subdomain: str, others: list[str]
) -> None:
    ChatOptions.from_kwargs({"allowed_origins": [entry]})
    assert origin_allowed(subdomain, "api.test", (entry,), scheme="https")
    for origin in others:
        assert not origin_allowed(origin, "api.test", (entry,), scheme="https"), origin


# Each of these in a reply could run script, load another document or stylesheet, submit
# or capture input, or change how the page resolves its URLs.
UNSAFE_TAGS = """script style iframe base link embed form object meta frame frameset input button textarea
select option template svg math noscript applet param title slot xmp plaintext noembed""".split()


@pytest.mark.parametrize("tag", UNSAFE_TAGS + ["SCRIPT", "IFrame"])
def test_allow_tags_refuses_tags_that_would_let_a_reply_run_script_or_change_the_page(tag: str) -> None:
    message = options_error(allow_tags=["picture", tag])
    assert message.startswith("allow_tags cannot include")
    assert repr(tag.lower()) in message
    assert "would let a reply run script or change the page" in message
    assert "picture" in message  # and says what it accepts


@pytest.mark.parametrize("tag", ["blink", "marquee", "dialog", "canvas", "area", "x-widget", "video ", ""])
def test_allow_tags_refuses_tags_outside_its_allowlist(tag: str) -> None:
    message = options_error(allow_tags=[tag])
    assert message.startswith(f"allow_tags cannot include {tag.lower()!r}")
    assert "known to be safe" in message


@pytest.mark.parametrize(
    "tags",
    [
        ["video", "audio", "source", "track", "picture"],
        ["figure", "figcaption", "details", "summary", "mark", "cite", "time", "ruby", "rt", "rp", "wbr"],
        ["img", "table", "kbd"],  # already allowed: harmless to name
        ["Video", "AUDIO"],
    ],
)
def test_allow_tags_accepts_media_and_formatting_tags(tags: list[str]) -> None:
    options = ChatOptions.from_kwargs({"allow_tags": tags})
    assert options.allow_tags == tuple(t.lower() for t in tags)
    assert options.render_options.allow_tags == options.allow_tags


@pytest.mark.parametrize(
    "host",
    [
        "https://images.example.com",
        "images.example.com/cats",
        "*.example.com",
        "images.example.com:8443",
        "",
        "exa mple.com",
        "'self'",
        "example.com; script-src *",
        "-bad.example.com",
        "images..example.com",
        "bilder.例え.jp",
    ],
)
def test_image_hosts_entries_must_be_host_names(host: str) -> None:
    message = options_error(image_hosts=[host])
    assert message.startswith("image_hosts entries are host names like 'images.example.com'")
    assert repr(host.lower()) in message


def test_image_hosts_are_kept_lower_case_and_passed_to_rendering() -> None:
    options = ChatOptions.from_kwargs({"image_hosts": ["Images.Example.com", "cdn.example.org", "*"]})
    assert options.image_hosts == ("images.example.com", "cdn.example.org", "*")
    assert options.render_options.image_hosts == options.image_hosts
    assert ChatOptions.from_kwargs({}).render_options.image_hosts == ()


def test_the_default_policy_follows_image_hosts() -> None:
    assert "img-src 'self' data: blob:;" in ChatOptions.from_kwargs({}).content_security_policy
    listed = ChatOptions.from_kwargs({"image_hosts": ["images.example.com"]}).content_security_policy
    assert "img-src 'self' data: blob: https://images.example.com;" in listed
    assert (
        "img-src 'self' data: blob: https:;" in ChatOptions.from_kwargs({"image_hosts": ["*"]}).content_security_policy
    )
    explicit = ChatOptions.from_kwargs({"image_hosts": ["*"], "content_security_policy": "img-src 'none'"})
    assert explicit.content_security_policy == "img-src 'none'"
    assert (
        ChatOptions.from_kwargs({"image_hosts": ["*"], "content_security_policy": None}).content_security_policy is None
    )


def test_the_connection_limits_have_their_documented_defaults() -> None:
    options = ChatOptions.from_kwargs({})
    assert (options.hello_timeout, options.max_frames_per_second) == (5.0, 10.0)


def test_valid_options_are_accepted_and_kept() -> None:
    options = ChatOptions.from_kwargs(
        {
            "title": "Echo",
            "description": "Says **back** what you say.",
            "placeholder": None,
            "render_markdown": False,
            "line_breaks": False,
            "sanitize_html": False,
            "allow_tags": ["video", "audio"],
            "rtl": True,
            "submit_btn": "Send",
            "stop_btn": False,
            "allowed_origins": ["https://example.com", "http://localhost:5000/", "*"],
            "max_frame_bytes": 2048,
            "max_history": 0,
            "stream_interval": 0,
            "ping_interval": 5,
            "idle_timeout": None,
            "hello_timeout": 0.5,
            "max_frames_per_second": 100,
            "image_hosts": ["images.example.com"],
            "content_security_policy": None,
        }
    )
    assert (options.hello_timeout, options.max_frames_per_second) == (0.5, 100)
    assert options.image_hosts == ("images.example.com",)
    assert options.allow_tags == ("video", "audio")
    assert options.allowed_origins == ("https://example.com", "http://localhost:5000/", "*")
    assert options.submit_btn == "Send" and options.stop_btn is False
    assert options.render_options.render_markdown is False
    assert options.render_options.allow_tags == ("video", "audio")
    assert ChatOptions.from_kwargs({"allowed_origins": None}).allowed_origins == ()
    assert chat_bp(respond, title="Echo", allowed_origins=("https://example.com",)).name == "chat"


# -- fn --------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [None, "respond", 42])
def test_fn_must_be_callable(fn: Any) -> None:
    with pytest.raises(OptionsError, match=r"needs a function fn\(message, history\)"):
        chat_bp(fn)


def _no_args() -> str:
    return ""


def _one_arg(message: str) -> str:
    return message


def _three_args(message: str, history: list[Any], user: str) -> str:
    return message


@pytest.mark.parametrize("fn", [_no_args, _one_arg, _three_args, lambda *, message, history: ""])
def test_fn_must_take_message_and_history(fn: Any) -> None:
    with pytest.raises(OptionsError) as info:
        chat_bp(fn)
    assert "two arguments, (message, history)" in str(info.value)
    assert fn.__name__ in str(info.value)


class _Bot:
    def __call__(self, message: str, history: list[Any]) -> str:
        return message


async def _async_respond(message: str, history: list[Any]) -> str:
    return message


@pytest.mark.parametrize(
    "fn",
    [
        respond,
        lambda message, history, extra=None: message,
        lambda *args: args[0],
        lambda message, *args, **kwargs: message,
        _Bot(),
        _async_respond,
        print,  # a builtin: no signature to check against, accepted
    ],
)
def test_functions_that_accept_message_and_history_are_accepted(fn: Any) -> None:
    assert chat_bp(fn).name == "chat"


# -- mounting ----------------------------------------------------------------------------


def test_the_same_fn_can_be_mounted_twice_with_its_own_socket() -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(respond, name="a", title="First"), url_prefix="/a")
    app.register_blueprint(chat_bp(respond, name="b", title="Second"), url_prefix="/b")
    client = app.test_client()
    for prefix, title in (("/a", "First"), ("/b", "Second")):
        page = client.get(f"{prefix}/")
        assert page.status_code == 200
        assert f"<title>{title}</title>" in page.text
        assert f'src="{prefix}/"' in page.text  # the element finds config.json under its own mount
        assert f"{prefix}/static/chat-bot.js" in page.text
        config = client.get(f"{prefix}/config.json")
        assert config.status_code == 200
        assert config.json["socket"] == f"{prefix}/socket"


def test_one_blueprint_registered_twice_answers_at_both_mounts() -> None:
    app = Flask(__name__)
    bp = chat_bp(respond, title="Shared")
    app.register_blueprint(bp, url_prefix="/chat")
    app.register_blueprint(bp, name="other", url_prefix="/other")
    client = app.test_client()
    for prefix in ("/chat", "/other"):
        assert client.get(f"{prefix}/").status_code == 200
        assert client.get(f"{prefix}/config.json").json["socket"] == f"{prefix}/socket"
        assert client.get(f"{prefix}/page.css").status_code == 200
        # The Origin check guards the socket at every mount.
        handshake = {"Origin": "https://evil.example", "Upgrade": "websocket", "Connection": "Upgrade"}
        refused = client.get(f"{prefix}/socket", headers=handshake)
        assert refused.status_code == 403
        assert "does not accept connections from that origin" in refused.text


def test_the_page_has_a_csp_the_title_and_the_rendered_description() -> None:
    app = Flask(__name__)
    description = "Ask me **anything**. <script>alert(1)</script>"
    app.register_blueprint(chat_bp(respond, title="Helper <bot>", description=description), url_prefix="/chat")
    page = app.test_client().get("/chat/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "<title>Helper &lt;bot&gt;</title>" in page.text
    assert "<p>Ask me <strong>anything</strong>. </p>" in page.text and "alert" not in page.text
    assert "<script>alert(1)" not in page.text


def test_the_content_security_policy_can_be_replaced_or_turned_off() -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(respond, name="a", content_security_policy="default-src 'none'"), url_prefix="/a")
    app.register_blueprint(chat_bp(respond, name="b", content_security_policy=None), url_prefix="/b")
    client = app.test_client()
    assert client.get("/a/").headers["Content-Security-Policy"] == "default-src 'none'"
    assert "Content-Security-Policy" not in client.get("/b/").headers


def test_config_json_carries_the_element_options() -> None:
    app = Flask(__name__)
    app.register_blueprint(
        chat_bp(
            respond,
            placeholder="**Ask** away",
            textbox_placeholder="Your question",
            submit_btn="Go",
            stop_btn=False,
            rtl=True,
        ),
        url_prefix="/chat",
    )
    config = app.test_client().get("/chat/config.json").json
    assert config["placeholder"] == "<p><strong>Ask</strong> away</p>"
    assert config["textbox_placeholder"] == "Your question"
    assert (config["submit_btn"], config["stop_btn"], config["rtl"]) == ("Go", False, True)


# -- the Origin check of the socket handshake ---------------------------------------------


# A server reached on a public address; the DNS rebinding rules are in tests/test_security.py.
PUBLIC = {"local_address": "203.0.113.7"}


@pytest.mark.parametrize(
    ("origin", "scheme", "host"),
    [
        ("http://example.com", "http", "example.com"),
        ("https://example.com", "https", "example.com"),  # TLS ended at a proxy, and ProxyFix says so
        ("https://example.com:443", "https", "example.com"),
        ("https://example.com", "https", "example.com:443"),
        ("http://example.com", "http", "example.com:80"),
        ("http://localhost:5000", "http", "localhost:5000"),
        ("https://localhost:5000", "https", "localhost:5000"),
        ("http://Example.COM", "http", "example.com"),
        ("http://example.com/", "http", "example.com"),
    ],
)
def test_the_page_s_own_host_is_allowed(origin: str, scheme: str, host: str) -> None:
    assert origin_allowed(origin, host, (), scheme=scheme, **PUBLIC)


@pytest.mark.parametrize(
    ("origin", "scheme", "host"),
    [
        ("http://[::1]:5000", "http", "[::1]:5000"),
        ("http://[::1]", "http", "[::1]"),
        ("https://[2001:db8::1]", "https", "[2001:db8::1]:443"),
    ],
)
def test_the_page_s_own_ipv6_host_is_allowed(origin: str, scheme: str, host: str) -> None:
    # `flask run --host ::` and a browser at http://[::1]:5000 must be able to open the socket.
    assert origin_allowed(origin, host, (), scheme=scheme, local_address="::1")


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://evil.example", "example.com"),
        ("http://example.com.evil.example", "example.com"),
        ("http://example.com:8080", "example.com"),
        ("http://localhost:5001", "localhost:5000"),
        ("http://evil.example:5000", "localhost:5000"),
        ("null", "example.com"),  # sandboxed iframes and file: pages
        ("file://", "example.com"),
        ("chrome-extension://abc", "example.com"),
    ],
)
def test_other_origins_are_refused(origin: str, host: str) -> None:
    assert not origin_allowed(origin, host, (), scheme="http", **PUBLIC)


def test_listed_origins_are_allowed_and_only_those() -> None:
    allowed = ("https://app.example.com", "http://localhost:3000/")
    assert origin_allowed("https://app.example.com", "api.example.com", allowed, scheme="https")
    assert origin_allowed("http://localhost:3000", "api.example.com", allowed, scheme="https")
    assert not origin_allowed("https://other.example.com", "api.example.com", allowed, scheme="https")
    assert not origin_allowed("http://app.example.com", "api.example.com", allowed, scheme="https")  # scheme matters


@pytest.mark.parametrize("entry", ["https://App.Example.com", "https://app.example.com:443"])
def test_listed_origins_match_what_browsers_send(entry: str) -> None:
    # Browsers send the origin with a lower-case host and without a default port; an entry
    # that the options accept must match that, or the page it names is refused.
    ChatOptions.from_kwargs({"allowed_origins": [entry]})
    assert origin_allowed("https://app.example.com", "api.example.com", (entry,), scheme="https")


def test_a_star_allows_every_origin() -> None:
    assert origin_allowed("https://anyone.example", "example.com", ("*",), scheme="http", local_address="127.0.0.1")
    assert origin_allowed("null", "example.com", ("*",), scheme="http")


def test_no_origin_header_is_allowed() -> None:
    # Only browsers send Origin, and only browsers attach cookies on their own.
    assert origin_allowed(None, "example.com", (), scheme="http", local_address="127.0.0.1")


# -- Chatbot(...) (issue 6, item 9) ----------------------------------------------------


def test_chatbot_options_merge_into_chat_bp_options() -> None:
    from flask_chatbot import Chatbot

    opts = ChatOptions.from_kwargs({"chatbot": Chatbot(height=500, layout="panel", scale=2), "title": "T"})
    assert (opts.height, opts.layout, opts.title) == (500, "panel", "T")


def test_gradio_5_copy_button_spellings_adjust_the_default() -> None:
    from flask_chatbot import Chatbot

    assert ChatOptions.from_kwargs({}).buttons == ("copy",)
    assert ChatOptions.from_kwargs({"chatbot": Chatbot(show_copy_all_button=True)}).buttons == ("copy", "copy_all")
    assert ChatOptions.from_kwargs({"chatbot": Chatbot(show_copy_button=False)}).buttons == ()
    assert ChatOptions.from_kwargs({"buttons": ["copy_all"]}).buttons == ("copy_all",)


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"layout": "cards"}, "layout must be"),
        ({"height": "100px; color: red"}, "height must be"),
        ({"buttons": ["share"]}, "buttons may hold"),
        ({"elem_classes": ["a b"]}, "elem_classes"),
        ({"reasoning_tags": ["<think>"]}, "reasoning_tags must be"),
        ({"avatar_images": "me.png"}, "avatar_images"),
    ],
)
def test_bad_display_options_say_what_to_change(kwargs: dict, problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        ChatOptions.from_kwargs(kwargs)


def test_an_option_given_twice_or_unknown_to_chatbot_is_refused() -> None:
    from flask_chatbot import Chatbot

    with pytest.raises(OptionsError, match="given both"):
        ChatOptions.from_kwargs({"chatbot": Chatbot(rtl=True), "rtl": False})
    with pytest.raises(OptionsError, match="did you mean 'height'"):
        Chatbot(heigth=3)
    with pytest.raises(OptionsError, match="tuples"):
        Chatbot(type="tuples")


def test_gradio_s_type_likeable_and_path_avatars_port_unchanged(tmp_path) -> None:
    """gr.ChatInterface(type="messages"), Chatbot(likeable=True) and a pathlib.Path avatar, as a
    Gradio app writes them (docs/migrating-from-gradio.md)."""
    import pathlib

    from flask_chatbot import Chatbot

    avatar = pathlib.Path(__file__).resolve().parent.parent / "sample_app" / "static" / "bot.png"
    chat_bp(respond, type="messages", chatbot=Chatbot(likeable=True, avatar_images=(None, avatar)))
    with pytest.raises(OptionsError, match="'tuples' format is not supported"):
        chat_bp(respond, type="tuples")
