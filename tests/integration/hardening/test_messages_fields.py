"""``/v1/messages`` and ``/v1/messages/count_tokens``: every mistake is a 4xx in Anthropic's envelope."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.integration.hardening.support import (
    FUZZ,
    assert_error,
    assert_handled,
    json_values,
    odd_text,
)
from tollway.api.anthropic.models import MessagesRequest

BASE: dict[str, Any] = {"model": "mock-chat", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
PATHS = st.sampled_from(["/v1/messages", "/v1/messages/count_tokens"])


def _rejected_locally(body: dict[str, Any]) -> bool:
    try:
        MessagesRequest.model_validate(body)
    except ValidationError:
        return True
    return False


@FUZZ
@given(field=st.sampled_from(sorted(MessagesRequest.model_fields)), value=json_values, stream=st.booleans())
def test_wrong_value_for_each_field(http: httpx.Client, field: str, value: Any, stream: bool) -> None:
    body = {**BASE, "stream": stream, field: value}
    assume(_rejected_locally(body))
    error = assert_error(http.post("/v1/messages", json=body), statuses=(400,))
    assert error["type"] == "invalid_request_error"
    assert str(error["param"]).startswith(field), (field, error)


block_types = st.sampled_from(["text", "image", "tool_use", "tool_result", "thinking", "document", "bogus", None])
block_keys = st.sampled_from(["text", "source", "id", "name", "input", "tool_use_id", "content", "is_error",
                              "thinking", "cache_control", "signature"])


@st.composite
def blocks(draw: st.DrawFn) -> dict[str, Any]:
    """Content blocks of every kind, with fields that are sometimes right and sometimes anything at all."""
    kind = draw(block_types)
    block: dict[str, Any] = {} if kind is None else {"type": kind}
    if kind == "text":
        block["text"] = draw(st.one_of(odd_text, json_values))
    elif kind == "image":
        block["source"] = draw(st.one_of(
            json_values,
            st.fixed_dictionaries({"type": st.sampled_from(["base64", "url", "file", "x"]),
                                   "media_type": st.one_of(odd_text, json_values),
                                   "data": st.one_of(odd_text, json_values), "url": st.one_of(odd_text, json_values)})))
    elif kind == "tool_result":
        block["tool_use_id"] = draw(st.one_of(odd_text, json_values))
        block["content"] = draw(st.one_of(odd_text, json_values, st.lists(json_values, max_size=3)))
    block.update(draw(st.dictionaries(block_keys, json_values, max_size=2)))
    return block


@FUZZ
@given(path=PATHS, turns=st.lists(st.tuples(st.sampled_from(["user", "assistant"]),
                                            st.one_of(odd_text, st.lists(blocks(), max_size=3))),
                                  min_size=1, max_size=4),
       system=st.one_of(st.none(), odd_text, st.lists(blocks(), max_size=2)),
       stream=st.booleans(), model=st.sampled_from(["mock-chat", "gpt"]))
def test_random_content_blocks(http: httpx.Client, path: str, turns: list[tuple[str, Any]], system: Any,
                               stream: bool, model: str) -> None:
    body: dict[str, Any] = {**BASE, "model": model, "stream": stream,
                            "messages": [{"role": r, "content": c} for r, c in turns]}
    if system is not None:
        body["system"] = system
    assert_handled(http.post(path, json=body))


@FUZZ
@given(path=PATHS, tools=st.lists(st.fixed_dictionaries({"name": st.one_of(odd_text, json_values)},
                                                        optional={"input_schema": json_values,
                                                                  "description": json_values}), max_size=2),
       tool_choice=st.one_of(json_values, st.fixed_dictionaries(
           {"type": st.sampled_from(["auto", "any", "none", "tool", "x"])},
           optional={"name": json_values, "disable_parallel_tool_use": json_values})),
       thinking=st.one_of(st.none(), json_values, st.fixed_dictionaries(
           {"type": st.sampled_from(["enabled", "disabled"])}, optional={"budget_tokens": json_values})),
       metadata=st.one_of(st.none(), st.fixed_dictionaries({"user_id": json_values})),
       output_config=st.one_of(st.none(), json_values, st.fixed_dictionaries(
           {"format": st.one_of(json_values, st.fixed_dictionaries({"type": st.just("json_schema"),
                                                                    "schema": json_values}))})))
def test_random_tools_and_options(http: httpx.Client, path: str, tools: Any, tool_choice: Any, thinking: Any,
                                  metadata: Any, output_config: Any) -> None:
    body: dict[str, Any] = {**BASE, "tools": tools, "tool_choice": tool_choice, "thinking": thinking,
                            "metadata": metadata, "output_config": output_config}
    assert_handled(http.post(path, json=body))


@FUZZ
@given(missing=st.sampled_from(["model", "max_tokens", "messages"]), stream=st.booleans())
def test_missing_required_fields(http: httpx.Client, missing: str, stream: bool) -> None:
    body = {k: v for k, v in {**BASE, "stream": stream}.items() if k != missing}
    error = assert_error(http.post("/v1/messages", json=body), statuses=(400,))
    assert error["param"] == missing
