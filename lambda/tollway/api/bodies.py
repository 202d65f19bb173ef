"""Reading request bodies into canonical models, with OpenAI-style messages for every mistake."""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from tollway.api.context import context_of
from tollway.errors import InvalidRequestError, RequestTooLargeError, UnsupportedParamError

if TYPE_CHECKING:
    from starlette.requests import Request

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = int(os.environ.get("TOLLWAY_MAX_REQUEST_BYTES", str(10 * 1024 * 1024)))
#: deepest nesting of JSON containers accepted (generous for tool schemas; far below what would
#: exhaust the serialisers further down the line)
MAX_DEPTH = 128
#: the most items a request's ``messages`` (or Responses ``input``) list may hold (400 beyond)
MAX_MESSAGES = int(os.environ.get("TOLLWAY_MAX_MESSAGES", "10000"))
#: bodies larger than this are parsed and validated in a worker thread, so one big request does
#: not hold the event loop (and ``/health/liveliness``) for the others; a body with more ``"role"``
#: keys than ``MAX_MESSAGES`` is refused before it is parsed at all (parsing is what stalls)
OFF_LOOP_BYTES = 256 * 1024
#: request fields outside OpenAI's schema that the gateway itself understands
GATEWAY_FIELDS = frozenset({"drop_params", "fallbacks", "guardrails", "disable_guardrails", "tags"})
#: a request's own guardrail fields, kept on the request context for the guardrails (``tollway.guardrails``)
GUARDRAIL_FIELDS = ("guardrails", "disable_guardrails")


async def parse_body(request: Request, model: type[M]) -> M:
    return (await parse_body_and_data(request, model))[0]


async def parse_body_and_data(request: Request, model: type[M]) -> tuple[M, dict[str, Any]]:
    """The validated body and the JSON object it was read from (what a passthrough sends on)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    raw = await _read_limited(request)
    if not raw.strip():
        raise InvalidRequestError("The request body is empty; send a JSON object.", code="invalid_json")
    if raw.count(b'"role"') > MAX_MESSAGES:  # each message names its role: refused before any parsing
        raise _too_many("messages", None)
    body, data = await asyncio.to_thread(_parse, raw, model) if len(raw) > OFF_LOOP_BYTES else _parse(raw, model)
    context_of(request).extra["request_guardrails"] = {k: data[k] for k in GUARDRAIL_FIELDS if k in data}
    return body, data


def _too_many(name: str, count: int | None) -> InvalidRequestError:
    has = f"has {count} items" if count is not None else f"has more than {MAX_MESSAGES} items"
    return InvalidRequestError(f"'{name}' {has}; the gateway's limit is {MAX_MESSAGES}.", param=name,
                               code="too_many_messages")


def _parse(raw: bytes, model: type[M]) -> tuple[M, dict[str, Any]]:
    data = _load_json(raw)
    if not isinstance(data, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    for name in ("messages", "input"):
        items = data.get(name)
        if isinstance(items, list) and len(items) > MAX_MESSAGES:
            raise _too_many(name, len(items))
    try:
        return model.model_validate(data), data
    except ValidationError as exc:
        raise validation_error(exc) from None


async def _read_limited(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes the limit (a chunked upload declares no length)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    raw = b"".join(chunks)
    request._body = raw  # what ``Request.body()`` caches, so later readers still see the body
    return raw


def _load_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity (nor numbers that overflow to them), at most ``MAX_DEPTH``
    levels of nesting, and only text that is valid Unicode (a lone ``\\ud800`` escape is not)."""
    try:
        data = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
        json.dumps(data, ensure_ascii=False).encode()  # lone surrogates cannot be sent on or stored
        if _depth_exceeds(data, MAX_DEPTH):
            raise RecursionError
    except RecursionError:
        raise InvalidRequestError(f"The JSON body of your request is nested too deeply (the limit is {MAX_DEPTH} "
                                  "levels).", code="invalid_json") from None
    except UnicodeEncodeError:
        raise InvalidRequestError("The JSON body of your request contains invalid Unicode (a lone surrogate escape).",
                                  code="invalid_json") from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            detail = f": {exc.msg} (line {exc.lineno}, column {exc.colno})"
        elif isinstance(exc, UnicodeDecodeError):
            detail = ": the body is not valid UTF-8"
        else:
            detail = f": {exc}" if isinstance(exc, _BadNumber) else ""
        raise InvalidRequestError(
            f"We could not parse the JSON body of your request{detail}.", code="invalid_json"
        ) from None
    return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative: the point is not to recurse)."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class _BadNumber(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadNumber(f"{name} is not a valid JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(f"the number {text[:40]} is out of range")
    return value


def gateway_fields(body: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    """Take the gateway's own fields (``GATEWAY_FIELDS``) out of the model's extras and the raw body."""
    extra = body.__pydantic_extra__ or {}
    ours = {k: extra.pop(k) for k in list(extra) if k in GATEWAY_FIELDS}
    for key in ours:
        data.pop(key, None)
    return ours


def split_extras(body: BaseModel, *, drop_params: bool) -> dict[str, Any]:
    """Remove fields outside the schema: gateway fields are returned, others dropped or rejected."""
    extra = body.__pydantic_extra__
    if not extra:
        return {}
    ours = {k: extra.pop(k) for k in list(extra) if k in GATEWAY_FIELDS}
    if extra and not (drop_params or ours.get("drop_params") is True):
        name = sorted(extra)[0]
        raise UnsupportedParamError(
            f"Unrecognized request argument supplied: {name} "
            "(set litellm_settings.drop_params: true to drop unknown parameters)",
            param=name,
        )
    extra.clear()
    return ours


def validation_error(exc: ValidationError) -> InvalidRequestError:
    error = exc.errors()[0]
    param = _param(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return InvalidRequestError(f"Missing required parameter: '{param}'.", param=param)
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        field = f"{param}.{_tag(error)}"
        return InvalidRequestError(
            f"Invalid value for '{field}': '{ctx.get('tag')}' is not one of {ctx.get('expected_tags')}.",
            param=field,
        )
    if kind == "union_tag_not_found":
        return InvalidRequestError(f"Missing required parameter: '{param}.{_tag(error)}'.", param=param)
    message = str(error["msg"]).removeprefix("Value error, ")
    return InvalidRequestError(f"Invalid value for '{param}': {message}.", param=param)


def _tag(error: Any) -> str:
    return str((error.get("ctx") or {}).get("discriminator", "type")).strip("'")


def _param(loc: tuple[Any, ...]) -> str:
    """``messages[0].content`` from pydantic's loc, without its union-branch labels."""
    out = ""
    previous: Any = None
    for i, part in enumerate(loc):
        is_branch_tag = isinstance(previous, int) and i >= 2 and loc[i - 2] in _TAGGED_LISTS
        if isinstance(part, int):
            out += f"[{part}]"
        elif is_branch_tag or part in ("str", "list[...]") or str(part).startswith(("function-", "literal[")):
            pass  # pydantic's union branch labels, not field names
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "body"


#: list fields whose items are discriminated unions (their loc carries the branch tag)
_TAGGED_LISTS = frozenset({"messages", "content"})


def _too_large() -> RequestTooLargeError:
    return RequestTooLargeError(f"The request body exceeds the gateway's limit of {MAX_BODY_BYTES} bytes.")
