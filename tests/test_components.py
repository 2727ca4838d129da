"""Files, media and components in messages (flask_chatbot/content/components.py): wire content, HTML,
what comes back from a browser, and what fn sees."""

from __future__ import annotations

import html
import json
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import bleach
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from flask import Flask
from PIL import Image as PILImage
from test_rendering import elements  # the HTML parser the rendering tests use

from flask_chatbot.content.components import (
    HTML,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Audio,
    Code,
    Dataframe,
    File,
    FileData,
    Gallery,
    Image,
    InvalidContent,
    Plot,
    Video,
    for_fn,
    from_wire,
    human_size,
    render_content,
    to_content,
)
from flask_chatbot.files.store import FileStore, file_view


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "outputs"
    folder.mkdir()
    for name in ("cat.png", "song.mp3", "clip.mp4", "report.pdf", "page.html", "logo.svg"):
        (folder / name).write_bytes(b"bytes of " + name.encode())
    return folder


def file_url(file_id: str, download: bool) -> str:
    return f"/chat/files/{file_id}" + ("?download=1" if download else "")


def clean(text: str) -> str:
    return bleach.clean(text, tags={"p", "b"}, strip=True)


def highlight(code: str, language: str | None) -> str:
    return (
        f'<pre class="highlight" data-language="{html.escape(language or "")}"><code>{html.escape(code)}</code></pre>'
    )


def render(content: dict[str, Any], *, allow_downloads: bool = True, **extra: Any) -> str:
    return render_content(
        content, file_url=file_url, clean_html=clean, highlight=highlight, allow_downloads=allow_downloads, **extra
    )


def tags(markup: str) -> list[str]:
    return [tag for tag, _ in elements(markup)]


def first(markup: str, tag: str) -> dict[str, str | None]:
    return next(attrs for name, attrs in elements(markup) if name == tag)


def assert_json(content: dict[str, Any]) -> None:
    assert json.loads(json.dumps(content, allow_nan=False)) == content


# -- images, audio, video, files ---------------------------------------------------------


def test_an_image_path_becomes_a_stored_file_and_an_img(store: FileStore, files: Path) -> None:
    content = to_content(Image(str(files / "cat.png"), alt_text="A cat"), store)
    stored = store.get(content["file"]["id"])
    assert stored is not None
    assert content == {
        "component": "image",
        "file": {"id": stored.id, "name": "cat.png", "size": 16, "mime_type": "image/png"},
        "alt_text": "A cat",
    }
    assert_json(content)
    markup = render(content)
    assert markup == (
        f'<figure class="media image"><img src="/chat/files/{stored.id}" alt="A cat" loading="lazy">'
        f'<a class="media-download" href="/chat/files/{stored.id}?download=1" download '
        'aria-label="Download cat.png">Download</a></figure>'
    )
    assert "Download" not in render(content, allow_downloads=False)


def test_gradio_file_shapes_all_work(store: FileStore, files: Path) -> None:
    path = str(files / "cat.png")
    shapes = [
        {"path": path, "alt_text": "A cat"},
        (path, "A cat"),
        FileData(path=path),
        Path(path),
        (path,),
        {"path": path, "url": None, "orig_name": "cat.png", "meta": {"_type": "gradio.FileData"}},
    ]
    contents = [to_content(shape, store) for shape in shapes]
    assert {c["component"] for c in contents} == {"image"}
    assert len({c["file"]["id"] for c in contents}) == 1  # one copy however it is named
    assert contents[0]["alt_text"] == contents[1]["alt_text"] == "A cat"
    assert "alt_text" not in contents[2]


def test_the_mime_type_picks_the_player(store: FileStore, files: Path) -> None:
    kinds = {
        name: to_content({"path": str(files / name)}, store)["component"]
        for name in ("cat.png", "song.mp3", "clip.mp4", "report.pdf", "page.html", "logo.svg")
    }
    assert kinds == {
        "cat.png": "image",
        "song.mp3": "audio",
        "clip.mp4": "video",
        "report.pdf": "file",
        "page.html": "file",
        "logo.svg": "image",
    }
    # A component class decides over the type.
    assert to_content(File(str(files / "cat.png")), store)["component"] == "file"


