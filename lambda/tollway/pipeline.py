"""The request pipeline: authenticated, parsed request in; canonical answer out.

Each step is a narrow call into the module that owns it (routing, providers; metering and
guardrails join here as they land), so the whole path reads top to bottom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.gateway import Gateway
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse


def route(gateway: Gateway, auth: AuthContext, ctx: RequestContext, model: str) -> Deployment:
    """The deployment to call: 404 for an unknown model, 403 for one the caller may not use."""
    ctx.model = model
    group = gateway.router.group(model)
    first = group[0]
    if not auth.allows_model(model, provider_model=first.litellm_params.model,
                             access_groups=tuple(first.model_info.access_groups)):
        raise PermissionDeniedError(
            f"This key is not allowed to use the model '{model}'.", param="model", code="model_not_allowed"
        )
    deployment = gateway.router.pick(group)
    ctx.deployment, ctx.provider = deployment.id, deployment.provider
    return deployment


async def chat(gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest) -> ChatResponse:
    deployment = route(gateway, auth, ctx, request.model)
    provider = gateway.provider(deployment)
    with ctx.upstream():
        response = await provider.chat(request)
    ctx.usage = response.usage
    return response


async def chat_stream(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest
) -> AsyncIterator[ChatChunk]:
    """Open the stream and wait for its first chunk, so failures before the first byte
    still become a proper HTTP status; the rest is relayed as it arrives."""
    deployment = route(gateway, auth, ctx, request.model)
    chunks = gateway.provider(deployment).chat_stream(request).__aiter__()
    with ctx.upstream():
        first = await chunks.__anext__()
    return _prepend(first, chunks)


async def embed(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: EmbeddingRequest
) -> EmbeddingResponse:
    deployment = route(gateway, auth, ctx, request.model)
    with ctx.upstream():
        return await gateway.provider(deployment).embed(request)


async def _prepend(first: ChatChunk, rest: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
    yield first
    try:
        async for chunk in rest:
            yield chunk
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
