"""Additional inputs: controls beside the message box whose values fn gets after the history.

As gr.ChatInterface's ``additional_inputs``: components (or their string shortcuts) rendered
by the element in an accordion under the conversation, their values sent with each message
and checked here before fn sees them::

    chat_bp(respond, additional_inputs=[Textbox("You are helpful.", label="System prompt"),
                                        Slider(10, 100, value=50, label="Tokens")])

    def respond(message, history, system_prompt, tokens): ...

Each component describes itself for the element (``describe()``, into config.json) and
checks a value from the wire (``parse()``: the value fn gets, or ValueError saying why).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any, TypeGuard

from ..errors import OptionsError
from .textbox import Textbox

# Gradio parameters of input components that mean nothing here: accepted and ignored.
IGNORED = frozenset(
    """show_label container scale min_width interactive visible elem_id elem_classes render key every
    inputs preserved_by_key randomize show_reset_button buttons autofocus autoscroll rtl text_align
    show_copy_button html_attributes filterable""".split()
)
MAX_TEXT = 100_000  # characters of a Textbox input without max_length
MAX_CHOICES = 1000


class InputComponent:
    """An additional input: ``label``, ``info`` (help under it), ``value`` (its default)."""

    kind = ""

    def __init__(self, value: Any = None, *, label: str | None = None, info: str | None = None, **ignored: Any) -> None:
        _check_ignored(type(self).__name__, ignored)
        for name, text in (("label", label), ("info", info)):
            if text is not None and not isinstance(text, str):
                raise OptionsError(f"{type(self).__name__}({name}=...) must be a string, not {text!r}")
        self.label, self.info, self.value = label, info, value

    def describe(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "info": self.info, "value": self.value}

    def parse(self, raw: Any) -> Any:
        raise NotImplementedError


class Slider(InputComponent):
    kind = "slider"

    def __init__(
        self,
        minimum: float = 0,
        maximum: float = 100,
        value: float | None = None,
        *,
        step: float | None = None,
        **options: Any,
    ) -> None:
        for name, number in (("minimum", minimum), ("maximum", maximum), ("value", value), ("step", step)):
            if number is not None and not _is_number(number):
                raise OptionsError(f"Slider({name}=...) must be a number, not {number!r}")
        if maximum <= minimum:
            raise OptionsError(f"Slider: maximum ({maximum}) must be greater than minimum ({minimum})")
        self.minimum, self.maximum = minimum, maximum
        self.step = (
            step
            if step is not None
            else (1 if all(float(n).is_integer() for n in (minimum, maximum)) else (maximum - minimum) / 100)
        )
        if self.step <= 0:
            raise OptionsError(f"Slider: step must be positive, not {step!r}")
        super().__init__(minimum if value is None else value, **options)
        self.value = _default(self, self.value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum, "step": self.step}

    def parse(self, raw: Any) -> Any:
        number = _number(raw, self.minimum, self.maximum)
        whole = all(float(n).is_integer() for n in (self.minimum, self.step))
        return int(number) if whole and float(number).is_integer() else number


class Number(InputComponent):
    kind = "number"

    def __init__(
        self,
        value: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        step: float = 1,
        precision: int | None = None,
        **options: Any,
    ) -> None:
        for name, number in (("value", value), ("minimum", minimum), ("maximum", maximum), ("step", step)):
            if number is not None and not _is_number(number):
                raise OptionsError(f"Number({name}=...) must be a number, not {number!r}")
        if precision is not None and (not isinstance(precision, int) or isinstance(precision, bool) or precision < 0):
            raise OptionsError(f"Number(precision=...) must be a whole number of decimals, not {precision!r}")
        self.minimum, self.maximum, self.step, self.precision = minimum, maximum, step, precision
        super().__init__(value, **options)
        if value is not None:
            self.value = _default(self, value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum, "step": self.step}

    def parse(self, raw: Any) -> Any:
        if raw is None:
            return None  # an empty number box
        number = _number(raw, self.minimum, self.maximum)
        if self.precision is None:
            return number
        return int(round(number)) if self.precision == 0 else round(float(number), self.precision)


class Checkbox(InputComponent):
    kind = "checkbox"

    def __init__(self, value: bool = False, **options: Any) -> None:
        if not isinstance(value, bool):
            raise OptionsError(f"Checkbox(value=...) must be True or False, not {value!r}")
        super().__init__(value, **options)

    def parse(self, raw: Any) -> Any:
        if not isinstance(raw, bool):
            raise ValueError(f"must be true or false, not {_show(raw)}")
        return raw


class _Choices(InputComponent):
    """Dropdown, Radio, CheckboxGroup: ``choices`` of values, or (label, value) pairs; fn gets
    the value, or its index with ``type="index"``."""

    multiple = False

    def __init__(
        self,
        choices: Sequence[Any] | None = None,
        *,
        value: Any = None,
        type: str = "value",  # noqa: A002 (gr.Dropdown's name)
        **options: Any,
    ) -> None:
        name = type_name = self.__class__.__name__
        if type not in ("value", "index"):
            raise OptionsError(f"{type_name}(type=...) must be 'value' or 'index', not {type!r}")
        pairs: list[tuple[str, Any]] = []
        for choice in choices or ():
            label, item = choice if isinstance(choice, (tuple, list)) and len(choice) == 2 else (choice, choice)
            if (
                not isinstance(item, (str, int, float))
                or isinstance(item, bool)
                or not isinstance(label, (str, int, float))
            ):
                raise OptionsError(f"{name}: a choice is a string or number, or a (label, value) pair, not {choice!r}")
            pairs.append((str(label), item))
        if len(pairs) > MAX_CHOICES:
            raise OptionsError(f"{name} has {len(pairs)} choices; at most {MAX_CHOICES}")
        self.choices, self.type = pairs, type
        super().__init__(value, **options)
        if value is not None:
            _default(self, self._wire(value))  # a default must be one of the choices

    def _values(self) -> list[Any]:
        return [item for _, item in self.choices]

    def _wire(self, value: Any) -> Any:
        return list(value) if self.multiple and isinstance(value, (list, tuple)) else value

    def describe(self) -> dict[str, Any]:
        value = self._wire(self.value) if self.value is not None else ([] if self.multiple else None)
        return {**super().describe(), "value": value, "choices": [[label, item] for label, item in self.choices]}

    def _one(self, raw: Any) -> Any:
        values = self._values()
        if raw not in values or isinstance(raw, bool):
            raise ValueError(f"{_show(raw)} is not one of the choices")
        return values.index(raw) if self.type == "index" else raw

    def parse(self, raw: Any) -> Any:
        if not self.multiple:
            return None if raw is None else self._one(raw)
        if not isinstance(raw, list):
            raise ValueError(f"must be a list of choices, not {_show(raw)}")
        if len(raw) != len({repr(r) for r in raw}):
            raise ValueError("holds a choice twice")
        return [self._one(item) for item in raw]


class Dropdown(_Choices):
    kind = "dropdown"

    def __init__(
        self,
        choices: Sequence[Any] | None = None,
        *,
        multiselect: bool | None = None,
        max_choices: int | None = None,
        allow_custom_value: bool = False,
        **options: Any,
    ) -> None:
        self.multiple = bool(multiselect)
        self.max_choices = max_choices
        if allow_custom_value:
            raise OptionsError("Dropdown(allow_custom_value=True) is not supported: the server takes only its choices")
        super().__init__(choices, **options)

    def parse(self, raw: Any) -> Any:
        parsed = super().parse(raw)
        if self.multiple and self.max_choices is not None and len(parsed) > self.max_choices:
            raise ValueError(f"holds {len(parsed)} choices; at most {self.max_choices}")
        return parsed

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "multiselect": self.multiple}


class Radio(_Choices):
    kind = "radio"


class CheckboxGroup(_Choices):
    kind = "checkboxgroup"
    multiple = True


class Accordion:
    """Where the additional inputs show: an accordion with ``label``, ``open`` or closed."""

    def __init__(self, label: str | None = "Additional Inputs", open: bool = False, **ignored: Any) -> None:  # noqa: A002
        _check_ignored("Accordion", ignored)
        if label is not None and not isinstance(label, str):
            raise OptionsError(f"Accordion(label=...) must be a string, not {label!r}")
        self.label, self.open = label or "Additional Inputs", bool(open)


def _textbox_describe(self: Textbox) -> dict[str, Any]:
    given = self.given
    return {
        "type": "textbox",
        "label": given.get("label"),
        "info": given.get("info"),
        "value": given.get("value", ""),
        "placeholder": given.get("placeholder"),
        "lines": given.get("lines", 1),
        "max_lines": given.get("max_lines"),
    }


def _textbox_parse(self: Textbox, raw: Any) -> Any:
    limit = self.given.get("max_length") or MAX_TEXT
    if not isinstance(raw, str):
        raise ValueError(f"must be text, not {_show(raw)}")
    if len(raw) > limit:
        raise ValueError(f"has {len(raw)} characters; the limit is {limit}")
    return raw


SHORTCUTS: dict[str, type] = {
    "textbox": Textbox,
    "text": Textbox,
    "slider": Slider,
    "number": Number,
    "checkbox": Checkbox,
    "dropdown": Dropdown,
    "radio": Radio,
    "checkboxgroup": CheckboxGroup,
}


def parse_additional_inputs(inputs: Any) -> tuple[Any, ...]:
    """``additional_inputs`` as components: one, a list, or string shortcuts ("slider")."""
    if inputs is None:
        return ()
    items = [inputs] if isinstance(inputs, (str, InputComponent, Textbox)) else list(inputs)
    out = []
    for item in items:
        if isinstance(item, str):
            kind = SHORTCUTS.get(item.lower())
            if kind is None:
                close = difflib.get_close_matches(item.lower(), list(SHORTCUTS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; one of {', '.join(SHORTCUTS)}"
                raise OptionsError(f"additional_inputs: no component {item!r}{hint}")
            item = kind()
        if not isinstance(item, (InputComponent, Textbox)):
            raise OptionsError(
                f"additional_inputs takes Textbox, Slider, Number, Checkbox, Dropdown, Radio, CheckboxGroup "
                f"(or their names), not {item!r}"
            )
        out.append(item)
    return tuple(out)


def describe(component: Any) -> dict[str, Any]:
    return _textbox_describe(component) if isinstance(component, Textbox) else component.describe()


def default(component: Any) -> Any:
    """The value fn gets when the reader did not change the input."""
    if isinstance(component, Textbox):
        return component.given.get("value", "")
    if isinstance(component, _Choices) and component.value is not None:
        return component.parse(component._wire(component.value))
    if isinstance(component, _Choices) and component.multiple:
        return []
    return component.value


def parse_values(components: Sequence[Any], raw: Sequence[Any]) -> list[Any]:
    """The values fn gets, from those the element sent (one per input, in order); ValueError
    names the input and what is wrong with its value."""
    if len(raw) != len(components):
        raise ValueError(f"there are {len(components)} additional inputs, not {len(raw)} values")
    values = []
    for position, (component, value) in enumerate(zip(components, raw, strict=False)):
        try:
            values.append(
                _textbox_parse(component, value) if isinstance(component, Textbox) else component.parse(value)
            )
        except ValueError as exc:
            name = describe(component).get("label") or f"input {position + 1}"
            raise ValueError(f"{name}: {exc}") from None
    return values


def _default(component: InputComponent, value: Any) -> Any:
    """``value`` checked as the component's default: OptionsError, at start-up, if wrong."""
    try:
        return component.parse(value)
    except ValueError as exc:
        raise OptionsError(f"{type(component).__name__}(value={value!r}): {exc}") from None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(raw: Any, minimum: float | None, maximum: float | None) -> float:
    if not _is_number(raw):
        raise ValueError(f"must be a number, not {_show(raw)}")
    if minimum is not None and raw < minimum or maximum is not None and raw > maximum:
        raise ValueError(
            f"{raw} is outside {minimum if minimum is not None else '-∞'}–{maximum if maximum is not None else '∞'}"
        )
    return raw


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _check_ignored(name: str, ignored: dict[str, Any]) -> None:
    unknown = [key for key in ignored if key not in IGNORED]
    if unknown:
        raise OptionsError(f"{name}() got an option flask-chatbot does not know: {unknown[0]!r}")
