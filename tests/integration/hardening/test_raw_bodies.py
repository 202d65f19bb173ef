"""Bodies that are not the JSON object a front door expects: each gets a 400 (or 413) in the path's envelope."""

from __future__ import annotations

import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.hardening.support import (
    FUZZ,
    FUZZ_SMALL,
    POST_PATHS,
    assert_error,
    assert_handled,
    json_values,
)

paths = st.sampled_from(POST_PATHS)


@FUZZ
@given(path=paths, body=st.binary(max_size=300))
def test_arbitrary_bytes(http: httpx.Client, path: str, body: bytes) -> None:
    assert_error(http.post(path, content=body), statuses=(400,))


@FUZZ
@given(path=paths, value=json_values.filter(lambda v: not isinstance(v, dict)))
def test_json_that_is_not_an_object(http: httpx.Client, path: str, value: object) -> None:
    error = assert_error(http.post(path, content=json.dumps(value)), statuses=(400,))
    assert error["code"] == "invalid_json"


@FUZZ
@given(path=paths, value=st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_random_objects(http: httpx.Client, path: str, value: dict[str, object]) -> None:
    """Random objects are never valid requests (no model/messages of the right shape): a 4xx, never a 5xx."""
    assert_handled(http.post(path, content=json.dumps(value)))


@FUZZ_SMALL
@given(path=paths, depth=st.integers(min_value=100, max_value=20_000), opener=st.sampled_from(["[", '{"a":']))
def test_deeply_nested(http: httpx.Client, path: str, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    assert_error(http.post(path, content=opener * depth + "1" + closer * depth), statuses=(400,))


@FUZZ_SMALL
@given(path=paths, depth=st.integers(min_value=129, max_value=900),
       where=st.sampled_from(["metadata", "tools", "tool_schema"]))
def test_deep_values_inside_valid_requests(http: httpx.Client, path: str, depth: int, where: str) -> None:
    deep: object = "leaf"
    for _ in range(depth):
        deep = {"a": deep}
    body: dict[str, object] = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}],
                               "max_tokens": 5, "input": "x"}
    if where == "metadata":
        body["metadata"] = deep
    elif "messages" in path:
        body["tools"] = [{"name": "f", "input_schema": deep}]
    else:
        body["tools"] = [{"type": "function", "function": {"name": "f", "parameters": deep}}]
    assert_error(http.post(path, content=json.dumps(body)), statuses=(400,))


@FUZZ
@given(path=paths, literal=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"]),
       field=st.sampled_from(["temperature", "top_p", "max_tokens", "seed", "dimensions", "metadata"]))
def test_numbers_out_of_range(http: httpx.Client, path: str, literal: str, field: str) -> None:
    value = f'{{"x": {literal}}}' if field == "metadata" else literal
    raw = ('{"model": "gpt", "max_tokens": 5, "input": "x", "messages": [{"role": "user", "content": "hi"}], '
           f'"{field}": {value}}}')
    error = assert_error(http.post(path, content=raw), statuses=(400,))
    assert error["code"] == "invalid_json"


@FUZZ
@given(path=paths, junk=st.binary(min_size=1, max_size=8).filter(lambda b: _not_utf8(b)))
def test_invalid_utf8_inside_strings(http: httpx.Client, path: str, junk: bytes) -> None:
    raw = b'{"model": "mock-chat", "max_tokens": 5, "messages": [{"role": "user", "content": "' + junk + b'"}]}'
    assert_error(http.post(path, content=raw), statuses=(400,))


@FUZZ
@given(path=paths, surrogate=st.integers(min_value=0xD800, max_value=0xDFFF),
       where=st.sampled_from(["content", "model", "key", "input"]))
def test_lone_surrogate_escapes(http: httpx.Client, path: str, surrogate: int, where: str) -> None:
    escape = f"\\u{surrogate:04x}"
    content = escape if where == "content" else "hi"
    model = f"mock-{escape}" if where == "model" else "gpt"
    extra = f', "{escape}": 1' if where == "key" else ""
    raw = (f'{{"model": "{model}", "max_tokens": 5, "input": "{escape if where == "input" else "x"}", '
           f'"messages": [{{"role": "user", "content": "{content}"}}]{extra}}}')
    assert_error(http.post(path, content=raw.encode()), statuses=(400,))


@FUZZ_SMALL
@given(path=paths, content_type=st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "",
                                                 "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                                                 "application/xml"]),
       body=st.sampled_from([b"model=gpt&messages=hi", b"<xml/>", b"", b"   \n", b"--x\r\n\r\n--x--"]))
def test_wrong_content_types(http: httpx.Client, path: str, content_type: str, body: bytes) -> None:
    assert_error(http.post(path, content=body, headers={"content-type": content_type}), statuses=(400,))


def test_duplicate_keys_last_one_wins(http: httpx.Client) -> None:
    """Duplicate keys are legal JSON; the last value is the one used (as Python, JS and OpenAI do)."""
    raw = ('{"model": "nope", "model": "mock-chat", "messages": [{"role": "user", "content": "a"}], '
           '"messages": [{"role": "user", "content": "second"}]}')
    response = http.post("/v1/chat/completions", content=raw)
    assert response.status_code == 200, response.text
    assert "second" in response.json()["choices"][0]["message"]["content"]
    raw = '{"model": "mock-chat", "messages": [{"role": "user", "content": "a"}], "temperature": 1, "temperature": 9}'
    error = assert_error(http.post("/v1/chat/completions", content=raw), statuses=(400,))
    assert error["param"] == "temperature"


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return b'"' not in data and b"\\" not in data
    return False
