"""OpenAI's front door: chat completions, embeddings, models (with and without ``/v1``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from tollway import pipeline
from tollway.api import legacy_functions, model_cards
from tollway.api.bodies import gateway_fields, parse_body, parse_body_and_data, split_extras
from tollway.api.deps import caller
from tollway.api.responses import answer_json, chat_json, model_json, native_sse_response, sse_response
from tollway.api.routing import Router
from tollway.types.chat import ChatRequest
from tollway.types.embeddings import EmbeddingRequest

if TYPE_CHECKING:
    from starlette.requests import Request

router = Router()


@router.post("/v1/chat/completions")
@router.post("/chat/completions", include_in_schema=False)
async def chat_completions(request: Request) -> Response:
    """Sent as is to OpenAI-compatible deployments; translated for the others, where a field outside
    OpenAI's schema is a 400 naming it unless ``drop_params``."""
    from tollway.passthrough.wire import OPENAI_CHAT, WireRequest

    gateway, auth, ctx = await caller(request)
    body, data = await parse_body_and_data(request, ChatRequest)
    extras = gateway_fields(body, data)
    pipeline.take_tags(ctx, request.headers, extras.get("tags"), data.get("metadata"))
    fallbacks = pipeline.requested_fallbacks(gateway, auth, ctx, extras.get("fallbacks"))
    drop = extras.get("drop_params") is True

    def canonical() -> ChatRequest:
        split_extras(body, drop_params=drop or gateway.settings.drop_params)
        return body

    if legacy_functions.used(data):
        # OpenAI's legacy functions are served as tools for every provider, so never passed through as sent
        legacy = legacy_functions.upgrade(body)
        if body.stream:
            chunks = await pipeline.chat_stream(gateway, auth, ctx, canonical(), fallbacks=fallbacks,
                                                drop_params=drop)
            return sse_response(legacy.stream(chunks), ctx, include_usage=body.wants_usage_chunk)
        response = await pipeline.chat(gateway, auth, ctx, canonical(), fallbacks=fallbacks, drop_params=drop)
        return chat_json(legacy.response(response), ctx)
    wire = WireRequest(OPENAI_CHAT, data, translate=canonical)
    if body.stream:
        streamed = await pipeline.respond_stream(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop)
        if streamed.events is not None:
            return native_sse_response(streamed.events, ctx, include_usage=body.wants_usage_chunk)
        assert streamed.chunks is not None
        return sse_response(streamed.chunks, ctx, include_usage=body.wants_usage_chunk)
    return answer_json(await pipeline.respond(gateway, auth, ctx, wire, fallbacks=fallbacks, drop_params=drop), ctx)


@router.post("/v1/embeddings")
@router.post("/embeddings", include_in_schema=False)
async def embeddings(request: Request) -> Response:
    gateway, auth, ctx = await caller(request)
    body = await parse_body(request, EmbeddingRequest)
    extras = split_extras(body, drop_params=gateway.settings.drop_params)
    pipeline.take_tags(ctx, request.headers, extras.get("tags"), None)
    fallbacks = pipeline.requested_fallbacks(gateway, auth, ctx, extras.get("fallbacks"))
    drop = extras.get("drop_params") is True
    return model_json(await pipeline.embed(gateway, auth, ctx, body, fallbacks=fallbacks, drop_params=drop), ctx)


@router.get("/v1/models")
@router.get("/models", include_in_schema=False)
async def list_models(request: Request) -> JSONResponse:
    gateway, auth, _ = await caller(request)
    return JSONResponse({"object": "list", "data": await model_cards.list_cards(request, gateway, auth)})


@router.get("/v1/models/{model_id:path}")
@router.get("/models/{model_id:path}", include_in_schema=False)
async def retrieve_model(request: Request) -> JSONResponse:
    # read from path_params: a typed parameter makes FastAPI import pydantic.v1 (slower cold starts)
    model_id = str(request.path_params["model_id"])
    gateway, auth, _ = await caller(request)
    return JSONResponse(model_cards.retrieve_card(gateway, auth, model_id))
