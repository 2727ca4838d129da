"""The element's languages (issue 9, item 7): the built-in locales translate every text, the
standalone page speaks the reader's language (or the chat's `lang`) with the right direction,
and `strings` overrides are checked at start-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from flask_chatbot import OptionsError, chat_bp
from flask_chatbot.options.locales import LOCALES, string_names

WEBCOMPONENT = Path(__file__).resolve().parent.parent / "webcomponent"
ENTRY = re.compile(r"^  (\w+): '((?:[^'\\]|\\.)*)',?$", re.M)


def table(path: Path, name: str) -> dict[str, str]:
    source = path.read_text(encoding="utf-8")
    start = source.index(f"export const {name} = Object.freeze({{")
    return dict(ENTRY.findall(source[start : source.index("\n})", start)]))


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{\w+\}", text))


# strings.js's table, and those of the modules loaded on first use.
ENGLISH = table(WEBCOMPONENT / "i18n/strings.js", "EN")
for module, name in (
    ("composer/file-rules.js", "FILE_TEXT"),
    ("composer/recorder.js", "RECORDER_TEXT"),
    ("panels/status-view.js", "STATUS_TEXT"),
    ("panels/history-panel.js", "HISTORY_TEXT"),
):
    ENGLISH.update(table(WEBCOMPONENT / module, name))


@pytest.mark.parametrize("lang", [lang for lang in LOCALES if lang != "en"])
def test_each_locale_translates_every_text_with_the_same_placeholders(lang: str) -> None:
    texts = table(WEBCOMPONENT / f"i18n/locale-{lang}.js", "STRINGS")
    assert sorted(texts) == sorted(ENGLISH)  # every name, no other
    for name, text in texts.items():
        assert text.strip(), (lang, name)
        assert placeholders(text) == placeholders(ENGLISH[name]), (lang, name, text)
    # Translated, not copied: most texts differ from English.
    assert sum(texts[name] != ENGLISH[name] for name in texts) > 0.8 * len(texts)


def test_the_names_python_checks_are_the_element_s() -> None:
    assert string_names() == set(ENGLISH)
    assert {"send", "stop", "queued", "placeholder"} <= string_names()


def page(app: Flask, path: str = "/chat/", **headers: str) -> tuple[str, dict[str, str]]:
    response = app.test_client().get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True), dict(response.headers)


def app_with(**options: object) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(chat_bp(lambda message, history: message, **options), url_prefix="/chat")
    return app


def test_the_page_speaks_the_reader_s_language_and_preloads_its_texts() -> None:
    app = app_with()
    html, headers = page(app, **{"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    assert '<html lang="fr" dir="ltr">' in html
    assert re.search(r'<link rel="modulepreload" href="/chat/static/i18n/locale-fr\.js">', html)
    assert "Accept-Language" in headers["Vary"]
    html, _ = page(app, **{"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in html
    html, _ = page(app, **{"Accept-Language": "pt-BR"})  # no locale: English, nothing to preload
    assert '<html lang="en" dir="ltr">' in html and "modulepreload" not in html
    assert app.test_client().get("/chat/static/i18n/locale-ar.js").status_code == 200


def test_lang_pins_the_page_and_the_element_and_rtl_still_wins() -> None:
    html, headers = page(app_with(lang="he"), **{"Accept-Language": "de"})
    assert '<html lang="he" dir="rtl">' in html and "Accept-Language" not in headers.get("Vary", "")
    html, _ = page(app_with(lang="de", rtl=True))
    assert '<html lang="de" dir="rtl">' in html
    config = (
        app_with(lang="ja", strings={"send": "Go", "de": {"send": "Los"}}).test_client().get("/chat/config.json").json
    )
    assert config["lang"] == "ja" and config["strings"] == {"send": "Go", "de": {"send": "Los"}}
    assert app_with().test_client().get("/chat/config.json").json["textbox_placeholder"] is None


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"lang": "german!"}, "lang must be a language tag"),
        ({"lang": 7}, "lang must be a language tag"),
        ({"strings": {"sned": "Go"}}, "'sned' is not one of the element's texts; did you mean 'send'"),
        (
            {"strings": {"de": {"stpo": "Halt"}}},
            r"strings\['de'\]: 'stpo' is not one of the element's texts; did you mean 'stop'",
        ),
        ({"strings": {"send": 5}}, r"strings\['send'\] must be a string"),
        ({"strings": ["send", "Go"]}, "strings must be a dict"),
    ],
)
def test_bad_language_options_are_refused_at_start_up(options: dict[str, object], problem: str) -> None:
    with pytest.raises(OptionsError, match=problem):
        chat_bp(lambda message, history: message, **options)
