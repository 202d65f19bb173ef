"""The pipeline's three calls into guardrails: ``pre_call`` before the upstream, then ``Guard.post_call`` on
an answer or ``Guard.stream`` around a stream. Each takes the object in whatever format it is, with the
view of that format (``tollway.views``), so the same lines serve the translated and passthrough paths.

``pre_call`` selects the request's guardrails, runs the ``pre_call`` ones (which may block or rewrite the
request in place) and starts the ``during_call`` ones, which run alongside the upstream call: nothing of
the answer is released until they pass. Without configured guardrails every call is a no-op.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from tollway.errors import TollwayError
from tollway.guardrails import engine
from tollway.guardrails.errors import GuardrailViolation
from tollway.observability import tracing

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.gateway import Gateway
    from tollway.guardrails.base import Guardrail, Session
    from tollway.views.base import TextView

R = TypeVar("R")
#: set on the context of a guardrail's own judge call, so it is not guarded again
JUDGE_CALL = "guardrail_judge_call"


class Guard:
    """The guardrails of one request, between the pre-call and the answer."""

    def __init__(self, guards: list[Guardrail] | None = None, session: Session | None = None,
                 during: asyncio.Task[None] | None = None,
                 rewrites: list[tuple[str, str]] | None = None) -> None:
        self.guards, self.session, self.during = guards or [], session, during
        #: (text as received, text as rewritten) of each request part the pre-call changed
        self.rewrites = rewrites or []
        self._carried: set[int] = set()

    def carry(self, request: R, view: TextView) -> R:
        """The pre-call's decisions applied to another form of the checked request: the canonical request a
        translated attempt builds from the client's body as received gets the same rewrites (same
        placeholders, as text is translated verbatim), the same output cap and no guardrail keys in its
        ``metadata``. Applied once per object; a no-op without guardrails."""
        if self.session is None or id(request) in self._carried:
            return request
        self._carried.add(id(request))
        from tollway.guardrails.selection import strip

        strip(request)
        if self.rewrites:
            pairs = sorted(self.rewrites, key=lambda pair: -len(pair[0]))
            subj = engine.subject("input", request, view)
            for index, part in enumerate(subj.parts):
                text = part.text
                for old, new in pairs:
                    text = text.replace(old, new)
                if text != part.text:
                    engine.apply_text(subj, index, text)
        for guard in self.guards:
            cap = getattr(guard, "output_cap", None)
            clamp = getattr(view, "clamp_output", None)
            if cap is not None and clamp is not None and guard.runs("pre_call"):
                clamp(request, cap)
        return request

    async def post_call(self, response: R, view: TextView, *, settle: Callable[..., Awaitable[None]]) -> R:
        """Check (and rewrite) the answer, then settle the charge: with the decision recorded on the
        spend log, and as a failure when a guardrail blocked it (its tokens are still charged)."""
        if self.session is None:
            await settle()
            return response
        try:
            await self._during()
            output = [g for g in self.guards if g.runs_on_output()]
            subject = engine.subject("output", response, view)
            if output:
                await tracing.guarded("output", output, engine.check(output, subject, self.session))
            if any(g.restores_output for g in self.guards):
                engine.restore(subject, self.session)
        except TollwayError as exc:
            await settle(status="failure", error_type=exc.error_type)
            raise
        except BaseException:
            await settle(status="failure", error_type="internal_error")
            raise
        await settle()
        return response

    def stream(self, events: AsyncIterator[Any], view: TextView) -> AsyncIterator[Any]:
        """``events`` passed through a sliding-window check (see ``guardrails.stream``)."""
        if self.session is None or not self._watches_output():
            return events
        return self._guarded(events, view)

    def _watches_output(self) -> bool:
        """Whether anything looks at the answer (else a stream is not held back at all)."""
        return self.during is not None or any(
            g.runs_on_output() or g.restores_output or g.max_output_chars is not None for g in self.guards)

    async def _guarded(self, events: AsyncIterator[Any], view: TextView) -> AsyncIterator[Any]:
        from tollway.guardrails.stream import StreamGuard

        assert self.session is not None
        done = False
        try:
            try:
                await self._during()
            except TollwayError as exc:
                await _stop(events, exc)
                raise
            guard = StreamGuard(self.guards, view, self.session)  # after the during-call checks: output stage
            while True:
                try:
                    event = await events.__anext__()
                except StopAsyncIteration:
                    done = True
                    break
                try:
                    ready = await guard.push(event)
                except TollwayError as exc:
                    done = True
                    await _stop(events, exc)
                    raise
                for item in ready:
                    yield item
            for item in await guard.finish():
                yield item
        finally:
            if not done:
                aclose = getattr(events, "aclose", None)
                if aclose is not None:
                    await aclose()

    async def checked(self) -> None:
        """Wait for the ``during_call`` checks (a block raises): for a request with no answer to hold back."""
        await self._during()

    async def _during(self) -> None:
        if self.during is not None:
            task, self.during = self.during, None
            await task


async def _stop(events: AsyncIterator[Any], exc: TollwayError) -> None:
    """End the upstream stream with ``exc``, so the charge settles as that failure for what was generated."""
    athrow = getattr(events, "athrow", None)
    if athrow is None:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
        return
    try:
        await athrow(exc)
    except TollwayError:
        pass
    except StopAsyncIteration:
        pass


async def pre_call(gateway: Gateway, auth: AuthContext, ctx: RequestContext, request: Any, view: TextView, *,
                   judge: Callable[..., Awaitable[Any]] | None = None) -> Guard:
    """Select and run the request's guardrails before the upstream call (400 on a block)."""
    entries = getattr(gateway.config, "guardrails", None)
    if not entries or ctx.extra.get(JUDGE_CALL):
        return Guard()
    Session, auditor, guardrails_of, select = _deps()
    guards = select(guardrails_of(entries), auth, ctx, request)
    if not guards:
        return Guard()
    session = Session(auth=auth, ctx=ctx, judge=_judge(gateway, auth, ctx, judge) if judge else None,
                      audit=auditor(gateway.identity, auth, ctx.request_id))
    before = [g for g in guards if g.runs("pre_call")]
    rewrites: list[tuple[str, str]] = []
    if before:
        subj = engine.subject("input", request, view)
        received = [part.text for part in subj.parts]
        await tracing.guarded("input", before, engine.check(before, subj, session))
        rewrites = [(old, part.text) for old, part in zip(received, subj.parts, strict=True)
                    if old != part.text and old]
    during = [g for g in guards if g.runs("during_call") and not g.runs("pre_call")]
    task = None
    if during:
        task = asyncio.ensure_future(engine.check(during, engine.subject("input", request, view), session,
                                                  rewrite_allowed=False))
        task.add_done_callback(_retrieve)
    return Guard(guards, session, task, rewrites)


