"""``DynamoMeter``: the real ``Meter`` (prices, budgets, rate limits, spend logs) over DynamoDB.

Round trips per request: one conditional write before the upstream call (only when some budget or
limit applies), one transaction after it (settlement + spend log + rollups). Extra calls happen only
on rare paths: a refusal that finds expired reservations to reclaim, a settlement whose reservation
had already been reclaimed, and a read per soft budget after settling. Without a DynamoDB store
(``storage.client.enabled()`` false, checked per request) it only prices requests, for
``x-tollway-response-cost`` and metrics. On a local endpoint (not AWS) it creates missing tables
once per endpoint before first use.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn, cast

from tollway.errors import InvalidRequestError, RateLimitError, StoreUnavailableError
from tollway.metering import budgets, clamp, ratelimits
from tollway.metering.catalog import DEFAULT_URL, PriceCatalog
from tollway.metering.cost import CostBreakdown, cost_of, prompt_bound
from tollway.metering.meter import Charge
from tollway.metering.periods import period
from tollway.metering.settlement_queue import PendingSettlement
from tollway.metering.settlement_writer import SettlementWriter, background, store_failures, store_timeout
from tollway.metering.spend import build_record
from tollway.routing import tags
from tollway.storage.counters_repo import Contention, CountersRepo, Lease, Refusal, dec, entry_name, total_ops
from tollway.storage.spend_repo import SpendRepo
from tollway.tokens import estimate_prompt, estimate_text

if TYPE_CHECKING:
    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.config.models import Config, Deployment
    from tollway.identity.customer_lookup import CustomerPolicy
    from tollway.metering.catalog import ModelPrice
    from tollway.types.chat import ChatChunk, Usage

log = logging.getLogger(__name__)
_READY: set[str] = set()
#: ``RequestContext.extra`` key of the request's customer record, once read
_CUSTOMER = "customer"


def metrics_enabled() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("TOLLWAY_EMF_METRICS"))


class DynamoMeter:
    def __init__(self, config: Config, *, store: bool | None = None, catalog: PriceCatalog | None = None,
                 counters: CountersRepo | None = None, spend: SpendRepo | None = None) -> None:
        settings = config.general_settings
        self.settings = settings
        self._store = store
        sync_url = (settings.model_cost_map_url or DEFAULT_URL) if settings.model_cost_map_sync else None
        self.catalog = catalog or PriceCatalog(sync_url=sync_url, sync_interval=settings.model_cost_map_sync_interval)
        self.counters = counters or CountersRepo()
        self.spend = spend or SpendRepo()
        self.settlements = SettlementWriter(self.apply)

    def apply(self, entry: PendingSettlement) -> None:
        """Write one settlement (blocking; at most once per reservation id, so replays are safe)."""
        extra = [*self.spend.record_ops(entry.record, expires_at=entry.expires_at,
                                        log=not self.settings.disable_spend_logs),
                 *total_ops(entry.record)] if entry.record else []
        self.counters.settle(entry.leases, entry.reservation_id, entry.actual, extra)

    @property
    def store(self) -> bool:
        """Whether to use DynamoDB: fixed by the constructor, else whether a store is configured now
        (``tollway serve`` starts its embedded store after building the gateway)."""
        if self._store is not None:
            return self._store
        from tollway.storage import client

        return client.enabled()

    async def ready(self) -> None:
        """Make the tables of a local endpoint (once per endpoint); on AWS the stack made them."""
        from tollway.storage import client

        endpoint = client.endpoint_url()
        if endpoint and endpoint not in _READY and "amazonaws.com" not in endpoint:
            await asyncio.to_thread(client.ensure_tables)
            _READY.add(endpoint)

    async def reserve(self, auth: AuthContext, ctx: RequestContext, request: Any,
                      deployments: list[Deployment]) -> DynamoCharge:
        now = time.time()
        self.catalog.maybe_sync()
        prices = {d.id: self.catalog.price(d) for d in deployments}
        if self.settings.refuse_unpriced_models and any(p is None for p in prices.values()):
            raise InvalidRequestError(f"The model '{ctx.model}' has no price, and this gateway refuses unpriced "
                                      "models.", param="model", code="model_unpriced")
        bound = prompt_bound(request)
        limit, choices = getattr(request, "output_limit", None), getattr(request, "n", None) or 1
        floor = clamp.output_floor(request, [d.provider for d in deployments])
        if limit is not None and limit < floor:
            limit = floor  # the upstream call will be sent with at least this many
        candidates = [prices[d.id] for d in deployments]
        worst_cost, worst_tokens = clamp.worst(candidates, bound, limit, choices)
        end_user = getattr(request, "user", None) or None
        if self.store:
            await self._prepared()
            auth = budgets.with_customer(auth, await self.customer(ctx, end_user),  # a blocked customer: 400
                                         self.settings.max_end_user_budget)

        def leases_for(cost: float, tokens: int) -> list[Lease]:
            if not self.store:
                return []
            return budgets.budget_leases(
                auth, end_user=end_user, providers=[d.provider for d in deployments], amount=cost,
                provider_budgets=self.settings.provider_budgets, end_user_budget=self.settings.max_end_user_budget,
                now=now,
            ) + ratelimits.rate_leases(auth, end_user=end_user, tokens=tokens, now=now)

        leases = leases_for(worst_cost, worst_tokens)
        reservation_id = f"rsv-{uuid.uuid4().hex}"  # ours: a client's x-request-id is only echoed and logged
        clamped: int | None = None
        if leases:
            try:
                try:
                    await self._reserve(leases, reservation_id, now)
                except Refusal as refused:
                    clamped = await self._fitting(refused, request, candidates, bound=bound, limit=limit,
                                                  choices=choices, floor=floor)
                    if clamped is None:
                        raise
                    leases = leases_for(*clamp.worst(candidates, bound, clamped, choices))
                    await self._reserve(leases, reservation_id, now)  # the same conditional write, once
            except Refusal as refused:
                self._refused(auth, ctx, refused, now, clampable=hasattr(request, "output_limit"))
            except Contention:
                raise RateLimitError("Too many concurrent requests on the same budget; retry shortly.",
                                     retry_after=1, code="contention") from None
        charge = DynamoCharge(self, auth, ctx, request, leases=leases, prices=prices, end_user=end_user,
                              started=now, reservation_id=reservation_id)
        charge.clamped = clamped
        return charge

    async def _fitting(self, refused: Refusal, request: Any, prices: list[ModelPrice | None], *, bound: int,
                       limit: int | None, choices: int, floor: int) -> int | None:
        """The output token count that fits every refused budget's headroom, if it reaches
        ``budget_min_output_tokens`` and the request's ``floor`` (``clamp.output_floor``); None
        otherwise, and for any refusal that is not a budget's (rate limits are never clamped). Headroom
        comes from the refusal; a lease refused without a write (its amount alone exceeds its limit)
        costs one bounded read of its counter."""
        if not hasattr(request, "output_limit") or any(
                lease.kind != "budget" or lease.limit is None for lease, _ in refused.refused):
            return None
        headroom: Decimal | None = None
        for lease, reported in refused.refused:
            assert lease.limit is not None
            current = reported
            if current is None:
                try:
                    current = await asyncio.wait_for(asyncio.to_thread(self.counters.value, lease), store_timeout())
                except store_failures() as exc:
                    log.warning("reading the budget to fit a smaller output failed: %s", type(exc).__name__)
                    return None
            room = lease.limit - current
            headroom = room if headroom is None else min(headroom, room)
        if headroom is None:
            return None
        tokens = clamp.fitting_output(prices, bound, choices, headroom, limit)
        return tokens if tokens >= max(self.settings.budget_min_output_tokens, floor) else None

    def _refused(self, auth: AuthContext, ctx: RequestContext, refused: Refusal, now: float, *,
                 clampable: bool) -> NoReturn:
        """Raise the refusal's error (after its metrics line)."""
        error = (budgets.refusal(refused.lease, refused.current, status=self.settings.budget_exceeded_status,
                                 min_output=self.settings.budget_min_output_tokens if clampable else None)
                 if refused.lease.kind == "budget" else ratelimits.refusal(refused.lease, refused.current, time.time()))
        if metrics_enabled():
            from tollway.observability.metrics import emit_request

            emit_request({"request_id": ctx.request_id, "team_id": auth.team_id, "model": ctx.model,
                          "key_digest": auth.key_digest, "status": "refused",
                          "error_type": error.error_type, "latency_ms": (time.time() - now) * 1000})
        raise error from None

    async def _reserve(self, leases: list[Lease], reservation_id: str, now: float) -> None:
        """The conditional write, bounded by ``store_timeout()``; an outage or a stall is a 503. A write
        that lands after we stopped waiting is released as soon as it does, so no slot stays taken."""
        work = background(asyncio.to_thread(self.counters.reserve, leases, reservation_id,
                                            self.settings.reservation_ttl_seconds, now=now))
        try:
            await asyncio.wait_for(asyncio.shield(work), store_timeout())
        except (Refusal, Contention):
            raise
        except store_failures() as exc:
            if not work.done():
                work.add_done_callback(lambda done: self._release_late(done, leases, reservation_id))
            log.warning("reserving %s failed: %s", reservation_id, type(exc).__name__)
            raise StoreUnavailableError() from None

    async def customer(self, ctx: RequestContext, end_user: str | None) -> CustomerPolicy | None:
        """The request's customer record (None: no ``user``, no store or no record), read once per request:
        routing reads it before choosing deployments, ``reserve`` reuses it (kept on ``ctx``, one read shared
        by the calls of one request, such as a legacy completion's prompts); across requests through
        ``identity.customer_lookup``'s cache."""
        if not end_user or not self.store:
            return None
        read = cast("asyncio.Future[CustomerPolicy | None] | None", ctx.extra.get(_CUSTOMER))
        if read is None:
            from tollway.identity.customer_lookup import CUSTOMERS

            known, policy = CUSTOMERS.peek(end_user)
            if known:  # warm: no read, no task
                read = asyncio.get_running_loop().create_future()
                read.set_result(policy)
            else:
                read = asyncio.ensure_future(self._read_customer(end_user))
            ctx.extra[_CUSTOMER] = read
        return read.result() if read.done() else await asyncio.shield(read)

    async def _read_customer(self, end_user: str) -> CustomerPolicy | None:
        await self._prepared()
        return await _customer(end_user)

    async def _prepared(self) -> None:
        try:
            await asyncio.wait_for(self.ready(), store_timeout() * 4)
        except store_failures() as exc:
            log.warning("preparing the store failed: %s", type(exc).__name__)
            raise StoreUnavailableError() from None

    def _release_late(self, done: asyncio.Future[Any], leases: list[Lease], reservation_id: str) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        entry = PendingSettlement(reservation_id, leases, {}, {}, None)
        background(self.settlements.write(entry))


