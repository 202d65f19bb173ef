"""The request pipeline: authenticated, parsed request in; the answer out.

Each step is a narrow call into the module that owns it, so the path reads top to bottom:
routing picks the candidates (404/403; only those in the customer's region when it has one: 400 if none),
metering reserves (429), the router runs the call on a deployment (retries and fallbacks are its
business), metering settles.

One pipeline for both paths (docs/architecture.md): a ``WireRequest`` (the client's body in its
own format) is sent as is to a deployment that ``speaks`` that format and translated into the
canonical ``ChatRequest`` for one that does not, decided per attempt, so a fallback may cross
formats. ``gateway.hooks`` is the seam around the upstream call: ``before_call`` sees the request
in the form the attempt sends, ``after_call`` the complete answer, ``on_event`` each stream item.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from tollway import deadline
from tollway.errors import InvalidRequestError, NotFoundError, PermissionDeniedError, TollwayError
from tollway.guardrails import hooks as guardrails
from tollway.observability import tracing
from tollway.routing import regions
from tollway.tokens import estimate_prompt
from tollway.views import canonical as views

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.models import Deployment
    from tollway.gateway import Gateway
    from tollway.guardrails.hooks import Guard
    from tollway.hooks import CallHooks
    from tollway.metering.meter import Charge
    from tollway.passthrough.answers import NativeEvent, NativeResponse
    from tollway.passthrough.wire import WireRequest
    from tollway.providers.base import Provider
    from tollway.types.chat import ChatChunk, ChatRequest, ChatResponse
    from tollway.types.embeddings import EmbeddingRequest, EmbeddingResponse
    from tollway.views.base import TextView

T = TypeVar("T")


def candidates(gateway: Gateway, auth: AuthContext, ctx: RequestContext, model: str) -> list[Deployment]:
    """The model group's deployments: 404 for an unknown model, 403 for one the caller may not use."""
    ctx.model = model
    group = gateway.router.group(model)
    first = group[0]
    ctx.model = first.model_name  # an alias is allowed and charged as the model it names
    if not auth.allows_model(first.model_name, provider_model=first.litellm_params.model,
                             access_groups=tuple(first.model_info.access_groups)):
        raise PermissionDeniedError(
            f"This key is not allowed to use the model '{model}'.", param="model", code="model_not_allowed"
        )
    return group


async def placed(gateway: Gateway, auth: AuthContext, ctx: RequestContext, model: str,
                 end_user: str | None) -> list[Deployment]:
    """The deployments that may serve the request: its model group (``candidates``: 404/403), narrowed to its
    customer's ``allowed_model_region`` (``routing.regions``): else the customer's ``default_model`` group's
    deployments in that region, else a 400. The customer is read once per request (``meter.customer``). A call
    made for a restricted request (a guardrail's judge) carries its region on ``ctx``: it is kept there too."""
    group = candidates(gateway, auth, ctx, model)
    customer = await gateway.meter.customer(ctx, end_user)
    region = (customer.allowed_model_region if customer is not None else None) or regions.required(ctx)
    if region is None:
        return group
    ctx.extra[regions.CONTEXT_KEY] = region
    inside = regions.serving(group, region)
    default = customer.default_model if customer is not None else None
    if not inside and default and default != group[0].model_name:
        inside = regions.serving(_default_group(gateway, auth, ctx, default), region)
    if not inside:
        ctx.model = group[0].model_name
        raise regions.refused(group[0].model_name, region, customer.end_user if customer else None, default)
    return inside


def _default_group(gateway: Gateway, auth: AuthContext, ctx: RequestContext, model: str) -> list[Deployment]:
    """A customer's ``default_model`` group (charged as that model); none when the gateway no longer serves it or
    the key may not use it."""
    try:
        return candidates(gateway, auth, ctx, model)
    except (NotFoundError, PermissionDeniedError):
        return []


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