def test_an_image_without_alt_text_is_named_by_its_file(store: FileStore, files: Path) -> None:
    markup = render(to_content(Image(str(files / "cat.png")), store))
    assert first(markup, "img")["alt"] == "cat.png"
    labelled = render(to_content(Image(str(files / "cat.png"), label="Your cat"), store))
    assert first(labelled, "img")["alt"] == "Your cat"
    assert "<figcaption>Your cat</figcaption>" in labelled


def test_audio_and_video_get_players_named_for_the_file(store: FileStore, files: Path) -> None:
    audio = to_content(Audio(str(files / "song.mp3")), store)
    video = to_content(Video(str(files / "clip.mp4")), store)
    assert audio["component"] == "audio" and video["component"] == "video"
    player = first(render(audio), "audio")
    assert player == {
        "controls": None,
        "preload": "metadata",
        "src": f"/chat/files/{audio['file']['id']}",
        "aria-label": "Audio: song.mp3",
    }
    screen = first(render(video), "video")
    assert screen["src"] == f"/chat/files/{video['file']['id']}"
    assert screen["aria-label"] == "Video: clip.mp4" and "controls" in screen and screen["preload"] == "metadata"


def test_a_file_card_shows_name_size_and_a_download_link(store: FileStore, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    with open(report, "wb") as out:
        out.truncate(1_258_291)
    content = to_content({"path": str(report)}, store)
    file_id = content["file"]["id"]
    assert render(content) == (
        '<div class="file-card"><span class="file-name">report.pdf</span><span class="file-size">1.2 MB</span>'
        f'<a class="file-download" href="/chat/files/{file_id}?download=1" download aria-label="Download report.pdf">'
        "Download</a></div>"
    )
    assert render(content, allow_downloads=False) == (
        '<div class="file-card"><span class="file-name">report.pdf</span><span class="file-size">1.2 MB</span></div>'
    )


def test_sizes_read_as_people_expect() -> None:
    assert [human_size(n) for n in (0, 1, 1023, 1024, 1_258_291, 50 * 1024**2, 3 * 1024**3)] == [
        "0 bytes",
        "1 byte",
        "1023 bytes",
        "1.0 KB",
        "1.2 MB",
        "50 MB",
        "3.0 GB",
    ]


def test_https_urls_are_shown_directly_and_never_fetched(store: FileStore, tmp_path: Path) -> None:
    # example.invalid cannot resolve: a fetch would fail.
    content = to_content(Image("https://example.invalid/cats/tabby%20cat.png"), store)
    assert content == {"component": "image", "url": "https://example.invalid/cats/tabby%20cat.png"}
    assert not (tmp_path / "store").exists()  # nothing stored
    img = first(render(content), "img")
    assert img["src"] == "https://example.invalid/cats/tabby%20cat.png" and img["alt"] == "tabby cat.png"
    audio = to_content({"url": "https://example.invalid/a.mp3"}, store)
    assert audio == {"component": "audio", "url": "https://example.invalid/a.mp3"}
    assert first(render(audio), "audio")["src"] == "https://example.invalid/a.mp3"
    card = render(to_content(File("https://example.invalid/files/data.csv"), store))
    assert card.startswith('<div class="file-card"><span class="file-name">data.csv</span>')
    assert first(card, "a")["rel"] == "noopener noreferrer"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ftp://host/x.png",
        "https://host/a b.png",
        "//host/x.png",
        "https://host/\\evil",
        "/chat/files/x",
    ],
)
def test_only_http_urls_are_taken(store: FileStore, url: str) -> None:
    with pytest.raises(TypeError):
        to_content({"url": url}, store)
    with pytest.raises(InvalidContent):
        from_wire({"component": "image", "url": url}, store)


