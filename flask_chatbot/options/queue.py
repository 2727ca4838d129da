"""chat_bp()'s options of the fn queue (conversation/fn_queue.py), checked at start-up."""

from __future__ import annotations

from typing import Any

from ..errors import OptionsError


def check_queue_options(limit: Any, concurrency_id: Any) -> None:
    """chat_bp()'s concurrency_limit and concurrency_id; OptionsError says what to change."""
    if not (
        limit is None or limit == "default" or (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1)
    ):
        raise OptionsError(f"concurrency_limit must be a whole number of at least 1, None or 'default', not {limit!r}")
    if concurrency_id is not None and (not isinstance(concurrency_id, str) or not concurrency_id):
        raise OptionsError(f"concurrency_id must be a non-empty string or None, not {concurrency_id!r}")


__all__ = ["check_queue_options"]
