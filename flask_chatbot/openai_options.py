"""chat_bp()'s options of the OpenAI-compatible endpoint (openai_api.py), checked."""

from __future__ import annotations

import re
from typing import Any

from .errors import OptionsError


def check_openai_options(opts: Any) -> None:
    if not isinstance(opts.openai_compatible, bool):
        raise OptionsError(f"openai_compatible must be True or False, not {opts.openai_compatible!r}")
    if opts.openai_model is not None and (not isinstance(opts.openai_model, str) or not re.match(r"^[\w.:/-]{1,128}\Z", opts.openai_model)):
        raise OptionsError(f"openai_model must be a model id like 'my-bot' (letters, digits, . : / _ -), not {opts.openai_model!r}")
    keys = opts.openai_api_key
    if keys is not None and (not isinstance(keys, (tuple, list)) or not keys or not all(isinstance(k, str) and k for k in keys)):
        raise OptionsError(f"openai_api_key must be a key string, a list of them, or None, not {keys!r}")
    if (opts.openai_model is not None or keys is not None) and not opts.openai_compatible:
        raise OptionsError("openai_model and openai_api_key are the OpenAI-compatible endpoint's: set openai_compatible=True")


__all__ = ["check_openai_options"]