def test_an_image_from_a_host_not_allowed_becomes_a_link(store: FileStore) -> None:
    content = to_content(Image("https://tracker.example/pixel.png", alt_text="chart"), store)
    markup = render(content, remote_allowed=lambda url: url.startswith("https://cdn.example/"))
    assert "img" not in tags(markup)
    assert first(markup, "a")["href"] == "https://tracker.example/pixel.png"
    assert "img" in tags(render(content, remote_allowed=lambda url: True))


def test_pil_images_numpy_images_and_numpy_sound_are_stored(store: FileStore) -> None:
    pil = to_content(Image(PILImage.new("RGB", (4, 3), "red")), store)
    assert pil["file"]["mime_type"] == "image/png"
    with PILImage.open(store.get(pil["file"]["id"]).path) as reopened:
        assert reopened.size == (4, 3)
    array = to_content(Image(np.zeros((5, 6, 3), dtype=np.uint8)), store)
    with PILImage.open(store.get(array["file"]["id"]).path) as reopened:
        assert reopened.size == (6, 5)
    tone = np.sin(np.linspace(0, 100, 8000, dtype=np.float32))
    sound = to_content(Audio((8000, tone)), store)
    assert sound["component"] == "audio" and sound["file"]["mime_type"] == "audio/wav"
    with wave.open(str(store.get(sound["file"]["id"]).path)) as wav:
        assert (wav.getframerate(), wav.getnframes(), wav.getnchannels()) == (8000, 8000, 1)


# -- gallery, html, plot, dataframe, code ----------------------------------------------------


def test_a_gallery_shows_images_and_videos_with_captions(store: FileStore, files: Path) -> None:
    content = to_content(
        Gallery([(str(files / "cat.png"), "Tabby"), str(files / "clip.mp4"), "https://example.invalid/dog.jpg"]), store
    )
    assert [(f["component"], f.get("caption")) for f in content["files"]] == [
        ("image", "Tabby"),
        ("video", None),
        ("image", None),
    ]
    assert content["files"][2] == {"component": "image", "url": "https://example.invalid/dog.jpg"}
    markup = render(content, allow_downloads=False)
    assert tags(markup) == ["figure", "div", "figure", "img", "figcaption", "figure", "video", "figure", "img"]
    assert first(markup, "div") == {"class": "gallery-grid", "role": "group", "aria-label": "Gallery"}
    assert first(markup, "img")["alt"] == "Tabby"


def test_html_is_cleaned_by_the_callers_sanitizer(store: FileStore) -> None:
    content = to_content(HTML("<p>Hi <b>there</b><script>alert(1)</script></p>"), store)
    assert content == {"component": "html", "value": "<p>Hi <b>there</b><script>alert(1)</script></p>"}
    assert render(content) == '<div class="media html"><p>Hi <b>there</b>alert(1)</p></div>'


def test_a_matplotlib_figure_is_a_png_made_once_per_change(store: FileStore) -> None:
    figure = matplotlib.figure.Figure(figsize=(2, 2))
    figure.add_subplot().plot([1, 3, 2])
    contents = [to_content(Plot(figure), store) for _ in range(5)]  # a generator yielding it again
    assert contents[0]["component"] == "plot" and contents[0]["file"]["mime_type"] == "image/png"
    assert len({c["file"]["id"] for c in contents}) == 1
    assert store.get(contents[0]["file"]["id"]).path.read_bytes().startswith(b"\x89PNG")
    img = first(render(contents[0]), "img")
    assert img["alt"] == "Plot" and img["src"] == f"/chat/files/{contents[0]['file']['id']}"

    figure.axes[0].plot([2, 2, 2])
    assert to_content(Plot(figure), store)["file"]["id"] != contents[0]["file"]["id"]


