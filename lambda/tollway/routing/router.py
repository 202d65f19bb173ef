"""``Router``: which deployment serves a call, and what happens when it fails.

Order of events for one request (``run``):

1. Pre-call: with ``enable_tag_filtering`` the group narrows to the deployments the request's
   tags choose (``routing.tags``); if the estimated prompt exceeds every deployment's
   ``max_input_tokens``, the group fails with a context-window error before any call.
2. Pick a deployment with the strategy, skipping ones cooling down (also a group's only one).
3. On a retryable failure (429, 5xx, timeouts, connection errors) retry up to
   ``num_retries`` times (``retry_policy`` per error class), preferring deployments not yet
   tried, after a backoff that honours ``retry-after`` up to a cap. Caller mistakes are
   never retried.
4. When the group is exhausted, fall back: ``context_window_fallbacks`` for context-length
   errors, ``content_policy_fallbacks`` for content-policy errors, else the request's
   ``fallbacks``, the model's ``fallbacks`` or ``default_fallbacks``; in order, at most
   ``max_fallbacks`` groups. Each fallback group runs steps 1-3, narrowed to the request's
   region when its customer has an ``allowed_model_region`` (``routing.regions``: a group with
   no deployment there is skipped).

Every attempt ends by its deadline: the deployment's ``timeout`` from the attempt's start, or
the request's deadline if sooner. The request's deadline is ``timeout`` (router-wide) from the
start of ``run`` — retries and fallbacks share it — and never later than the invocation's
``RequestContext.deadline`` (which already keeps the settlement margin free, ``api/deadline.py``).
An attempt past its deadline is a ``GatewayTimeoutError`` (retried while time remains); a
backoff that would end past the deadline is not taken.

Failures count towards a cooldown (``allowed_fails`` within a minute, or at once for
upstream 401/403/404); a cooling deployment is skipped for ``cooldown_time`` seconds. A
deployment whose credentials or model id the provider rejects (401/403/404) is a gateway
misconfiguration: the call moves to an untried sibling at once, without spending a retry.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from typing import TYPE_CHECKING, Any, TypeVar

from tollway import deadline as deadlines
from tollway.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    GatewayTimeoutError,
    NotFoundError,
    ServiceUnavailableError,
    TollwayError,
)
from tollway.observability import tracing
from tollway.routing import regions, tags
from tollway.routing.groups import ModelGroups
from tollway.routing.retries import backoff, retries_for, upstream_auth_failure
from tollway.routing.stats import Health
from tollway.routing.strategies import strategy_for

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.config.models import Config, Deployment

T = TypeVar("T")


class Router:
    def __init__(self, config: Config, *, rng: random.Random | None = None,
                 price: Callable[[Deployment], float | None] | None = None) -> None:
        settings = config.router_settings
        self.settings = settings
        self.models = ModelGroups(config)
        self.models.on_evict.append(self._forget)
        #: the configured groups by ``model_name`` as written (wildcard patterns included), for listings
        self.groups = config.groups()
        self.timeout = config.default_timeout
        self._rng = rng or random.Random()
        self.strategy = strategy_for(settings.routing_strategy, self._rng, price)
        self.health = Health(allowed_fails=settings.allowed_fails, cooldown_time=settings.cooldown_time)
        extras = settings.model_extra or {}
        self.retry_policy: dict[str, int] | None = extras.get("retry_policy")
        self.max_fallbacks = int(extras.get("max_fallbacks", 5))
        self.backoff_base = float(extras.get("retry_backoff_base", 0.25))
        self.backoff_cap = float(extras.get("retry_after_max", 10.0))
        self._fallbacks = _mapping(settings.fallbacks)
        self._context_fallbacks = _mapping(settings.context_window_fallbacks)
        self._policy_fallbacks = _mapping(settings.content_policy_fallbacks)
        #: ``router_settings.enable_tag_filtering``: deployments chosen by request tags (``routing.tags``)
        self.tag_filtering = extras.get("enable_tag_filtering") is True

    # ------------------------------------------------------------------ groups

    def group(self, model: str) -> list[Deployment]:
        """The deployments serving ``model`` (exact, alias or wildcard; see ``routing.groups``); 404 if none."""
        deployments = self.models.resolve(model)
        if not deployments:
            raise NotFoundError(
                f"The model '{model}' does not exist or is not served by this gateway.",
                param="model", code="model_not_found",
            )
        return deployments

    def _forget(self, group: list[Deployment]) -> None:
        for deployment in group:
            self.health.forget(deployment.id)

    def fallback_models(self, model: str, error: TollwayError | None, requested: list[str] | None) -> list[str]:
        """The fallback chain for ``model`` after ``error`` (None: every chain, for reservations)."""
        if isinstance(error, ContextWindowExceededError):
            chain = self._chain(self._context_fallbacks, model)
        elif isinstance(error, ContentPolicyError):
            chain = self._chain(self._policy_fallbacks, model)
        elif error is not None and not error.retryable:
            return []
        else:
            chain = requested if requested is not None else (
                self._chain(self._fallbacks, model) or list(self.settings.default_fallbacks))
            if error is None:
                chain = [*chain, *self._chain(self._context_fallbacks, model),
                         *self._chain(self._policy_fallbacks, model)]
        return [m for m in dict.fromkeys(chain) if m != model and self.models.resolve(m)][: self.max_fallbacks]

    def _chain(self, mapping: dict[str, list[str]], model: str) -> list[str]:
        """The chain configured for ``model``, else for the wildcard pattern that serves it."""
        chain = mapping.get(model)
        if chain is None:
            pattern = self.models.pattern_of(model)
            chain = mapping.get(pattern, []) if pattern else []
        return chain

    # ------------------------------------------------------------------ calls

    async def run(
        self,
        group: list[Deployment],
        ctx: RequestContext,
        attempt: Callable[[Deployment], Awaitable[T]],
        *,
        fallbacks: list[str] | None = None,
        prompt_tokens: Callable[[], int] | None = None,
        streaming: bool = False,
    ) -> tuple[T, Deployment]:
        """Run ``attempt`` with retries and fallbacks; returns its result and the deployment that answered.

        ``group`` is already narrowed to the request's region, if any (``pipeline.placed``); each fallback group
        is narrowed here (``routing.regions``), and one left empty is skipped.

        ``prompt_tokens`` estimates the prompt; it is called (once) only when a group declares
        ``max_input_tokens``, so requests to groups without limits never pay for the estimate.
        """
        if prompt_tokens is not None:
            prompt_tokens = functools.cache(prompt_tokens)
        model = group[0].model_name
        region = regions.required(ctx)
        current, used, fell_back = group, 0, 0
        until = time.monotonic() + self.timeout
        if ctx.deadline is not None:
            until = min(until, ctx.deadline)
        while True:
            try:
                return await self._run_group(current, ctx, attempt, prompt_tokens, streaming, until=until)
            except TollwayError as error:
                chain = self.fallback_models(model, error, fallbacks)
                current = []
                while not current and used < len(chain):  # a fallback group without a deployment in region: skipped
                    current = regions.serving(self.group(chain[used]), region)
                    used += 1
                if not current:
                    raise
                fell_back += 1
                ctx.extra["fallbacks_used"] = fell_back

    async def _run_group(
        self, group: list[Deployment], ctx: RequestContext, attempt: Callable[[Deployment], Awaitable[T]],
        prompt_tokens: Callable[[], int] | None, streaming: bool, *, until: float,
    ) -> tuple[T, Deployment]:
        if self.tag_filtering:
            group = tags.serving(group, ctx.extra.get("request_tags") or [])
        _check_context_window(group, prompt_tokens)
        tried: set[str] = set()
        retry = 0
        while True:
            if deadlines.remaining(until) <= 0:
                raise GatewayTimeoutError(f"The request to '{group[0].model_name}' ran out of time "
                                          f"(its budget is {self.timeout:g}s).", code="request_timeout")
            deployment = self._choose(group, tried, streaming)
            tried.add(deployment.id)
            ctx.deployment, ctx.provider = deployment.id, deployment.provider
            ctx.extra["attempts"] = ctx.extra.get("attempts", 0) + 1
            started = self.health.started(deployment.id)
            try:
                result = await tracing.attempt(deployment, lambda chosen: self._attempt(attempt, chosen, until))
            except TollwayError as error:
                broken = upstream_auth_failure(error)
                if error.retryable or broken:
                    self.health.failed(deployment.id, cool_now=broken)
                else:
                    self.health.released(deployment.id)
                if broken and self._untried(group, tried):
                    continue  # a misconfigured deployment: move on to a sibling, no backoff, no retry spent
                if retry >= retries_for(error, self._num_retries(deployment), self.retry_policy):
                    raise
                pause = backoff(retry, error, base=self.backoff_base, cap=self.backoff_cap, rng=self._rng)
                if pause >= deadlines.remaining(until):
                    raise
                await asyncio.sleep(pause)
                retry += 1
                continue
            except BaseException:
                self.health.released(deployment.id)
                raise
            self.health.succeeded(deployment.id, started, tokens=_tokens(result), streamed=streaming)
            return result, deployment

    async def _attempt(self, attempt: Callable[[Deployment], Awaitable[T]], deployment: Deployment,
                       until: float) -> T:
        """One attempt, ended by its deadline (a ``GatewayTimeoutError``)."""
        budget = deployment.litellm_params.timeout or self.timeout
        started = time.monotonic()
        ends = min(until, started + budget)
        loop = asyncio.get_running_loop()
        with deadlines.attempt_scope(ends, budget):
            try:
                async with asyncio.timeout_at(ends + loop.time() - time.monotonic()):
                    return await attempt(deployment)
            except TimeoutError:
                raise deadlines.timed_out(deployment.provider, round(ends - started, 3)) from None

    def _choose(self, group: list[Deployment], tried: set[str], streaming: bool) -> Deployment:
        healthy = [d for d in group if not self.health.cooling(d.id)]
        if not healthy:
            raise ServiceUnavailableError(
                f"Every deployment of '{group[0].model_name}' is cooling down after repeated failures.",
                code="deployments_cooling_down",
            )
        fresh = [d for d in healthy if d.id not in tried] or healthy
        return self.strategy.choose(fresh, self.health, streaming=streaming)

    def _untried(self, group: list[Deployment], tried: set[str]) -> bool:
        return any(d.id not in tried and not self.health.cooling(d.id) for d in group)

    def _num_retries(self, deployment: Deployment) -> int:
        own = deployment.litellm_params.max_retries
        return own if own is not None else self.settings.num_retries


def _check_context_window(group: list[Deployment], prompt_tokens: Callable[[], int] | None) -> None:
    limits = [d.model_info.max_input_tokens for d in group]
    if prompt_tokens is None or any(limit is None for limit in limits):
        return
    tokens = prompt_tokens()
    if all(tokens > limit for limit in limits if limit is not None):
        raise ContextWindowExceededError(
            f"The prompt (about {tokens} tokens) exceeds the context window of '{group[0].model_name}' "
            f"({max(limit or 0 for limit in limits)} tokens).",
        )


def _mapping(entries: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in entries:
        for model, chain in entry.items():
            out.setdefault(model, []).extend(chain)
    return out


def _tokens(result: Any) -> int:
    usage = getattr(result, "usage", None)
    return int(getattr(usage, "total_tokens", 0) or 0)
