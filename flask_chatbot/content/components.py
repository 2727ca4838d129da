"""Files, media and components in messages, with Gradio's names.

fn may put in a message ``Image("cat.png")``, ``{"path": "cat.png", "alt_text": "A cat"}``,
``("song.mp3",)``, ``FileData(...)``, ``Plot(fig)``, ``Dataframe(df)``, ``Code(src, "python")``...
Each class here turns its value into wire content (the shapes are in content/wire.py). This
module is also the one place to import them all from::

    from flask_chatbot.content.components import Image, to_content, render_content, from_wire, for_fn

Optional libraries (matplotlib, pandas, PIL, numpy) are never imported here: they are
recognised by what their objects can do (``savefig``, ``_repr_html_``, ``columns``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..files.serving import HTML_REPR
from ..files.store import FileStore
from .encoders import array_png, html_document, is_pil_image, pil_png, wav
from .html import human_size, render_content
from .sources import (
    CODE_LANGUAGE,
    DISPLAYABLE_IMAGES,
    MAX_GALLERY_ITEMS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    FileData,
    InvalidContent,
    checked_url,
    file_info,
    gallery_kind,
    kind_for_mime,
    label_text,
    source_of,
)
from .tables import MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, cell, cell_text, is_array, table_rows

# content, content_html: re-exported, so that one import gives the whole of message content.
from .wire import for_fn, from_wire

# Gradio's layout and behaviour options: accepted so that a Gradio app ports by changing
# imports, and without effect inside a message (as in Gradio's own Chatbot).
GRADIO_DISPLAY_OPTIONS = frozenset(
    """show_label container scale min_width interactive visible elem_id elem_classes render key
    height width show_download_button show_share_button show_fullscreen_button buttons autoplay
    loop format type streaming waveform_options image_mode sources columns rows object_fit preview
    allow_preview selected_index every inputs lines max_lines wrap show_line_numbers datatype
    col_count row_count max_height line_breaks file_count file_types padding show_search
    show_row_numbers show_copy_button pinned_columns editable_columns show_indices
    latex_delimiters min_height placeholder show_fullscreen_button watermark webcam_options
    include_audio show_controls recording editable min_length max_length""".split()
)


class Component:
    """Base of the content components. ``value`` and ``label`` as in Gradio."""

    component: ClassVar[str] = ""

    def __init__(self, value: Any = None, *, label: str | None = None, **gradio_options: Any) -> None:
        unknown = sorted(set(gradio_options) - GRADIO_DISPLAY_OPTIONS)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) {', '.join(unknown)}")
        self.value = value
        self.label = label

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        """This component as wire content (the shapes are in content/wire.py)."""
        raise NotImplementedError

    def _required(self) -> Any:
        if self.value is None:
            raise TypeError(f"{type(self).__name__}() in a message needs a value")
        return self.value

    def _labelled(self, content: dict[str, Any]) -> dict[str, Any]:
        if self.label:
            content["label"] = label_text(self.label, "label")
        return content


class Image(Component):
    """An image: a path, an http(s) URL, a FileData, a PIL image or a numpy array.

    ``Image("chart.png", alt_text="Sales by month")``
    """

    component = "image"

    def __init__(
        self, value: Any = None, *, alt_text: str | None = None, label: str | None = None, **gradio_options: Any
    ) -> None:
        super().__init__(value, label=label, **gradio_options)
        self.alt_text = alt_text

    def to_content(self, store: FileStore) -> dict[str, Any]:
        value = self._required()
        if is_pil_image(value):
            source, alt = (
                {"file": file_info(store.add_bytes(pil_png(value), name="image.png", mime_type="image/png"))},
                None,
            )
        elif is_array(value):
            source, alt = (
                {"file": file_info(store.add_bytes(array_png(value), name="image.png", mime_type="image/png"))},
                None,
            )
        else:
            source, _mime, alt = source_of(value, store)
        content: dict[str, Any] = {"component": "image", **source}
        alt_text = self.alt_text if self.alt_text is not None else alt
        if alt_text:
            content["alt_text"] = label_text(alt_text, "alt_text")
        return self._labelled(content)


class Audio(Component):
    """A sound: a path, an http(s) URL, a FileData, or ``(sample_rate, numpy_array)``."""

    component = "audio"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        value = self._required()
        if isinstance(value, tuple) and len(value) == 2 and hasattr(value[0], "__index__") and is_array(value[1]):
            source: dict[str, Any] = {
                "file": file_info(store.add_bytes(wav(*value), name="audio.wav", mime_type="audio/wav"))
            }
        else:
            source, _mime, _alt = source_of(value, store)
        return self._labelled({"component": self.component, **source})


class Video(Component):
    """A video: a path, an http(s) URL or a FileData."""

    component = "video"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        source, _mime, _alt = source_of(self._required(), store)
        return self._labelled({"component": self.component, **source})


class File(Video):
    """Any file, shown as a card with its name, size and (``allow_file_downloads``) a download link."""

    component = "file"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        if isinstance(self.value, (list, tuple)):
            raise TypeError("File() in a message holds one file; give several messages, or a Gallery of images")
        return super().to_content(store)


class Gallery(Component):
    """Images and videos in a grid: a list of paths, URLs, FileData, PIL images, or
    ``(item, caption)`` pairs."""

    component = "gallery"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        items = self._required()
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"Gallery() needs a list of images or videos, not {type(items).__name__}")
        if len(items) > MAX_GALLERY_ITEMS:
            raise TypeError(f"Gallery() shows at most {MAX_GALLERY_ITEMS} items, not {len(items)}")
        files = []
        for item in items:
            caption = None
            if isinstance(item, tuple) and len(item) == 2 and (item[1] is None or isinstance(item[1], str)):
                item, caption = item
            elif isinstance(item, Mapping) and "caption" in item:
                caption = item["caption"]
            content = Image(item).to_content(store)
            if gallery_kind(content) == "video":
                content["component"] = "video"
            content.pop("alt_text", None)
            if caption:
                content["caption"] = label_text(caption, "caption")
            files.append(content)
        return self._labelled({"component": "gallery", "files": files})


class HTML(Component):
    """HTML shown in the message, sanitized like fn's replies (inline ``style`` cleaned)."""

    component = "html"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        value = self.value if self.value is not None else ""
        if not isinstance(value, str):
            raise TypeError(f"HTML() needs a str, not {type(value).__name__}")
        return self._labelled({"component": "html", "value": value})


