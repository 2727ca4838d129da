"""How the blueprint sends the element's files: the bundle and the stylesheet built once
(rebuilt in debug mode when a source changed), gzipped, revalidated with a strong ETag (304);
the page gzipped only when that saves something. What is built is tested in test_bundle.py
and test_minify.py."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_chatbot import chat_bp
from flask_chatbot.web.assets import ENTRY, bundle_modules, element_asset, inline_css_imports

ROOT = Path(__file__).resolve().parent.parent
WEBCOMPONENT = ROOT / "webcomponent"


def test_built_once_unless_asked_to_check_for_changes(tmp_path: Path) -> None:
    (tmp_path / "chat-bot.js").write_text("export const version = 1\n", encoding="utf-8")
    first = element_asset(tmp_path, ENTRY)
    (tmp_path / "chat-bot.js").write_text("export const version = 22\n", encoding="utf-8")
    assert element_asset(tmp_path, ENTRY) is first  # production: built at the first request
    rebuilt = element_asset(tmp_path, ENTRY, check_changes=True)  # debug: an edit shows on reload
    assert b"const version = 22" in rebuilt.body
    assert element_asset(tmp_path, ENTRY, check_changes=True) is rebuilt


@pytest.fixture
def client() -> FlaskClient:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda message, history: message, title="Assets"), url_prefix="/chat")
    return app.test_client()


@pytest.mark.parametrize(
    ("path", "mimetype", "expected"),
    [
        ("/chat/static/chat-bot.js", "text/javascript", lambda: bundle_modules(WEBCOMPONENT)),
        ("/chat/static/styles.css", "text/css", lambda: inline_css_imports(WEBCOMPONENT)),
        ("/chat/page.css", "text/css", lambda: (ROOT / "flask_chatbot/static/page.css").read_text(encoding="utf-8")),
    ],
)
def test_assets_are_gzipped_and_revalidated_with_a_strong_etag(
    client: FlaskClient, path: str, mimetype: str, expected
) -> None:
    plain = client.get(path)
    assert plain.status_code == 200 and plain.mimetype == mimetype
    assert plain.get_data(as_text=True) == expected()
    assert "Content-Encoding" not in plain.headers
    zipped = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    for response in (plain, zipped):
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        etag = response.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/
    assert plain.headers["ETag"] != zipped.headers["ETag"]  # one tag per encoding
    revalidated = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert (revalidated.status_code, revalidated.data) == (304, b"")
    # The plain bytes' tag does not validate the gzipped bytes.
    assert (
        client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]}).status_code == 200
    )


def test_the_other_modules_stay_reachable_one_by_one(client: FlaskClient) -> None:
    for file in ("element.js", "view/render.js", "core/protocol.js"):
        response = client.get(f"/chat/static/{file}")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == (WEBCOMPONENT / file).read_text(encoding="utf-8")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_loads_the_bundle_and_preloads_the_stylesheet(client: FlaskClient) -> None:
    html = client.get("/chat/").get_data(as_text=True)
    assert '<script type="module" src="/chat/static/chat-bot.js"></script>' in html
    assert '<link rel="preload" as="style" href="/chat/static/styles.css">' in html


def test_the_page_is_gzipped_only_when_that_saves_something() -> None:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda m, h: m, name="short"), url_prefix="/short")
    app.register_blueprint(
        chat_bp(lambda m, h: m, name="long", description="A long description. " * 100), url_prefix="/long"
    )
    client = app.test_client()
    short = client.get("/short/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in short.headers and "<chat-bot" in short.get_data(as_text=True)
    long = client.get("/long/", headers={"Accept-Encoding": "gzip"})
    assert long.headers["Content-Encoding"] == "gzip"
    assert "A long description." in gzip.decompress(long.data).decode()
    assert long.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Content-Encoding" not in client.get("/long/").headers  # not accepted: not sent


# What 0.9 served at the top of the element's folder and loaded on first use, before the folders.
FLAT_IN_0_9 = [
    "attach.js",
    "attachments.js",
    "recorder.js",
    "editor.js",
    "history-panel.js",
    "inputs-panel.js",
    "outputs.js",
    "status-view.js",
    *(f"locale-{lang}.js" for lang in ("ar", "de", "es", "fr", "he", "ja", "zh")),
    "example-values.css",
    "history.css",
    "status.css",
]


def test_a_tab_opened_before_the_upgrade_still_loads_its_features_at_their_flat_paths(client: FlaskClient) -> None:
    # Its bundle, from before the upgrade, asks for /static/attach.js; the folders have it now.
    paths = {p.name: p.relative_to(WEBCOMPONENT).as_posix() for p in WEBCOMPONENT.rglob("*") if p.name in FLAT_IN_0_9}
    assert sorted(paths) == sorted(FLAT_IN_0_9) and all("/" in path for path in paths.values())
    for flat, path in paths.items():
        old, new = client.get(f"/chat/static/{flat}"), client.get(f"/chat/static/{path}")
        assert old.status_code == new.status_code == 200, flat
        assert old.data == new.data and old.mimetype == new.mimetype
