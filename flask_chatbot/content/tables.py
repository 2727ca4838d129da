"""Tables in messages: what fn gives (a pandas DataFrame or Styler, a numpy 2-D array, a
list of rows) cut to the rows and cells that travel, and the check of a table a browser
sends back.

A table of a million rows must cost the same as one of a thousand: at most
:data:`MAX_ROWS` rows, :data:`MAX_COLUMNS` columns and :data:`MAX_CELLS` cells are read,
and the rest is only counted. pandas and numpy are never imported: their objects are
recognised by what they can do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .sources import InvalidContent, wire_str

#: A table shows at most this much; the rest is counted ("… 99,000 more rows").
MAX_ROWS = 1000
MAX_COLUMNS = 50
MAX_CELLS = 20_000  # a browser lays out a table of this many cells quickly
MAX_CELL_CHARS = 300

Cell = str | int | float | bool | None


def is_array(value: Any) -> bool:
    """Whether ``value`` behaves as a numpy array (numpy itself is optional)."""
    return hasattr(value, "dtype") and hasattr(value, "shape") and callable(getattr(value, "astype", None))


def table_rows(value: Any, headers: Sequence[Any] | None) -> tuple[list[Any], list[list[Any]], int, int]:
    """(headers, the rows shown, the number of rows, the number of columns) of any table fn gives.

    Shown: at most MAX_COLUMNS cells a row, MAX_ROWS rows and MAX_CELLS cells in all.
    """
    if hasattr(value, "data") and callable(getattr(value, "to_html", None)) and hasattr(value.data, "columns"):
        value = value.data  # a pandas Styler
    if hasattr(value, "columns") and callable(getattr(value, "to_dict", None)) and hasattr(value, "iloc"):
        columns = list(headers) if headers is not None else [str(c) for c in value.columns]
        width = len(value.columns)
        head = value.iloc[: _row_limit(width), :MAX_COLUMNS]
        return columns, head.to_numpy(dtype=object).tolist(), len(value), max(len(columns), width)
    if isinstance(value, Mapping):
        if "data" not in value:
            raise TypeError("a Dataframe dict needs 'data' (a list of rows) and may have 'headers'")
        return table_rows(value["data"], headers if headers is not None else value.get("headers"))
    if is_array(value) and callable(getattr(value, "tolist", None)):
        if value.ndim != 2:
            raise TypeError(f"a Dataframe array must be 2-D, not {value.ndim}-D")
        columns, width = list(headers or []), int(value.shape[1])
        return columns, value[: _row_limit(width), :MAX_COLUMNS].tolist(), int(value.shape[0]), max(len(columns), width)
    if isinstance(value, (list, tuple)):
        columns = list(headers or [])
        rows: list[list[Any]] = []
        widest, cells = len(columns), 0
        for row in value[:MAX_ROWS]:
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
                raise TypeError(f"each row of a Dataframe must be a list, not {type(row).__name__}")
            shown = list(row[:MAX_COLUMNS])
            cells += len(shown)
            if cells > MAX_CELLS and rows:
                break
            rows.append(shown)
            widest = max(widest, len(row))
        return columns, rows, len(value), widest
    raise TypeError(f"Dataframe() needs a pandas DataFrame, a 2-D array or a list of rows, not {type(value).__name__}")


def _row_limit(width: int) -> int:
    return min(MAX_ROWS, max(1, MAX_CELLS // max(1, min(width, MAX_COLUMNS))))


def cell(value: Any) -> Cell:
    """A cell as a JSON scalar a browser reads back unchanged; anything else as its text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if not isinstance(value, str) and callable(getattr(value, "item", None)) and getattr(value, "ndim", None) == 0:
        try:
            return cell(value.item())  # a numpy scalar
        except (TypeError, ValueError):
            pass
    return cell_text(value)


def cell_text(value: Any) -> str:
    """A cell or header as text of at most :data:`MAX_CELL_CHARS` characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def check_table(content: Mapping[str, Any]) -> dict[str, Any]:
    """The headers, rows and totals of dataframe wire content a browser sent, checked
    against the limits; raises :class:`InvalidContent` saying what is wrong."""
    headers, rows = content["headers"], content["rows"]
    total_rows, total_columns = content["total_rows"], content["total_columns"]
    if not isinstance(headers, list) or len(headers) > MAX_COLUMNS:
        raise InvalidContent(f"dataframe headers must be a list of at most {MAX_COLUMNS}")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise InvalidContent(f"dataframe rows must be a list of at most {MAX_ROWS}")
    if sum(len(row) for row in rows if isinstance(row, list)) > MAX_CELLS:
        raise InvalidContent(f"a dataframe shows at most {MAX_CELLS} cells")
    for row in rows:
        if not isinstance(row, list) or len(row) > MAX_COLUMNS:
            raise InvalidContent(f"each dataframe row must be a list of at most {MAX_COLUMNS} cells")
        for value in row:
            if isinstance(value, str):
                wire_str(value, "cell", limit=MAX_CELL_CHARS)
            elif value is not None and not isinstance(value, (bool, int, float)):
                raise InvalidContent("dataframe cells are strings, numbers, booleans or null")
    for header in headers:
        wire_str(header, "header", limit=MAX_CELL_CHARS)
    widest = max([len(headers), *(len(row) for row in rows)])
    for value, least in ((total_rows, len(rows)), (total_columns, widest)):
        if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= 10**12:
            raise InvalidContent("dataframe totals must be counts at least as large as what is shown")
    return {"headers": headers, "rows": rows, "total_rows": total_rows, "total_columns": total_columns}
