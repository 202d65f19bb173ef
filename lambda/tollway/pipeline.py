"""The request pipeline: authenticated, parsed request in; canonical answer out.

Each step is a narrow call into the module that owns it, so the path reads top to bottom:
routing picks the candidates (404/403), metering reserves (429), the router runs the call
on a deployment (retries and fallbacks are its business), metering settles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from tollway import deadline
from tollway.errors import InvalidRequestError, PermissionDeniedError, TollwayError
from tollway.tokens import estimate_prompt

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.gateway import Gateway
    from tollway.metering.meter import Charge
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse

T = TypeVar("T")


def candidates(gateway: Gateway, auth: AuthContext, ctx: RequestContext, model: str) -> list[Deployment]:
    """The model group's deployments: 404 for an unknown model, 403 for one the caller may not use."""
    ctx.model = model
    group = gateway.router.group(model)
    first = group[0]
    if not auth.allows_model(model, provider_model=first.litellm_params.model,
                             access_groups=tuple(first.model_info.access_groups)):
        raise PermissionDeniedError(
            f"This key is not allowed to use the model '{model}'.", param="model", code="model_not_allowed"
        )
    return group


def requested_fallbacks(gateway: Gateway, auth: AuthContext, ctx: RequestContext, value: object) -> list[str] | None:
    """Validate a request's own ``fallbacks``: model names the caller may use (400/404/403 otherwise)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise InvalidRequestError("'fallbacks' must be a list of model names.", param="fallbacks")
    model = ctx.model
    for name in value:
        candidates(gateway, auth, ctx, name)
    ctx.model = model
    return list(value)


def reachable(gateway: Gateway, group: list[Deployment], fallbacks: list[str] | None) -> list[Deployment]:
    """Every deployment the call may end on (the group and its fallbacks), for worst-case reservations."""
    models = gateway.router.fallback_models(group[0].model_name, None, fallbacks)
    return group + [d for m in models for d in gateway.router.groups[m]]


async def chat(gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest, *,
               fallbacks: list[str] | None = None, drop_params: bool = False) -> ChatResponse:
    async def attempt(deployment: Deployment) -> ChatResponse:
        with ctx.upstream():
            return await gateway.provider(deployment, drop_params=drop_params).chat(request)

    response, deployment, charge = await _reserve_and_run(
        gateway, auth, ctx, request, attempt, fallbacks=fallbacks, prompt_tokens=lambda: estimate_prompt(request))
    ctx.usage = response.usage
    gone = ctx.extra.get("client_disconnected") is True  # set by the middleware: nobody will read the answer
    if gone:
        ctx.error_type = "client_disconnected"
    await charge.settle(response.usage, deployment=deployment, status="abandoned" if gone else "success",
                        error_type="client_disconnected" if gone else None)
    return response


async def chat_stream(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest, *,
    fallbacks: list[str] | None = None, drop_params: bool = False,
) -> AsyncIterator[ChatChunk]:
    """Open the stream and wait for its first chunk, so failures before the first byte
    still become a proper HTTP status (and may be retried); the rest is relayed as it
    arrives, and the charge is settled when the stream ends, fails or is abandoned."""

    async def attempt(deployment: Deployment) -> tuple[ChatChunk, AsyncIterator[ChatChunk]]:
        provider = gateway.provider(deployment, drop_params=drop_params)
        chunks = deadline.bound(provider.chat_stream(request).__aiter__(), timeout=provider.timeout,
                                gap=provider.stream_timeout, what=provider.name)
        with ctx.upstream():
            return await deadline.first(chunks, provider.name), chunks

    (first, rest), deployment, charge = await _reserve_and_run(
        gateway, auth, ctx, request, attempt, fallbacks=fallbacks, prompt_tokens=lambda: estimate_prompt(request),
        streaming=True)
    return _metered(first, rest, charge, ctx, deployment)


async def embed(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: EmbeddingRequest, *,
    fallbacks: list[str] | None = None, drop_params: bool = False,
) -> EmbeddingResponse:
    async def attempt(deployment: Deployment) -> EmbeddingResponse:
        with ctx.upstream():
            return await gateway.provider(deployment, drop_params=drop_params).embed(request)

    response, deployment, charge = await _reserve_and_run(gateway, auth, ctx, request, attempt, fallbacks=fallbacks)
    from tollway.types.chat import Usage

    await charge.settle(Usage(prompt_tokens=response.usage.prompt_tokens, total_tokens=response.usage.total_tokens),
                        deployment=deployment)
    return response


async def _reserve_and_run(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest | EmbeddingRequest,
    attempt: Callable[[Deployment], Awaitable[T]], *, fallbacks: list[str] | None,
    prompt_tokens: Callable[[], int] | None = None, streaming: bool = False,
) -> tuple[T, Deployment, Charge]:
    """Route (404/403), reserve (429), run with retries and fallbacks; release the charge if nothing answered."""
    group = candidates(gateway, auth, ctx, request.model)
    charge = await gateway.meter.reserve(auth, ctx, request, reachable(gateway, group, fallbacks))
    ctx.charge = charge
    try:
        result, deployment = await gateway.router.run(
            group, ctx, attempt, fallbacks=fallbacks, prompt_tokens=prompt_tokens, streaming=streaming)
    except TollwayError as exc:
        await charge.release(error_type=exc.error_type)
        raise
    except BaseException:
        await charge.release(error_type="internal_error")
        raise
    return result, deployment, charge


async def _metered(first: ChatChunk, rest: AsyncIterator[ChatChunk], charge: Charge, ctx: RequestContext,
                   deployment: Deployment) -> AsyncIterator[ChatChunk]:
    status, error_type = "success", None
    try:
        charge.observe(first)
        yield first
        while True:
            with ctx.upstream():  # waiting on the provider is not gateway overhead
                try:
                    chunk = await rest.__anext__()
                except StopAsyncIteration:
                    break
            charge.observe(chunk)
            yield chunk
    except TollwayError as exc:
        status, error_type = "failure", exc.error_type
        await charge.settle(ctx.usage, deployment=deployment, status=status, error_type=error_type)
        _disclose_charge(exc, charge)
        raise
    except BaseException:  # GeneratorExit / CancelledError: the client went away
        status, error_type = "abandoned", "client_disconnected"
        raise
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
        await charge.settle(ctx.usage, deployment=deployment, status=status, error_type=error_type)


def _disclose_charge(error: TollwayError, charge: Charge) -> None:
    """Tell the client, in the error event, what the partial answer it received was charged."""
    if charge.cost:
        error.message = (f"{error.message} (the part of the answer relayed before the failure was charged "
                         f"{charge.cost:.10f}".rstrip("0").rstrip(".") + " USD)")
        error.args = (error.message,)
