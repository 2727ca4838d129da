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
    if opts.openai_model is not None and not opts.openai_compatible:
        raise OptionsError("openai_model is the OpenAI-compatible endpoint's: set openai_compatible=True")


__all__ = ["check_openai_options"]