class Plot(Component):
    """A chart: a matplotlib figure (shown as a PNG image), or any object with
    ``_repr_html_`` or ``to_html`` (plotly, altair, ...) shown in a sandboxed iframe,
    where its scripts run in an origin of their own."""

    component = "plot"

    def to_content(self, store: FileStore) -> dict[str, Any]:
        figure = self._required()
        if callable(getattr(figure, "savefig", None)):
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", bbox_inches="tight")
            stored = store.add_bytes(buffer.getvalue(), name="plot.png", mime_type="image/png")
        else:
            document = html_document(figure)
            stored = store.add_bytes(document.encode("utf-8"), name="plot.html", mime_type="text/html", kind=HTML_REPR)
        return self._labelled({"component": "plot", "file": file_info(stored)})


class Dataframe(Component):
    """A table: a pandas DataFrame (or Styler), a numpy 2-D array, a list of rows with
    ``headers=``, or ``{"data": rows, "headers": [...]}``. At most :data:`MAX_ROWS` rows and
    :data:`MAX_COLUMNS` columns travel; the rest is counted."""

    component = "dataframe"

    def __init__(
        self,
        value: Any = None,
        *,
        headers: Sequence[Any] | None = None,
        label: str | None = None,
        **gradio_options: Any,
    ) -> None:
        super().__init__(value, label=label, **gradio_options)
        self.headers = headers

    def to_content(self, store: FileStore) -> dict[str, Any]:
        headers, rows, total_rows, total_columns = table_rows(self._required(), self.headers)
        shown_headers = [cell_text(h) for h in headers[:MAX_COLUMNS]]
        shown_rows = [[cell(c) for c in row[:MAX_COLUMNS]] for row in rows]
        return self._labelled(
            {
                "component": "dataframe",
                "headers": shown_headers,
                "rows": shown_rows,
                "total_rows": total_rows,
                "total_columns": total_columns,
            }
        )


