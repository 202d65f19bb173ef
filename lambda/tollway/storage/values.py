"""Item values as both backends see them, and their exact JSON text for the embedded store.

An item is a ``dict[str, Value]`` of JSON-like values. Numbers are exact: callers may pass ``int``,
``float`` (taken by its shortest repr) or ``Decimal``; backends hand numbers back as ``int`` when
they were written without a fraction or exponent and as ``Decimal`` otherwise, so counters add up
exactly. ``plain`` turns a stored value into what a JSON response wants (``Decimal`` -> ``float``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]


def number(value: int | float | Decimal) -> Decimal:
    """A finite number as the ``Decimal`` a store keeps (floats by their shortest repr)."""
    result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise ValueError(f"A stored number must be finite, not {value!r}.")
    return result


def from_text(text: str) -> int | Decimal:
    """A stored number's text back as ``int`` (no fraction or exponent written) or ``Decimal``."""
    if text.lstrip("-").isdigit():
        return int(text)
    return Decimal(text)


def plain(value: Any) -> Any:
    """A stored value for JSON responses: ``Decimal`` -> ``int``/``float``, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Compact JSON with numbers written exactly (``Decimal`` text, never through ``float``)."""
    parts: list[str] = []
    _dump(value, parts)
    return "".join(parts)


def loads(text: str) -> Any:
    """Inverse of ``dumps``: integers as ``int``, every other number as ``Decimal``."""
    return json.loads(text, parse_float=Decimal)


def _dump(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float | Decimal):
        out.append(str(number(value)))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, inner) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _dump(inner, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, inner in enumerate(value):
            if i:
                out.append(",")
            _dump(inner, out)
        out.append("]")
    else:
        raise TypeError(f"Cannot store a value of type {type(value).__name__}.")
