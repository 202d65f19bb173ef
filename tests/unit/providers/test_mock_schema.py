"""The mock's schema-following values validate against their schemas (checked with jsonschema)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.providers.mock.schema import value_for

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
     "required": ["city", "unit"], "additionalProperties": False},
    {"type": "object", "properties": {
        "when": {"type": "string", "format": "date-time"}, "day": {"type": "string", "format": "date"},
        "email": {"type": "string", "format": "email"}, "id": {"type": "string", "format": "uuid"},
        "site": {"type": "string", "format": "uri"}, "ip": {"type": "string", "format": "ipv4"}},
     "required": ["when", "day", "email", "id", "site", "ip"]},
    {"type": "object", "properties": {
        "count": {"type": "integer", "minimum": 5, "maximum": 9, "multipleOf": 3},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "flag": {"type": "boolean"}, "nothing": {"type": "null"},
        "code": {"type": "string", "minLength": 12, "maxLength": 14}}, "required": ["count", "ratio", "code"]},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 3,
                                               "uniqueItems": True},
                                      "pair": {"type": "array", "prefixItems": [{"type": "integer"},
                                                                                {"type": "string"}]},
                                      "sizes": {"type": "array", "items": {"enum": ["s", "m", "l"]},
                                                "minItems": 2, "uniqueItems": True}},
     "required": ["tags", "pair", "sizes"]},
    # what pydantic (and the openai SDK's strict mode) produce: $defs, $ref, anyOf with null, nesting
    {"$defs": {"Step": {"type": "object", "properties": {"explanation": {"type": "string"},
                                                         "output": {"type": "string"}},
                        "required": ["explanation", "output"], "additionalProperties": False},
               "Kind": {"type": "string", "enum": ["math", "logic"]}},
     "type": "object", "properties": {"steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}},
                                      "final_answer": {"type": "string"}, "kind": {"$ref": "#/$defs/Kind"},
                                      "note": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 2}]}},
     "required": ["steps", "final_answer", "kind", "note"], "additionalProperties": False},
    {"type": "object", "properties": {"shape": {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}},
         "required": ["kind", "r"]},
        {"type": "object", "properties": {"kind": {"const": "square"}}, "required": ["kind"]}]},
        "both": {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                           {"properties": {"b": {"type": "string"}}, "required": ["b"]}]}},
     "required": ["shape", "both"]},
    {"type": ["string", "null"], "format": "date"},
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_values_validate(schema: dict[str, Any]) -> None:
    value = value_for(schema)
    jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
    assert value_for(schema) == value  # deterministic


def test_required_properties_are_filled_and_hints_fill_paths() -> None:
    schema = {"type": "object", "properties": {"file_path": {"type": "string"}, "offset": {"type": "integer"}},
              "required": ["file_path"]}
    assert value_for(schema, hints={"path": "/tmp/notes.txt"}) == {"file_path": "/tmp/notes.txt"}
    assert set(value_for({"type": "object", "properties": {"a": {}, "b": {"type": "integer"}}})) == {"a", "b"}


_scalar = st.sampled_from([{"type": "string"}, {"type": "integer", "minimum": -3, "maximum": 40},
                           {"type": "number", "maximum": -2.5}, {"type": "boolean"}, {"enum": ["x", 3, None]},
                           {"type": "string", "format": "date-time", "maxLength": 40}])
_schemas = st.recursive(_scalar, lambda inner: st.one_of(
    st.builds(lambda props, n: {"type": "object", "properties": props, "required": list(props)[:n],
                                "additionalProperties": False},
              st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), inner, max_size=4),
              st.integers(0, 4)),
    st.builds(lambda item, n: {"type": "array", "items": item, "minItems": n}, inner, st.integers(0, 3)),
    st.builds(lambda a, b: {"anyOf": [a, b]}, inner, inner),
), max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(_schemas)
def test_generated_schemas_validate(schema: dict[str, Any]) -> None:
    jsonschema.validate(value_for(schema), schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": True},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": True},
    {"type": "object", "required": "a"},
    {"type": "object", "minProperties": "3"},
    {"type": "object", "minProperties": 10**9},
])
def test_malformed_object_schemas_still_get_an_object(schema: dict[str, Any]) -> None:
    """A client's tool schema may be anything; the mock answers with some object, never a crash (was a 500)."""
    assert isinstance(value_for(schema, name="tool"), dict)