def take_tags(ctx: RequestContext, headers: Any, body_tags: object, metadata: object) -> None:
    """Record the request's tags (``routing.tags``: body ``tags``, ``metadata.tags``, ``x-litellm-tags``, then the
    key's) on ``ctx``, where routing and the spend log read them (400 for malformed ones). Like the body's ``tags``,
    ``metadata.tags`` is the gateway's: taken out of ``metadata`` (the client's body), so a passed-through
    body never carries it upstream (OpenAI's ``metadata`` takes string values only)."""
    from tollway.routing import tags

    found = tags.collect(body_tags, metadata, headers.get(tags.HEADER))
    if isinstance(metadata, dict):
        metadata.pop("tags", None)
    found = tags.merged(found, ctx.auth.metadata.get("tags") if ctx.auth is not None else None)
    if found:
        ctx.extra["request_tags"] = found


def reachable(gateway: Gateway, ctx: RequestContext, group: list[Deployment],
              fallbacks: list[str] | None) -> list[Deployment]:
    """Every deployment the call may end on (the group and its fallbacks, in the request's region), for
    worst-case reservations."""
    region = regions.required(ctx)
    models = gateway.router.fallback_models(group[0].model_name, None, fallbacks)
    return group + [d for m in models for d in regions.serving(gateway.router.group(m), region)]


@dataclass
class Streamed:
    """An opened stream: native events (the client's own format) or canonical chunks, never both."""

    events: AsyncIterator[NativeEvent] | None = None
    chunks: AsyncIterator[ChatChunk] | None = None


async def chat(gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest, *,
               fallbacks: list[str] | None = None, drop_params: bool = False) -> ChatResponse:
    """A canonical request's complete answer (front doors without a native wire format)."""
    answer = await respond(gateway, auth, ctx, request, fallbacks=fallbacks, drop_params=drop_params)
    return cast("ChatResponse", answer)  # a ChatRequest is never sent natively


async def chat_stream(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: ChatRequest, *,
    fallbacks: list[str] | None = None, drop_params: bool = False,
) -> AsyncIterator[ChatChunk]:
    """A canonical request's stream of chunks (front doors without a native wire format)."""
    streamed = await respond_stream(gateway, auth, ctx, request, fallbacks=fallbacks, drop_params=drop_params)
    assert streamed.chunks is not None
    return streamed.chunks


async def respond(gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: WireRequest | ChatRequest, *,
                  fallbacks: list[str] | None = None, drop_params: bool = False) -> ChatResponse | NativeResponse:
    """The complete answer: the upstream's own body when the deployment spoke the request's format.

    Guardrails check the request once, in the client's form, after routing and before the reservation
    (a block is a 400); the answer in the form it came back, before the charge is settled."""
    hooks = gateway.hooks
    checked = _Checked()

    async def attempt(deployment: Deployment) -> ChatResponse | NativeResponse:
        provider = gateway.provider(deployment, drop_params=drop_params)
        if _speaks(provider, request):
            wire = await hooks.before_call(ctx, _capped_wire(cast("WireRequest", request), ctx))
            with ctx.upstream():
                return await provider.send_native(wire)
        canonical = await hooks.before_call(ctx, _canonical(request, checked.guard, ctx))
        with ctx.upstream():
            return await provider.chat(canonical)

    answer, deployment, charge = await _reserve_and_run(
        gateway, auth, ctx, request, attempt, fallbacks=fallbacks, prompt_tokens=lambda: _estimate(request),
        check=partial(checked.run, gateway, auth, ctx, request))
    answer = await hooks.after_call(ctx, answer)
    ctx.usage = answer.usage
    gone = ctx.extra.get("client_disconnected") is True  # set by the middleware: nobody will read the answer
    if gone:
        ctx.error_type = "client_disconnected"
    settle = partial(charge.settle, answer.usage, deployment=deployment, status="abandoned" if gone else "success",
                     error_type="client_disconnected" if gone else None)
    return await checked.guard.post_call(answer, _answer_view(answer), settle=settle)  # checks, then settles


