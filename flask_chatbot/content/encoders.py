"""Files made from the objects fn gives a component: PNG images from PIL images and numpy
arrays, WAV sound from samples, an HTML document from a figure (content/components.py).

The libraries (PIL, numpy, matplotlib, plotly) are never imported to recognise an object:
only what the object can do is looked at; Pillow is imported only to encode an array.
"""

from __future__ import annotations

import io
import wave
from typing import Any


def is_pil_image(value: Any) -> bool:
    return callable(getattr(value, "save", None)) and hasattr(value, "mode") and hasattr(value, "size")


def pil_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def array_png(array: Any) -> bytes:
    try:
        from PIL import Image as PILImage  # optional: only for numpy images
    except ImportError:
        raise TypeError("showing a numpy array as an image needs Pillow (pip install pillow)") from None
    if array.dtype.kind == "f":  # Gradio's convention: floats in [0, 1]
        array = (array.clip(0, 1) * 255).round()
    if array.dtype.kind == "b":
        array = array * 255
    return pil_png(PILImage.fromarray(array.astype("uint8")))


def wav(sample_rate: int, samples: Any) -> bytes:
    """A WAV file of ``samples`` (frames × channels, or frames), as Gradio's Audio takes them."""
    if samples.ndim not in (1, 2):
        raise TypeError(f"audio samples must be 1-D or 2-D (frames, channels), not {samples.ndim}-D")
    kind = samples.dtype.kind
    if kind == "f":
        samples, width = (samples.clip(-1.0, 1.0) * 32767).round().astype("<i2"), 2
    elif kind == "u" and samples.dtype.itemsize == 1:
        width = 1
    elif kind in "iu" and samples.dtype.itemsize in (2, 4):
        samples, width = samples.astype(f"<i{samples.dtype.itemsize}"), samples.dtype.itemsize
    else:
        raise TypeError(f"audio samples must be float, uint8, int16 or int32, not {samples.dtype}")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1 if samples.ndim == 1 else int(samples.shape[1]))
        out.setsampwidth(width)
        out.setframerate(int(sample_rate))
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def html_document(figure: Any) -> str:
    """An HTML document for an object with ``_repr_html_`` or ``to_html``."""
    html_text = None
    if callable(getattr(figure, "_repr_html_", None)):
        html_text = figure._repr_html_()
    if html_text is None and callable(getattr(figure, "to_html", None)):
        html_text = figure.to_html()
    if not isinstance(html_text, str):
        raise TypeError(
            f"Plot() needs a matplotlib figure or an object with _repr_html_ or to_html, not {type(figure).__name__}"
        )
    if html_text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return html_text
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
        f"<body>\n{html_text}\n</body></html>\n"
    )


__all__ = ["array_png", "html_document", "is_pil_image", "pil_png", "wav"]
