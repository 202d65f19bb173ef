"""``/v1/chat/completions``: a wrong type in any field is a 400 naming that field; odd but valid
conversations are answered (or refused with a 4xx), never a 5xx; unknown fields follow ``drop_params``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.integration.hardening.support import (
    CHAT_PATHS,
    FUZZ,
    assert_error,
    assert_handled,
    gateway_config,
    json_values,
    odd_text,
)
from tollway.types.chat import ChatRequest

BASE: dict[str, Any] = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}]}
TOP_FIELDS = sorted(set(ChatRequest.model_fields))
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal"]


def _rejected_locally(body: dict[str, Any]) -> bool:
    """Whether the canonical model refuses the body (skips values pydantic's lax mode coerces, e.g. "1" -> 1)."""
    try:
        ChatRequest.model_validate(body)
    except ValidationError:
        return True
    return False


@FUZZ
@given(field=st.sampled_from(TOP_FIELDS), value=json_values, path=st.sampled_from(CHAT_PATHS), stream=st.booleans())
def test_wrong_value_for_each_top_level_field(http: httpx.Client, field: str, value: Any, path: str,
                                              stream: bool) -> None:
    body = {**BASE, "stream": stream, field: value}
    assume(_rejected_locally(body))
    error = assert_error(http.post(path, json=body), statuses=(400,))
    assert error["type"] == "invalid_request_error"
    assert str(error["param"]).startswith(field), (field, error)
    assert field in error["message"]


@FUZZ
@given(role=st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"]),
       field=st.sampled_from(MESSAGE_FIELDS), value=json_values)
def test_wrong_value_for_each_message_field(http: httpx.Client, role: str, field: str, value: Any) -> None:
    message: dict[str, Any] = {"role": role, "content": "x", "tool_call_id": "call_1", "name": "n"}
    message[field] = value
    body = {**BASE, "messages": [{"role": "user", "content": "first"}, message]}
    assume(_rejected_locally(body))
    error = assert_error(http.post("/v1/chat/completions", json=body), statuses=(400,))
    assert str(error["param"]).startswith("messages[1]"), error


@FUZZ
@given(missing=st.sampled_from(["model", "messages"]), stream=st.booleans())
def test_missing_required_fields(http: httpx.Client, missing: str, stream: bool) -> None:
    body = {k: v for k, v in {**BASE, "stream": stream}.items() if k != missing}
    error = assert_error(http.post("/v1/chat/completions", json=body), statuses=(400,))
    assert error["param"] == missing and missing in error["message"]


# ----------------------------------------------------------------------------- odd but well-typed requests

roles = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"])
bad_urls = st.one_of(
    st.sampled_from(["", "not a url", "data:", "data:image/png;base64,", "data:image/png;base64,!!!",
                     "data:text/plain,hello", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
                     "ftp://x/y.png", "http://[::1", "javascript:alert(1)", "data:image/png;base64," + "A" * 5000]),
    odd_text,
)
parts = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, odd_text),
    st.builds(lambda u, d: {"type": "image_url", "image_url": {"url": u, **({"detail": d} if d else {})}},
              bad_urls, st.sampled_from([None, "low", "high", "auto"])),
    st.builds(lambda d: {"type": "input_audio", "input_audio": {"data": d, "format": "wav"}}, odd_text),
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(roles)
    message: dict[str, Any] = {"role": role}
    if role == "user":
        message["content"] = draw(st.one_of(odd_text, st.lists(parts, min_size=1, max_size=3)))
    elif role == "assistant":
        message["content"] = draw(st.one_of(st.none(), odd_text))
        if draw(st.booleans()):
            message["tool_calls"] = [{"id": draw(odd_text), "type": "function",
                                      "function": {"name": draw(odd_text), "arguments": draw(odd_text)}}]
    elif role == "tool":
        message.update(content=draw(odd_text), tool_call_id=draw(odd_text))
    elif role == "function":
        message.update(content=draw(odd_text), name=draw(odd_text))
    else:
        message["content"] = draw(odd_text)
    return message


tools = st.lists(st.builds(
    lambda name, params: {"type": "function", "function": {"name": name, "parameters": params}},
    odd_text, st.dictionaries(st.sampled_from(["type", "properties", "required", "$ref", "items"]), json_values,
                              max_size=3)),
    max_size=2)


@FUZZ
@given(conversation=st.lists(messages(), min_size=1, max_size=5), stream=st.booleans(), tool_list=tools,
       tool_choice=st.sampled_from([None, "none", "auto", "required"]),
       limits=st.fixed_dictionaries({}, optional={"max_tokens": st.integers(1, 2**40), "n": st.integers(1, 3),
                                                  "stop": st.lists(odd_text, max_size=4),
                                                  "temperature": st.floats(0, 2)}),
       model=st.sampled_from(["mock-chat", "gpt"]))
def test_odd_conversations(http: httpx.Client, conversation: list[dict[str, Any]], stream: bool,
                           tool_list: list[dict[str, Any]], tool_choice: str | None, limits: dict[str, Any],
                           model: str) -> None:
    """Tool results without a call, assistant-only or system-only chats, bad tool schemas, bad image URLs."""
    body: dict[str, Any] = {"model": model, "messages": conversation, "stream": stream, **limits}
    if tool_list:
        body["tools"] = tool_list
    if tool_choice:
        body["tool_choice"] = tool_choice
    assert_handled(http.post("/v1/chat/completions", json=body))


# ----------------------------------------------------------------------------- unknown fields and drop_params

extra_names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12).filter(
    lambda n: n not in ChatRequest.model_fields and n not in ("drop_params", "fallbacks"))


@FUZZ
@given(name=extra_names, value=json_values, stream=st.booleans())
def test_unknown_fields_are_refused_without_drop_params(http: httpx.Client, name: str, value: Any,
                                                        stream: bool) -> None:
    error = assert_error(http.post("/v1/chat/completions", json={**BASE, "stream": stream, name: value}),
                         statuses=(400,))
    assert error["code"] == "unsupported_parameter" and error["param"] == name


@FUZZ
@given(name=extra_names, value=json_values, stream=st.booleans())
def test_unknown_fields_are_dropped_with_drop_params_in_the_body(http: httpx.Client, name: str, value: Any,
                                                                 stream: bool) -> None:
    response = http.post("/v1/chat/completions",
                         json={**BASE, "stream": stream, name: value, "drop_params": True})
    assert response.status_code == 200, response.text[:300]
    assert_handled(response)


@pytest.fixture
def dropping_http(start_gateway: Any, openai_upstream: Any) -> Any:
    config = {**gateway_config(openai_upstream.base_url), "litellm_settings": {"drop_params": True}}
    with httpx.Client(base_url=start_gateway(config).url, timeout=30,
                      headers={"authorization": "Bearer sk-test-master"}) as c:
        yield c


@FUZZ
@given(name=extra_names, value=json_values, model=st.sampled_from(["mock-chat", "gpt"]))
def test_unknown_fields_are_dropped_with_drop_params_in_the_config(dropping_http: httpx.Client, name: str,
                                                                   value: Any, model: str) -> None:
    response = dropping_http.post("/v1/chat/completions", json={**BASE, "model": model, name: value})
    assert response.status_code == 200, response.text[:300]
    assert_handled(response)