def test_a_repr_html_object_runs_in_a_sandboxed_iframe(store: FileStore) -> None:
    frame = pd.DataFrame({"x": [1, 2]})  # has _repr_html_ and no savefig
    content = to_content(Plot(frame, label="Table view"), store)
    stored = store.get(content["file"]["id"])
    assert stored.kind == "html-repr" and stored.mime_type == "text/html"
    document = stored.path.read_text()
    assert document.startswith("<!doctype html>") and "<table" in document
    iframe = first(render(content), "iframe")
    assert iframe["sandbox"] == "allow-scripts"  # never allow-same-origin
    assert iframe["src"] == f"/chat/files/{stored.id}" and iframe["title"] == "Table view"

    app = Flask(__name__)
    app.add_url_rule("/chat/files/<file_id>", view_func=file_view(store))
    served = app.test_client().get(iframe["src"])
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["Content-Security-Policy"].startswith("sandbox allow-scripts;")


def test_a_dataframe_is_an_escaped_table(store: FileStore) -> None:
    frame = pd.DataFrame(
        {
            "name": ["<script>alert(1)</script>", "Bob & Co"],
            "score": [1.5, float("nan")],
            "n": np.array([3, 4], dtype=np.int64),
            "ok": [True, False],
        }
    )
    content = to_content(Dataframe(frame), store)
    assert content == {
        "component": "dataframe",
        "headers": ["name", "score", "n", "ok"],
        "rows": [["<script>alert(1)</script>", 1.5, 3, True], ["Bob & Co", "nan", 4, False]],
        "total_rows": 2,
        "total_columns": 4,
    }
    assert_json(content)
    markup = render(content)
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert '<th scope="col">score</th>' in markup and "<td>Bob &amp; Co</td>" in markup
    assert "<td>true</td>" in markup
    assert first(markup, "div") == {"class": "table-scroll", "role": "region", "tabindex": "0", "aria-label": "Table"}
    assert "more row" not in markup


def test_a_list_of_rows_with_headers_is_a_table(store: FileStore) -> None:
    content = to_content(Dataframe([[1, "a"], [2, "b"]], headers=["id", "letter"]), store)
    assert content["headers"] == ["id", "letter"] and content["rows"] == [[1, "a"], [2, "b"]]
    also = to_content(Dataframe({"data": [[1, "a"], [2, "b"]], "headers": ["id", "letter"]}), store)
    assert also == content
    headless = render(to_content(Dataframe(np.arange(6).reshape(2, 3)), store))
    assert "thead" not in tags(headless) and headless.count("<td>") == 6


def test_a_huge_dataframe_renders_in_bounded_size(store: FileStore) -> None:
    frame = pd.DataFrame({"a": np.arange(100_000), "b": ["word"] * 100_000, "c": np.ones(100_000)})
    content = to_content(Dataframe(frame), store)
    assert len(content["rows"]) == MAX_ROWS and content["total_rows"] == 100_000
    markup = render(content)
    assert markup.count("<tr>") == MAX_ROWS + 1
    assert len(markup) < 100_000
    assert '<p class="dataframe-more">… 99,000 more rows</p>' in markup

    wide = pd.DataFrame(np.zeros((1000, 80)))
    wide_content = to_content(Dataframe(wide), store)
    assert all(len(row) == MAX_COLUMNS for row in wide_content["rows"])
    assert len(wide_content["rows"]) * MAX_COLUMNS <= MAX_CELLS
    assert "… 600 more rows and 30 more columns" in render(wide_content)

    long_cells = to_content(Dataframe([["x" * 10_000]]), store)
    assert len(long_cells["rows"][0][0]) <= 300


def test_code_is_highlighted_by_the_caller(store: FileStore) -> None:
    content = to_content(Code("print('<hi>')", language="python"), store)
    assert content == {"component": "code", "value": "print('<hi>')", "language": "python"}
    assert render(content) == (
        '<figure class="media code"><pre class="highlight" data-language="python"><code>print(&#x27;&lt;hi&gt;&#x27;)'
        "</code></pre></figure>"
    )
    assert to_content(Code("x", language='py" onload="x'), store)["language"] is None


# -- hostile text -----------------------------------------------------------------------------


HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_hostile_file_names_alt_texts_and_labels_are_escaped(store: FileStore, tmp_path: Path) -> None:
    hostile_file = tmp_path / (HOSTILE.replace("/", "") + ".png")
    hostile_file.write_bytes(b"png")
    contents = [
        to_content(Image(str(hostile_file)), store),
        to_content(Image(str(hostile_file), alt_text=HOSTILE, label=HOSTILE), store),
        to_content(File(str(hostile_file), label=HOSTILE), store),
        to_content(Audio(str(hostile_file), label=HOSTILE), store),
        to_content(Gallery([(str(hostile_file), HOSTILE)], label=HOSTILE), store),
        to_content(Dataframe([[HOSTILE]], headers=[HOSTILE], label=HOSTILE), store),
        to_content({"path": str(hostile_file), "alt_text": HOSTILE}, store),
    ]
    for content in contents:
        markup = render(content)
        for tag, attrs in elements(markup):
            assert tag != "script"
            assert "onerror" not in attrs
            if tag == "img":
                assert attrs["src"].startswith("/chat/files/")
        assert "<script>" not in markup and "<img src=x" not in markup


# -- from the browser -------------------------------------------------------------------------


def test_wire_content_comes_back_unchanged_when_honest(store: FileStore, files: Path) -> None:
    figure = matplotlib.figure.Figure()
    figure.add_subplot()
    contents = [
        to_content(Image(str(files / "cat.png"), alt_text="A cat", label="Cat"), store),
        to_content(Audio(str(files / "song.mp3")), store),
        to_content(Video("https://example.invalid/v.mp4"), store),
        to_content(File(str(files / "report.pdf")), store),
        to_content(Plot(figure), store),
        to_content(Gallery([(str(files / "cat.png"), "cap"), str(files / "clip.mp4")]), store),
        to_content(HTML("<p>x</p>"), store),
        to_content(Code("x = 1"), store),
        to_content(Dataframe([[1, None, "a"]], headers=["a", "b", "c"]), store),
    ]
    for content in contents:
        sent = json.loads(json.dumps(content))
        assert from_wire(sent, store) == content


def test_the_store_not_the_client_says_what_a_file_is(store: FileStore, files: Path) -> None:
    content = to_content({"path": str(files / "report.pdf")}, store)
    only_id = {"component": "file", "file": {"id": content["file"]["id"]}}
    assert from_wire(only_id, store) == content
    for key, forged in (("name", "invoice.exe"), ("size", 1), ("mime_type", "image/png")):
        sent = {"component": "file", "file": {**content["file"], key: forged}}
        with pytest.raises(InvalidContent, match=key):
            from_wire(sent, store)


@pytest.mark.parametrize(
    "sent",
    [
        {"component": "image", "file": {"id": "A" * 24}},
        {"component": "image", "file": {"id": "../../etc/passwd"}},
        {"component": "image", "file": {"id": 5}},
        {"component": "image", "file": "A" * 24},
        {"component": "image", "file": {"id": "A" * 24, "path": "/etc/passwd"}},
        {"component": "image", "path": "/etc/passwd"},
        {"component": "image"},
        {"component": "image", "url": "https://a.example/x.png", "file": {"id": "A" * 24}},
        {"component": "image", "url": "https://a.example/x.png", "onerror": "x"},
        {"component": "plot", "url": "https://a.example/x.png"},
        {"component": "script", "value": "x"},
        {"component": "html"},
        {"component": "html", "value": 5},
        {"component": "code", "value": "x", "language": "py thon"},
        {"component": "gallery", "files": [{"component": "file", "url": "https://a.example/x"}]},
        {"component": "gallery", "files": [{"component": "image", "url": "https://a.example/x.png"}] * 101},
        {"component": "dataframe", "headers": [], "rows": [[{"x": 1}]], "total_rows": 1, "total_columns": 1},
        {"component": "dataframe", "headers": [], "rows": [[1]] * 1001, "total_rows": 1001, "total_columns": 1},
        {"component": "dataframe", "headers": [], "rows": [[1, 2]], "total_rows": 0, "total_columns": 2},
        {"component": "dataframe", "headers": [], "rows": [["x" * 301]], "total_rows": 1, "total_columns": 1},
        {"component": "image", "url": "https://a.example/x.png", "alt_text": "x" * 1001},
        "just text",
        ["component", "image"],
    ],
)
def test_malformed_or_forged_wire_content_is_refused(store: FileStore, sent: Any) -> None:
    store.add_bytes(b"x", name="x.png")  # the store exists and has files
    with pytest.raises(InvalidContent):
        from_wire(sent, store)


