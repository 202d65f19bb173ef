"""Values that satisfy a JSON Schema, derived deterministically from the schema (and a few hints).

What a mock needs to answer like a model that follows instructions: tool arguments and
structured-output replies that validate. Supported: ``type`` (one or a list), ``properties`` /
``required`` / ``additionalProperties``, ``items`` / ``prefixItems`` / ``minItems`` / ``maxItems`` /
``uniqueItems``, ``enum``, ``const``, ``default``, ``anyOf`` / ``oneOf`` / ``allOf``, local ``$ref``
(``#/$defs/...``, ``#/definitions/...``), numeric bounds and ``multipleOf``, string lengths and
the common ``format`` values. ``pattern`` is not solved (use ``enum`` or ``const`` for exact strings).

Objects get their ``required`` properties (as a model calling a tool sends them); an object schema
that lists no ``required`` gets every property.

``hints`` map property names to strings found in the conversation (a path for ``file_path``, a URL
for ``url``): a string property whose name contains a hint's key takes that value.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

MAX_DEPTH = 6

_FORMATS = {
    "date-time": "2025-01-01T12:00:00Z", "date": "2025-01-01", "time": "12:00:00Z", "duration": "P1D",
    "email": "user@example.com", "idn-email": "user@example.com", "hostname": "example.com",
    "idn-hostname": "example.com", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "uri": "https://example.com/",
    "uri-reference": "https://example.com/", "iri": "https://example.com/", "url": "https://example.com/",
    "json-pointer": "/a", "regex": ".*",
}


def value_for(schema: Any, *, name: str = "value", hints: dict[str, str] | None = None) -> Any:
    """A value valid against ``schema`` (best effort for ``pattern`` and contradictory schemas)."""
    return _Generator(schema if isinstance(schema, dict) else {}, hints or {}).value(schema, name, 0)


class _Generator:
    def __init__(self, root: dict[str, Any], hints: dict[str, str]) -> None:
        self.root = root
        self.hints = hints

    def value(self, schema: Any, name: str, depth: int) -> Any:
        schema = self._deref(schema if isinstance(schema, dict) else {}, depth)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        for key in ("anyOf", "oneOf"):
            options = [o for o in schema.get(key) or [] if isinstance(o, dict)]
            if options:
                chosen = next((o for o in options if self._deref(o, depth).get("type") != "null"), options[0])
                merged = {k: v for k, v in schema.items() if k != key}
                return self.value({**merged, **self._deref(chosen, depth)}, name, depth + 1)
        if schema.get("allOf"):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for raw in schema["allOf"]:
                part = self._deref(raw if isinstance(raw, dict) else {}, depth)
                merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
            return self.value(merged, name, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "integer":
            return int(_number(schema, integer=True))
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def _deref(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < 16:
            target = _pointer(self.root, schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
            seen += 1
        return schema

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}  # a client's schema may be anything
        listed = schema.get("required")
        required = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
        optional = list(properties) if "required" not in schema and depth < MAX_DEPTH else []
        names = list(dict.fromkeys([*required, *optional]))
        out = {key: self.value(properties.get(key, {}), key, depth + 1) for key in names}
        least = schema.get("minProperties")
        minimum = min(least, 100) if isinstance(least, int) and not isinstance(least, bool) else 0
        extra = schema.get("additionalProperties")
        while len(out) < minimum and extra is not False:
            out[f"key{len(out)}"] = self.value(extra if isinstance(extra, dict) else {}, "value", depth + 1)
        return out

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        prefix = [p for p in schema.get("prefixItems") or [] if isinstance(p, dict)]
        low = int(schema.get("minItems") or 0)
        high = schema.get("maxItems")
        count = max(low, len(prefix), 1 if depth < MAX_DEPTH else 0)
        if isinstance(high, int):
            count = min(count, high)
        raw_items = schema.get("items")
        items: dict[str, Any] = raw_items if isinstance(raw_items, dict) else {}
        out: list[Any] = []
        for index in range(count):
            item_schema = prefix[index] if index < len(prefix) else items
            value = self.value(item_schema, name, depth + 1)
            if schema.get("uniqueItems") and value in out:
                value = self._distinct(item_schema, out, name, depth)
            out.append(value)
        return out

    def _distinct(self, schema: dict[str, Any], taken: list[Any], name: str, depth: int) -> Any:
        resolved = self._deref(schema, depth)
        for option in resolved.get("enum") or []:
            if option not in taken:
                return option
        kind = _type_of(resolved)
        if kind in ("integer", "number"):
            return max(v for v in taken if isinstance(v, (int, float))) + 1
        return f"{self._string(resolved, name)}-{len(taken)}"

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        lowered = name.lower()
        hinted = next((v for k, v in self.hints.items() if k in lowered), None)
        if fmt == "uuid":
            text = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        elif fmt in _FORMATS:
            text = _FORMATS[fmt]
        elif hinted is not None:
            text = hinted
        else:
            text = f"example {name}" if name != "value" else "example"
        low, high = int(schema.get("minLength") or 0), schema.get("maxLength")
        if len(text) < low:
            text += "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string"


def _number(schema: dict[str, Any], *, integer: bool) -> float:
    step = schema.get("multipleOf")
    low = _bound(schema, "minimum", "exclusiveMinimum", integer, up=True)
    high = _bound(schema, "maximum", "exclusiveMaximum", integer, up=False)
    value: float = 1 if integer else 1.5
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    if isinstance(step, (int, float)) and step > 0:
        multiple = math.ceil(value / step) * step
        value = multiple if high is None or multiple <= high else math.floor(value / step) * step
    return math.ceil(value) if integer else value


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, integer: bool, *, up: bool) -> float | None:
    bound = schema.get(inclusive)
    strict = schema.get(exclusive)
    if isinstance(strict, bool):  # draft 4: a flag on the inclusive bound
        strict = bound if strict else None
        bound = None if strict is not None else bound
    if isinstance(strict, (int, float)):
        nudged = strict + (1 if integer else 0.5) * (1 if up else -1)
        bound = nudged if bound is None else (max(bound, nudged) if up else min(bound, nudged))
    return float(bound) if isinstance(bound, (int, float)) else None


def _pointer(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for raw in ref[1:].split("/"):
        if not raw:
            continue
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}