async def respond_stream(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: WireRequest | ChatRequest, *,
    fallbacks: list[str] | None = None, drop_params: bool = False,
) -> Streamed:
    """Open the stream and wait for its first item, so failures before the first byte
    still become a proper HTTP status (and may be retried); the rest is relayed as it
    arrives, and the charge is settled when the stream ends, fails or is abandoned.
    Output guardrails hold the stream back and read it through the view of its form (a native
    stream's events are parsed only when one is configured)."""
    hooks = gateway.hooks
    checked = _Checked()

    async def attempt(deployment: Deployment) -> tuple[bool, Any, AsyncIterator[Any]]:
        provider = gateway.provider(deployment, drop_params=drop_params)
        native = _speaks(provider, request)
        if native:
            wire = await hooks.before_call(ctx, _capped_wire(cast("WireRequest", request), ctx))
            source: AsyncIterator[Any] = provider.stream_native(wire).__aiter__()
        else:
            canonical = _canonical(request, checked.guard, ctx)
            source = provider.chat_stream(await hooks.before_call(ctx, canonical)).__aiter__()
        items = deadline.bound(source, timeout=provider.timeout, gap=provider.stream_timeout, what=provider.name)
        with ctx.upstream():
            return native, await deadline.first(items, provider.name), items

    (native, first, rest), deployment, charge = await _reserve_and_run(
        gateway, auth, ctx, request, attempt, fallbacks=fallbacks, prompt_tokens=lambda: _estimate(request),
        streaming=True, check=partial(checked.run, gateway, auth, ctx, request))
    relayed = _metered(first, rest, charge, ctx, deployment, hooks=hooks, native=native,
                       prompt_tokens=lambda: _estimate(request))
    if native:
        from tollway.views.native import NativeEventView

        fmt = cast("WireRequest", request).format
        return Streamed(events=checked.guard.stream(relayed, NativeEventView(fmt)))
    return Streamed(chunks=checked.guard.stream(relayed, views.CHAT_CHUNK))


class _Checked:
    """The request's guardrails, once ``run`` (after routing, before the reservation)."""

    def __init__(self) -> None:
        self.guard: Guard = guardrails.Guard()

    async def run(self, gateway: Gateway, auth: AuthContext, ctx: RequestContext,
                  request: WireRequest | ChatRequest | EmbeddingRequest) -> None:
        obj, view = _request_view(request)
        self.guard = await guardrails.pre_call(gateway, auth, ctx, obj, view, judge=chat)


def _request_view(request: WireRequest | ChatRequest | EmbeddingRequest) -> tuple[Any, TextView]:
    """What guardrails read of a request: a ``WireRequest``'s body through its format's view."""
    from tollway.passthrough.wire import WireRequest
    from tollway.types.embeddings import EmbeddingRequest

    if isinstance(request, WireRequest):
        from tollway.views.native import request_view

        return request.body, request_view(request.format)
    return request, views.EMBEDDING_REQUEST if isinstance(request, EmbeddingRequest) else views.CHAT_REQUEST


def _answer_view(answer: ChatResponse | NativeResponse) -> TextView:
    from tollway.passthrough.answers import NativeResponse

    if isinstance(answer, NativeResponse):
        from tollway.views.native import NativeResponseView

        return NativeResponseView(answer.format)
    return views.CHAT_RESPONSE


def _estimate(request: WireRequest | ChatRequest) -> int:
    """The prompt estimate; a ``WireRequest`` offers the same reads as a ``ChatRequest`` (its messages'
    content), straight from the client's body."""
    return estimate_prompt(cast("ChatRequest", request))


def _speaks(provider: Provider, request: WireRequest | ChatRequest) -> bool:
    """Whether this attempt sends the client's body as is (a ``WireRequest`` the deployment speaks)."""
    from tollway.passthrough.wire import WireRequest

    return isinstance(request, WireRequest) and provider.speaks(request.format)


