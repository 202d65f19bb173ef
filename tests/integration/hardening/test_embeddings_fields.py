"""``/v1/embeddings``: wrong types, empty and oversized inputs, odd strings; never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.integration.hardening.support import (
    EMBED_PATHS,
    FUZZ,
    FUZZ_SMALL,
    assert_error,
    assert_handled,
    json_values,
    odd_text,
)
from tollway.types.embeddings import EmbeddingRequest

BASE: dict[str, Any] = {"model": "mock-embed", "input": "hello"}


def _rejected_locally(body: dict[str, Any]) -> bool:
    try:
        EmbeddingRequest.model_validate(body)
    except ValidationError:
        return True
    return False


@FUZZ
@given(field=st.sampled_from(sorted(EmbeddingRequest.model_fields)), value=json_values,
       path=st.sampled_from(EMBED_PATHS))
def test_wrong_value_for_each_field(http: httpx.Client, field: str, value: Any, path: str) -> None:
    body = {**BASE, field: value}
    assume(_rejected_locally(body))
    error = assert_error(http.post(path, json=body), statuses=(400,))
    assert str(error["param"]).startswith(field), (field, error)


@FUZZ
@given(inputs=st.one_of(odd_text, st.lists(odd_text, max_size=5), st.lists(st.integers(0, 2**40), max_size=5),
                        st.lists(st.lists(st.integers(0, 100_000), max_size=3), max_size=3)),
       dimensions=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**12)),
       encoding=st.sampled_from([None, "float", "base64"]), model=st.sampled_from(["mock-embed", "gpt"]))
def test_odd_inputs(http: httpx.Client, inputs: Any, dimensions: int | None, encoding: str | None,
                    model: str) -> None:
    """Empty strings and arrays, token arrays, huge dimension counts: answered or refused, never a 5xx."""
    if model == "gpt":  # the fake upstream answers with as many floats as asked for
        dimensions = None if dimensions is None else min(dimensions, 64)
    body: dict[str, Any] = {"model": model, "input": inputs}
    if dimensions is not None:
        body["dimensions"] = dimensions
    if encoding:
        body["encoding_format"] = encoding
    response = http.post("/v1/embeddings", json=body)
    assert_handled(response)
    if inputs in ("", []) or (isinstance(inputs, list) and [] in inputs):
        assert response.status_code == 400, response.text[:300]


@FUZZ_SMALL
@given(count=st.integers(min_value=2049, max_value=5000))
def test_too_many_inputs(http: httpx.Client, count: int) -> None:
    error = assert_error(http.post("/v1/embeddings", json={**BASE, "input": ["a"] * count}), statuses=(400,))
    assert error["param"] == "input"