# -- what fn sees -----------------------------------------------------------------------------


def test_fn_sees_gradio_file_dicts_with_the_store_path(store: FileStore, files: Path) -> None:
    content = to_content(Image(str(files / "cat.png"), alt_text="A cat"), store)
    seen = for_fn(content, store)
    stored = store.get(content["file"]["id"])
    assert seen == {
        "path": str(stored.path),
        "url": None,
        "size": 16,
        "orig_name": "cat.png",
        "mime_type": "image/png",
        "is_stream": False,
        "meta": {"_type": "gradio.FileData"},
        "alt_text": "A cat",
    }
    assert Path(seen["path"]).read_bytes() == b"bytes of cat.png"
    code = to_content(Code("x = 1", "python"), store)
    assert for_fn(code, store) == {"component": "code", "value": "x = 1", "language": "python"}


def test_what_fn_sees_given_back_shows_the_same_thing(store: FileStore, files: Path) -> None:
    figure = matplotlib.figure.Figure()
    figure.add_subplot()
    contents = [
        to_content(Image(str(files / "cat.png"), alt_text="A cat"), store),
        to_content(Audio(str(files / "song.mp3")), store),
        to_content(Image("https://example.invalid/x.png"), store),
        to_content(Plot(figure), store),
        to_content(Plot(pd.DataFrame({"x": [1]})), store),
        to_content(Gallery([(str(files / "cat.png"), "cap")]), store),
        to_content(HTML("<p>x</p>"), store),
        to_content(Code("x = 1", "python"), store),
        to_content(Dataframe([[1, "a"]], headers=["n", "s"]), store),
    ]
    before = sorted(p.name for p in store.root.iterdir())
    for content in contents:
        assert to_content(for_fn(content, store), store) == content
    assert sorted(p.name for p in store.root.iterdir()) == before  # nothing copied again


# -- mistakes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        42,
        object(),
        "plain text",
        ("a", "b", "c"),
        {"text": "x"},
        {"component": "nope", "value": 1},
        {"component": "image", "file": {"id": "A" * 24}},
    ],
)
def test_anything_else_is_a_clear_type_error(store: FileStore, value: Any) -> None:
    with pytest.raises(TypeError, match="message|component|text|tuple|dict"):
        to_content(value, store)


def test_component_mistakes_are_named(store: FileStore, files: Path) -> None:
    with pytest.raises(TypeError, match="needs a value"):
        to_content(Image(), store)
    with pytest.raises(TypeError, match="alt_txt"):
        Image(str(files / "cat.png"), alt_txt="typo")
    with pytest.raises(TypeError, match="Plot"):
        to_content(Plot(object()), store)
    with pytest.raises(FileNotFoundError):
        to_content(Image(str(files / "missing.png")), store)
    # Gradio's layout options port unchanged.
    assert to_content(Image(str(files / "cat.png"), height=300, show_label=False), store)["component"] == "image"


def test_optional_libraries_are_not_imported_with_the_module() -> None:
    probe = (
        "import sys, flask_chatbot.content.components, flask_chatbot.files.store; "
        "print(sorted(m for m in ('matplotlib', 'pandas', 'numpy', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_content_is_json(store: FileStore, files: Path) -> None:
    for value in (
        Image(str(files / "cat.png")),
        Dataframe(pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]), "n": [pd.NA]}, dtype=object)),
        Code("x"),
        HTML("<b>x</b>"),
    ):
        assert_json(to_content(value, store))