async def _customer(end_user: str | None) -> CustomerPolicy | None:
    """The end user's customer record, as metering needs it (cached; see ``identity.customer_lookup``)."""
    if not end_user:
        return None
    from tollway.identity.customer_lookup import CUSTOMERS

    try:
        return await asyncio.wait_for(CUSTOMERS.policy(end_user), store_timeout())
    except store_failures() as exc:
        log.warning("reading customer %r failed: %s", end_user, type(exc).__name__)
        raise StoreUnavailableError() from None


class DynamoCharge(Charge):
    def __init__(self, meter: DynamoMeter, auth: AuthContext, ctx: RequestContext, request: Any, *,
                 leases: list[Lease], prices: dict[str, ModelPrice | None], end_user: str | None,
                 started: float, reservation_id: str) -> None:
        self.meter, self.auth, self.ctx, self.request = meter, auth, ctx, request
        self.reservation_id = reservation_id
        self.leases, self.prices, self.end_user, self.started = leases, prices, end_user, started
        self.breakdown: CostBreakdown | None = None
        self.record: dict[str, Any] | None = None
        self._usage: Usage | None = None
        self._text: list[str] = []
        self._ttft: float | None = None
        self._done = False

    def observe(self, chunk: ChatChunk) -> None:
        if self._ttft is None:
            self._ttft = time.time()
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            self._text += [t for t in (delta.content, delta.reasoning_content, delta.refusal) if t]
            for call in delta.tool_calls or []:
                if call.function is not None:
                    self._text += [t for t in (call.function.name, call.function.arguments) if t]

    async def settle(self, usage: Usage | None, *, deployment: Deployment | None, status: str = "success",
                     error_type: str | None = None) -> None:
        if self._done:
            return
        self._done = True
        estimated = False
        usage = usage or self._usage
        if usage is None and deployment is not None and (self._text or status == "success"):
            usage, estimated = self._estimate(), True
        price = self.price_of(deployment)
        breakdown = cost_of(price, usage) if deployment is not None else CostBreakdown()
        self.breakdown = breakdown
        if deployment is not None:
            self.cost = breakdown.total
        ended = time.time()
        ttft = (self._ttft - self.started) * 1000 if self._ttft else ((ended - self.started) * 1000
                                                                      if status == "success" else None)
        settings = self.meter.settings
        self.record = build_record(
            request_id=self.ctx.request_id, auth=self.auth, model=self.ctx.model, end_user=self.end_user,
            deployment=deployment, usage=usage, cost=breakdown, started=self.started, ended=ended, ttft_ms=ttft,
            status=status, error_type=error_type, request=self.request,
            store_content=settings.store_prompts_in_spend_logs, usage_estimated=estimated,
            request_tags=tags.merged(self.ctx.extra.get("request_tags"),
                                     tags.deployment_tags(deployment) if deployment is not None else None),
        )
        self.record["guardrails"] = self.ctx.extra.get("guardrails")  # decisions of tollway.guardrails, if any
        if self.meter.store:
            await asyncio.shield(background(self._write(deployment, usage, breakdown.total, ended)))
        if metrics_enabled():
            from tollway.observability.metrics import emit_request

            emit_request(self.record)

    def price_of(self, deployment: Deployment | None) -> ModelPrice | None:
        if deployment is None:
            return None
        if deployment.id not in self.prices:  # not among the reserved candidates (should not happen)
            self.prices[deployment.id] = self.meter.catalog.price(deployment)
        return self.prices[deployment.id]

    async def release(self, *, error_type: str | None = None) -> None:
        await self.settle(None, deployment=None, status="failure", error_type=error_type)

    def _estimate(self) -> Usage:
        """Usage for a stream that ended without a usage chunk: estimated from what was relayed."""
        from tollway.types.chat import Usage

        prompt = estimate_prompt(self.request) if hasattr(self.request, "messages") else 0
        completion = estimate_text("".join(self._text))
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    async def _write(self, deployment: Deployment | None, usage: Usage | None, cost: float, ended: float) -> None:
        assert self.record is not None
        actual: dict[int, Decimal] = {}
        for index, lease in enumerate(self.leases):
            if lease.kind == "budget" and deployment is not None and \
                    (lease.scope != "provider" or lease.scope_id == deployment.provider):
                actual[index] = dec(round(cost, 12))
            elif lease.kind == "tpm":
                actual[index] = Decimal(usage.total_tokens if usage else 0)
        retention = self.meter.settings.spend_logs_retention_days
        expires = int(ended + retention * 86400) if retention else None
        entry = PendingSettlement(self.reservation_id, self.leases, actual, self.record, expires)
        key = next((lease for lease in self.leases if lease.kind == "budget" and lease.scope == "key"), None)
        read = (background(asyncio.to_thread(self.meter.counters.counter, key.key))
                if key is not None and not getattr(self.request, "stream", False) else None)
        written = await self.meter.settlements.write(entry, deadline=_settlement_deadline(self.ctx.deadline))
        if read is not None and written:
            self.key_spend = await self._spend_after(read, cost)
        if written and cost > 0:
            try:
                await asyncio.to_thread(self._check_soft_budgets, cost)
            except store_failures() as exc:
                log.warning("checking soft budgets after %s failed: %s", self.reservation_id, type(exc).__name__)

    async def _spend_after(self, read: asyncio.Future[Any], cost: float) -> float | None:
        """The key's spend once this settlement is in, from a read of its budget counter made alongside
        the settlement (a settlement transaction returns no values, so the read costs no extra wait): a
        counter still holding this reservation's entry was read before it, so this call's cost is added."""
        try:
            item = await asyncio.wait_for(asyncio.shield(read), store_timeout())
        except store_failures() as exc:
            log.warning("reading the key's spend after %s failed: %s", self.reservation_id, type(exc).__name__)
            return None
        item = item or {}
        spent = float(dec(item.get("spent") or 0))
        return spent + cost if entry_name(self.reservation_id) in item else spent

    def _check_soft_budgets(self, cost: float) -> None:
        for scope, ident, soft, duration in budgets.soft_budgets(self.auth, self.end_user):
            bucket, _ = period(duration, self.started)
            spent = float(self.meter.counters.budget(scope, ident, bucket)["spent"])
            if spent >= soft > spent - cost:
                from tollway.metering.alerts import soft_budget_crossed

                soft_budget_crossed(scope, ident, spent, soft, self.meter.settings.soft_budget_alert_topic_arn)


def _settlement_deadline(answer_by: float | None) -> float | None:
    """When settling must be done: the invocation's end, i.e. ``RequestContext.deadline`` (by which the
    upstream call stops) plus the settlement margin kept free for this write."""
    if answer_by is None:
        return None
    from tollway.api.deadline import settlement_margin_ms

    return answer_by + settlement_margin_ms() / 1000