def _canonical(request: WireRequest | ChatRequest, guard: Guard, ctx: RequestContext) -> ChatRequest:
    """The canonical form for a translated attempt (built once per request, on the first such attempt),
    with the pre-call guardrails' rewrites of the client's body carried over and the output capped at
    the reservation's budget clamp, if any."""
    from tollway.passthrough.wire import WireRequest

    if isinstance(request, WireRequest):
        request = guard.carry(request.canonical(), views.CHAT_REQUEST)
    cap = ctx.charge.clamped if ctx.charge is not None else None
    if cap is None:
        return request
    from tollway.metering.clamp import cap_canonical

    return cap_canonical(request, cap)


def _capped_wire(request: WireRequest, ctx: RequestContext) -> WireRequest:
    """The client's body for a native attempt, its output limit capped at the budget clamp, if any."""
    cap = ctx.charge.clamped if ctx.charge is not None else None
    return request if cap is None else request.capped(cap)


async def embed(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: EmbeddingRequest, *,
    fallbacks: list[str] | None = None, drop_params: bool = False,
) -> EmbeddingResponse:
    async def attempt(deployment: Deployment) -> EmbeddingResponse:
        with ctx.upstream():
            return await gateway.provider(deployment, drop_params=drop_params).embed(request)

    checked = _Checked()
    response, deployment, charge = await _reserve_and_run(
        gateway, auth, ctx, request, attempt, fallbacks=fallbacks,
        check=partial(checked.run, gateway, auth, ctx, request))
    from tollway.types.chat import Usage

    await charge.settle(Usage(prompt_tokens=response.usage.prompt_tokens, total_tokens=response.usage.total_tokens),
                        deployment=deployment)
    return response


async def _reserve_and_run(
    gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: WireRequest | ChatRequest | EmbeddingRequest,
    attempt: Callable[[Deployment], Awaitable[T]], *, fallbacks: list[str] | None,
    prompt_tokens: Callable[[], int] | None = None, streaming: bool = False,
    check: Callable[[], Awaitable[None]] | None = None,
) -> tuple[T, Deployment, Charge]:
    """Route (404/403; the customer's region: 400), run ``check`` (the pre-call guardrails: 400), reserve (429),
    run with retries and fallbacks; release the charge if nothing answered."""
    if gateway.config.general_settings.enforce_user_param and not request.user:
        raise InvalidRequestError("'user' param not passed in. 'enforce_user_param'=True", param="user",
                                  code="user_param_required")
    group = await placed(gateway, auth, ctx, request.model, request.user)
    if check is not None:
        await check()
    charge = await tracing.reserved(gateway.meter.reserve(auth, ctx, request,
                                                          reachable(gateway, ctx, group, fallbacks)))
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


async def _metered(first: Any, rest: AsyncIterator[Any], charge: Charge, ctx: RequestContext,
                   deployment: Deployment, *, hooks: CallHooks, native: bool,
                   prompt_tokens: Callable[[], int]) -> AsyncIterator[Any]:
    from tollway.passthrough import metering as native_metering

    status, error_type = "success", None
    relayed = 0
    try:
        item = first
        while True:
            if native:
                native_metering.observe(charge, ctx, item, first=relayed == 0)
                relayed += 1
            else:
                charge.observe(item)
            yield await hooks.on_event(ctx, item)
            with ctx.upstream():  # waiting on the provider is not gateway overhead
                try:
                    item = await rest.__anext__()
                except StopAsyncIteration:
                    break
    except TollwayError as exc:
        status, error_type = "failure", exc.error_type
        if native:
            ctx.usage = native_metering.cut_short(ctx.usage, relayed, prompt_tokens)
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
        if native and status == "abandoned":
            ctx.usage = native_metering.cut_short(ctx.usage, relayed, prompt_tokens)
        await charge.settle(ctx.usage, deployment=deployment, status=status, error_type=error_type)


def _disclose_charge(error: TollwayError, charge: Charge) -> None:
    """Tell the client, in the error event, what the partial answer it received was charged."""
    if charge.cost:
        error.message = (f"{error.message} (the part of the answer relayed before the failure was charged "
                         f"{charge.cost:.10f}".rstrip("0").rstrip(".") + " USD)")
        error.args = (error.message,)
