"""chat_bp()'s options of the chat's HTTP API (web/http_api.py) and its OpenAI-compatible endpoint
(web/openai_api.py), checked at start-up."""

from __future__ import annotations

import re
from typing import Any

from ..errors import OptionsError


def check_api_options(api_name: Any, api_description: Any) -> None:
    """chat_bp()'s api_name and api_description (OptionsError says what to change)."""
    if api_name is not False and (not isinstance(api_name, str) or not re.match(r"^[A-Za-z0-9_-]{1,64}\Z", api_name)):
        raise OptionsError(f"api_name must be a name like 'chat' (letters, digits, _ and -) or False, not {api_name!r}")
    if api_description is not None and not isinstance(api_description, (str, bool)):
        raise OptionsError(f"api_description must be a string, None or False, not {api_description!r}")


def check_openai_options(opts: Any) -> None:
    if not isinstance(opts.openai_compatible, bool):
        raise OptionsError(f"openai_compatible must be True or False, not {opts.openai_compatible!r}")
    if opts.openai_model is not None and (
        not isinstance(opts.openai_model, str) or not re.match(r"^[\w.:/-]{1,128}\Z", opts.openai_model)
    ):
        raise OptionsError(
            f"openai_model must be a model id like 'my-bot' (letters, digits, . : / _ -), not {opts.openai_model!r}"
        )
    if opts.openai_model is not None and not opts.openai_compatible:
        raise OptionsError("openai_model is the OpenAI-compatible endpoint's: set openai_compatible=True")


__all__ = ["check_api_options", "check_openai_options"]
