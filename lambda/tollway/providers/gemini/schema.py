"""JSON Schema (what OpenAI tools carry) cleaned down to Gemini's ``Schema`` object.

Gemini's function declarations take a subset of OpenAPI 3.0: no ``$ref``/``$defs``,
``additionalProperties``, ``$schema``, ``const`` or type arrays, and an object must have
properties. Rather than fail upstream with an opaque 400, we rewrite what has a
faithful equivalent (``$ref`` inlined, ``["string", "null"]`` -> ``nullable``,
``const`` -> one-value ``enum``, ``oneOf`` -> ``anyOf``) and drop what has none.
"""

from __future__ import annotations

from typing import Any

#: keys Gemini's Schema understands (others are dropped)
_KEPT = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "items", "properties", "required",
    "minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength", "pattern",
    "minimum", "maximum", "anyOf", "propertyOrdering", "default", "example",
})
_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
#: the ``format`` values Gemini accepts, per type (others are rejected upstream, so dropped)
_FORMATS = {"STRING": ("enum", "date-time"), "NUMBER": ("float", "double"), "INTEGER": ("int32", "int64")}
#: how deep ``$ref`` expansion may go (recursive schemas are cut there)
MAX_DEPTH = 12


def to_gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` that Gemini accepts as function ``parameters``."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    return _clean(schema, defs, 0)


def has_properties(schema: dict[str, Any] | None) -> bool:
    """Whether a parameters schema declares anything (Gemini rejects an empty object)."""
    return bool(schema and schema.get("properties"))


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    name = ref.rsplit("/", 1)[-1]
    target = defs.get(name)
    if not isinstance(target, dict):
        return {k: v for k, v in node.items() if k != "$ref"}
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return {**target, **siblings}


def _clean(node: Any, defs: dict[str, Any], depth: int) -> dict[str, Any]:
    if not isinstance(node, dict):
        return {}
    if depth > MAX_DEPTH:
        return {"type": "OBJECT"} if node.get("type") == "object" else {}
    node = _resolve(node, defs)
    out: dict[str, Any] = {}
    nullable = bool(node.get("nullable"))

    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        nullable = nullable or "null" in kind
        kind = kinds[0] if len(kinds) == 1 else None
        if len(kinds) > 1:
            out["anyOf"] = [{"type": k.upper()} for k in kinds if k in _TYPES]
    if isinstance(kind, str) and kind in _TYPES and kind != "null":
        out["type"] = kind.upper()

    variants = node.get("anyOf") or node.get("oneOf")
    if isinstance(variants, list):
        non_null = [v for v in variants if not (isinstance(v, dict) and v.get("type") == "null")]
        nullable = nullable or len(non_null) < len(variants)
        cleaned = [_clean(v, defs, depth + 1) for v in non_null]
        if len(cleaned) == 1:
            out.update({k: v for k, v in cleaned[0].items() if k not in out})
        elif cleaned:
            out["anyOf"] = cleaned
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        for part in all_of:
            for key, value in _clean(part, defs, depth + 1).items():
                out.setdefault(key, value)

    if "const" in node:
        out["enum"] = [node["const"]]
    for key, value in node.items():
        if key not in _KEPT or key in ("type", "anyOf", "nullable"):
            continue
        if key == "properties" and isinstance(value, dict):
            props = {name: _clean(sub, defs, depth + 1) for name, sub in value.items()}
            if props:
                out["properties"] = props
        elif key == "items":
            out["items"] = _clean(value, defs, depth + 1)
        elif key == "enum" and isinstance(value, list):
            out["enum"] = value
        else:
            out[key] = value

    return _finish(out, depth, nullable=nullable)


def _finish(out: dict[str, Any], depth: int, *, nullable: bool) -> dict[str, Any]:
    """Enforce Gemini's rules on one cleaned node (enums, required, object properties)."""
    if "type" not in out and "anyOf" not in out:
        if "properties" in out:
            out["type"] = "OBJECT"
        elif "items" in out:
            out["type"] = "ARRAY"
    if "enum" in out:
        # Gemini enums are string-only; other literals become their string form
        out["enum"] = [str(v) for v in out["enum"] if v is not None]
        out["type"] = "STRING"
        out.setdefault("format", "enum")
    if "format" in out and out["format"] not in _FORMATS.get(out.get("type", ""), ()):
        del out["format"]
    if "required" in out:
        names = set(out.get("properties", {}))
        out["required"] = [r for r in out["required"] if r in names]
        if not out["required"]:
            del out["required"]
    if out.get("type") not in (None, "OBJECT"):
        out.pop("properties", None)
        out.pop("required", None)
    if out.get("type") == "OBJECT" and "properties" not in out:
        # an object without declared properties: Gemini would reject it, a string carries anything
        out = {k: v for k, v in out.items() if k in ("description", "title")}
        out["type"] = "OBJECT" if depth == 0 else "STRING"
    if nullable:
        out["nullable"] = True
    return out