class Code(Component):
    """Source code, highlighted on the server: ``Code(src, language="python")``."""

    component = "code"

    def __init__(
        self, value: Any = None, language: str | None = None, *, label: str | None = None, **gradio_options: Any
    ) -> None:
        super().__init__(value, label=label, **gradio_options)
        self.language = language

    def to_content(self, store: FileStore) -> dict[str, Any]:
        value = self.value if self.value is not None else ""
        if not isinstance(value, str):
            raise TypeError(f"Code() needs a str, not {type(value).__name__}")
        language = self.language if isinstance(self.language, str) and CODE_LANGUAGE.fullmatch(self.language) else None
        return self._labelled({"component": "code", "value": value, "language": language})


COMPONENTS: dict[str, type[Component]] = {
    cls.component: cls for cls in (Image, Audio, Video, File, Gallery, HTML, Plot, Dataframe, Code)
}


# -- fn's value → wire content -------------------------------------------------------------


def to_content(value: Any, store: FileStore) -> dict[str, Any]:
    """Wire content for a component, a :class:`FileData`, a ``{"path" | "url": ...}`` dict
    (Gradio's FileDataDict, ``alt_text`` too), a ``(path,)`` / ``(path, alt_text)`` tuple,
    a :class:`pathlib.Path`, or a ``{"component": ...}`` dict as fn sees in its history.

    Files are copied into ``store``; the MIME type picks image, audio, video or a file card.
    Raises :class:`TypeError` for anything else, and what :meth:`FileStore.add_path` raises.
    """
    if isinstance(value, Component):
        return value.to_content(store)
    if isinstance(value, str):
        raise TypeError("text is not file content: give a file as {'path': ...}, (path,) or a component")
    if isinstance(value, Mapping) and "component" in value:
        return _component_dict(value, store)
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 2 or not isinstance(value[0], (str, os.PathLike)):
            raise TypeError("a tuple in a message is (path,) or (path, alt_text), as in Gradio")
        alt = value[1] if len(value) == 2 else None
        if alt is not None and not isinstance(alt, str):
            raise TypeError(f"the alt text of (path, alt_text) must be a str, not {type(alt).__name__}")
        value = {"path": value[0], "alt_text": alt}
    if isinstance(value, (FileData, Mapping, os.PathLike)):
        source, mime, alt = source_of(value, store)
        content: dict[str, Any] = {"component": kind_for_mime(mime), **source}
        if content["component"] == "image" and alt:
            content["alt_text"] = label_text(alt, "alt_text")
        return content
    raise TypeError(
        f"a message cannot show a {type(value).__name__}; give a str, a {{'path': ...}} dict, a (path,) tuple, "
        "a FileData, or a component (Image, Audio, Video, File, Gallery, HTML, Plot, Dataframe, Code)"
    )


def _component_dict(value: Mapping[str, Any], store: FileStore) -> dict[str, Any]:
    kind = value.get("component")
    if "value" not in value:  # already wire content
        try:
            return from_wire(value, store)
        except InvalidContent as exc:
            raise TypeError(f"not content a message can show: {exc}") from None
    if kind == "plot":  # fn's history gives a plot as its file: keep it a plot
        source, _mime, _alt = source_of(value["value"], store)
        if "file" not in source:
            raise TypeError("a plot's value must be a file")
        content: dict[str, Any] = {"component": "plot", **source}
        if value.get("label"):
            content["label"] = label_text(value["label"], "label")
        return content
    cls = COMPONENTS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise TypeError(f"unknown component {kind!r}; one of {', '.join(sorted(COMPONENTS))}")
    options = {k: v for k, v in value.items() if k in ("label", "alt_text", "headers", "language") and v is not None}
    return cls(value["value"], **options).to_content(store)


__all__ = [
    "COMPONENTS",
    "DISPLAYABLE_IMAGES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_GALLERY_ITEMS",
    "MAX_ROWS",
    "MAX_TEXT_CHARS",
    "MAX_URL_CHARS",
    "Audio",
    "Code",
    "Component",
    "Dataframe",
    "File",
    "FileData",
    "Gallery",
    "HTML",
    "Image",
    "InvalidContent",
    "Plot",
    "Video",
    "checked_url",
    "file_info",
    "for_fn",
    "from_wire",
    "human_size",
    "render_content",
    "to_content",
]
