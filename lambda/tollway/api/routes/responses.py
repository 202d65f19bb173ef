"""OpenAI's Responses API: ``POST /v1/responses`` for any model, and the stored-response routes.

Crossing formats (every provider but OpenAI's own) goes through the canonical chat model, so
routing, metering, retries, fallbacks and logging are the chat pipeline's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from tollway import pipeline
from tollway.api.bodies import gateway_fields, parse_body_and_data, split_extras
from tollway.api.deps import caller
from tollway.api.responses import gateway_headers, json_response, native_response
from tollway.api.responses_api import state
from tollway.api.responses_api.models import ResponsesRequest
from tollway.api.responses_api.stream import ResponseEvents, native_response_events, response_events
from tollway.api.responses_api.translate import (
    input_items,
    namespaces,
    new_id,
    skeleton,
    to_chat_request,
    to_response,
)
from tollway.api.routing import Router
from tollway.errors import InvalidRequestError, StoreUnavailableError
from tollway.observability.logging import logger
from tollway.types.chat import ChatRequest, ChatResponse, StreamOptions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.gateway import Gateway

router = Router()


@router.post("/v1/responses")
@router.post("/responses", include_in_schema=False)
async def create_response(request: Request) -> Response:
    """Sent as is to OpenAI's own deployments; translated through the canonical model for the others.

    The gateway keeps the conversation: with ``previous_response_id`` the stored history is sent
    inline on every attempt, so any provider (and any fallback) can continue it.
    """
    from tollway.passthrough.wire import OPENAI_RESPONSES, WireRequest

    gateway, auth, ctx = await caller(request)
    body, data = await parse_body_and_data(request, ResponsesRequest)
    extras = gateway_fields(body, data)
    pipeline.take_tags(ctx, request.headers, extras.get("tags"), data.get("metadata"))
    fallbacks = pipeline.requested_fallbacks(gateway, auth, ctx, extras.get("fallbacks"))
    drop = extras.get("drop_params") is True
    if body.background:
        raise InvalidRequestError("Background responses are not supported by this gateway; send the request "
                                  "without 'background' (or stream it).", param="background")
    previous = await state.history(gateway, auth, body.previous_response_id) if body.previous_response_id else []
    items = input_items(body)
    if body.previous_response_id:
        data = {**data, "input": [*previous, *items]}
        del data["previous_response_id"]

    def canonical() -> ChatRequest:
        dropping = drop or gateway.settings.drop_params
        split_extras(body, drop_params=dropping)
        chat = to_chat_request(body, previous, drop_params=dropping)
        if body.stream:
            chat.stream = True
            chat.stream_options = StreamOptions(include_usage=True)
        return chat

    wire = WireRequest(OPENAI_RESPONSES, data, translate=canonical)
    response_id = new_id("resp")

    async def store(response: dict[str, Any]) -> None:
        if body.previous_response_id:
            response["previous_response_id"] = body.previous_response_id
        if body.stores and state.enabled():
            await _save(gateway, auth, response, (items, previous), ctx)
        else:
            response["store"] = False

    if body.stream:
        streamed = await pipeline.respond_stream(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop)
        headers = {**gateway_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}

        async def finish(response: dict[str, Any]) -> None:  # the stream's end: settled, so it has its cost
            _add_cost(response, ctx)
            await store(response)

        if streamed.events is not None:
            stream: AsyncIterator[bytes] = native_response_events(streamed.events, ctx, finish)
        else:
            assert streamed.chunks is not None
            events = ResponseEvents(skeleton(body, response_id), spaces=namespaces(body))
            stream = response_events(streamed.chunks, events, ctx, finish)
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
    answer = await pipeline.respond(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop)
    if isinstance(answer, ChatResponse):
        response = to_response(answer, body, response_id)
        await store(response)
        return json_response(response, ctx)
    stored = dict(answer.data)
    await store(stored)
    if body.previous_response_id or stored.get("store") != answer.data.get("store"):
        return json_response(stored, ctx)  # the answer names what the client asked, not what went upstream
    return native_response(answer, ctx)


@router.get("/v1/responses/{response_id}")
@router.get("/responses/{response_id}", include_in_schema=False)
async def retrieve_response(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    if request.query_params.get("stream", "false").lower() == "true":
        raise InvalidRequestError("Streaming a stored response again is not supported; retrieve it without "
                                  "'stream'.", param="stream")
    record = await state.load(gateway, auth, str(request.path_params["response_id"]))
    return json_response(record["response"], ctx)


@router.get("/v1/responses/{response_id}/input_items")
@router.get("/responses/{response_id}/input_items", include_in_schema=False)
async def list_input_items(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    query = request.query_params
    limit = _int_param(query.get("limit"), "limit", default=20, low=1, high=100)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequestError("Invalid value for 'order': expected 'asc' or 'desc'.", param="order")
    record = await state.load(gateway, auth, str(request.path_params["response_id"]))
    return json_response(state.page(record.get("input_items", []), after=query.get("after"), limit=limit,
                                    order=order), ctx)


@router.delete("/v1/responses/{response_id}")
@router.delete("/responses/{response_id}", include_in_schema=False)
async def delete_response(request: Request) -> JSONResponse:
    gateway, auth, _ = await caller(request)
    response_id = str(request.path_params["response_id"])
    await state.delete(gateway, auth, response_id)
    return JSONResponse({"id": response_id, "object": "response", "deleted": True})


@router.post("/v1/responses/{response_id}/cancel")
@router.post("/responses/{response_id}/cancel", include_in_schema=False)
async def cancel_response(request: Request) -> JSONResponse:
    gateway, auth, _ = await caller(request)
    await state.load(gateway, auth, str(request.path_params["response_id"]))
    raise InvalidRequestError("Only background responses can be cancelled, and this gateway runs none: the "
                              "response has already finished.", param="response_id")


async def _save(gateway: Gateway, auth: AuthContext, response: dict[str, Any],
                turn: tuple[list[dict[str, Any]], list[dict[str, Any]]], ctx: RequestContext) -> None:
    """Store the response with ``turn`` (its input items, the history before them); a store outage
    loses the conversation state, never the answer."""
    from tollway.storage.responses_repo import RecordTooLarge

    try:
        await state.save(gateway, auth, response, *turn)
    except (StoreUnavailableError, RecordTooLarge) as exc:
        logger.warning("response not stored", extra={"request_id": ctx.request_id, "response_id": response["id"],
                                                     "reason": type(exc).__name__})
        response["store"] = False


def _add_cost(response: dict[str, Any], ctx: RequestContext) -> None:
    usage = response.get("usage")
    if usage is not None and ctx.charge is not None and ctx.charge.cost is not None:
        usage["cost"] = ctx.charge.cost


def _int_param(raw: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidRequestError(f"Invalid value for '{name}': expected an integer from {low} to {high}.",
                                  param=name)
    return int(raw)