@cache
def _deps() -> tuple[type[Session], Callable[[Any, AuthContext, str], Callable[[dict[str, Any]], Awaitable[None]]],
                     Callable[[Any], dict[str, Guardrail]],
                     Callable[[dict[str, Guardrail], AuthContext, RequestContext, Any], list[Guardrail]]]:
    """What ``pre_call`` needs, imported on the first request with guardrails (not when the module loads), once:
    an ``import`` statement in the function costs microseconds on every request."""
    from tollway.guardrails.base import Session
    from tollway.guardrails.record import auditor
    from tollway.guardrails.registry import guardrails_of
    from tollway.guardrails.selection import select

    return Session, auditor, guardrails_of, select


def _retrieve(task: asyncio.Task[None]) -> None:
    """A during-call check whose answer never came (the upstream failed) must not warn at shutdown."""
    if not task.cancelled():
        task.exception()


def _judge(gateway: Gateway, auth: AuthContext, ctx: RequestContext,
           chat: Callable[..., Awaitable[Any]]) -> Callable[[str, str], Awaitable[str]]:
    async def ask(model: str, prompt: str) -> str:
        from tollway.api.context import RequestContext
        from tollway.routing import regions
        from tollway.types.chat import ChatRequest

        request = ChatRequest.model_validate({"model": model, "temperature": 0, "max_tokens": 8,
                                              "messages": [{"role": "user", "content": prompt}]})
        # charged to the caller's key and team like any request, but the judge model is the config's choice:
        # the caller needs no access to it; it reads the request's text, so it stays in the request's region
        judge_auth = replace(auth, models=None, model_levels=())
        judge_ctx = RequestContext(request_id=f"{ctx.request_id}-judge", auth=judge_auth, deadline=ctx.deadline,
                                   extra={JUDGE_CALL: True, **regions.carried(ctx)})
        answer = await chat(gateway, judge_auth, judge_ctx, request)
        return str(answer.choices[0].message.content or "") if answer.choices else ""

    return ask


__all__ = ["Guard", "GuardrailViolation", "pre_call"]
