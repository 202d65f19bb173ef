"""Guarding a streamed answer: a sliding window over the text as it arrives, with a hold-back.

Events are held until the text after them is at least ``hold_back`` characters long; before any text is
released the window (the last ``window`` released characters of the channel plus everything held) is
scanned. A text-free event (a finish or usage chunk, a block stop) ends the text so far: it is scanned in
full and released. The guarantee, for a guardrail whose matches are at most ``hold_back`` characters long
(e.g. an email, a card number, a keyword, a placeholder): none of the match reaches the client. A longer
match (up to ``window`` characters) is still caught, after at most ``len(match) - hold_back - 1`` of its
characters were sent. Masking works the same way on held text: a match is masked once ``min(8, hold_back)``
characters follow it (so it cannot still grow), which keeps matches of up to ``hold_back - 8`` characters
whole (a longer one that began in text already sent is left and recorded as ``log``); placeholders of the
request are put back as their event leaves.

Service-backed guardrails (bedrock, presidio) are asked about the window each time held text is released
(about every ``hold_back`` characters): their blocks stop the stream; their masking applies to
whole answers only. ``limits.max_response_chars`` counts every character generated, reasoning aside.

Reasoning text streams on channels of its own (``views.base.Reasoning``) and is windowed the same way. A
signed channel (an Anthropic thinking block) is checked but never rewritten: a block ends the stream as
anywhere else; a mask is recorded as ``log`` and placeholders stay in it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tollway.guardrails import record
from tollway.guardrails.base import Finding, Subject, TextGuardrail, json_safe, readable, restorations, rewrite
from tollway.guardrails.errors import GuardrailViolation
from tollway.views.base import Channel, Reasoning, TextPart, View

if TYPE_CHECKING:
    from tollway.guardrails.base import Guardrail, Session
    from tollway.views.base import TextView


@dataclass
class _Held:
    event: Any
    parts: list[TextPart]


@dataclass
class _Channel:
    tail: str = ""
    held: int = 0
    generated: int = 0
    released: int = 0
    seen: set[tuple[str, int, str]] = field(default_factory=set)
    #: ``json``: the channel carries raw JSON text (streamed tool-call arguments)
    syntax: str = "text"
    #: the text is covered by a signature (Anthropic thinking): never rewritten
    signed: bool = False
    #: reasoning text: not counted by ``limits.max_response_chars``
    reasoning: bool = False


class _Plain(View):
    name = "plain"

    def parts(self, obj: Any) -> Any:
        yield TextPart(("text",), "assistant", obj["text"])


class StreamGuard:
    """Feeds events in with ``push`` (it returns the events now safe to send) and ``finish`` at the end."""

    def __init__(self, guards: list[Guardrail], view: TextView, session: Session) -> None:
        self.view, self.session = view, session
        self.guards = [g for g in guards if g.runs_on_output() and g.kind != "limits"]
        self.restore = any(g.restores_output for g in guards) and bool(session.originals)
        self.limits = [g for g in guards if g.max_output_chars is not None]
        self.window = max((g.window for g in guards), default=256)
        self.hold = max((g.hold_back for g in guards), default=64)
        self.step = max(1, self.hold)
        #: characters that must follow a match before it is masked (so it cannot still grow)
        self.margin = max(1, min(8, self.hold))
        self.queue: deque[_Held] = deque()
        self.channels: dict[Channel, _Channel] = {}
        self.session.stage = "output"

    def _channel(self, index: Channel, syntax: str = "text", signed: bool = False) -> _Channel:
        found = self.channels.get(index)
        if found is None:
            found = self.channels[index] = _Channel(syntax=syntax, signed=signed,
                                                    reasoning=isinstance(index, Reasoning))
        return found

    async def push(self, event: Any) -> list[Any]:
        parts = list(self.view.parts(event))
        deltas = [p for p in parts if p.kind == "delta"]
        if any(p.kind == "snapshot" for p in parts):
            await self._snapshot(event, [p for p in parts if p.kind == "snapshot"])
        self.queue.append(_Held(event, deltas))
        for part in deltas:
            channel = self._channel(part.channel, part.syntax, part.signed)
            channel.held += len(part.text)
            channel.generated += len(part.text)
            if channel.reasoning:
                continue
            for guard in self.limits:
                if channel.generated > (guard.max_output_chars or 0):
                    await self._violation(guard, "max_response_chars")
        if not deltas:
            if any(c.held for c in self.channels.values()):
                await self._scan(final=True)
            return self._release(final=True)
        if any(c.held >= self.hold + self.step for c in self.channels.values()):
            await self._scan(final=False)
            return self._release(final=False)
        return self._release(final=False, text=False)

    async def finish(self) -> list[Any]:
        if any(c.held for c in self.channels.values()):
            await self._scan(final=True)
        return self._release(final=True)

    async def _scan(self, *, final: bool) -> None:
        for index, channel in self.channels.items():
            held = [(item, i) for item in self.queue for i, p in enumerate(item.parts) if p.channel == index]
            if not held:
                continue
            text = channel.tail + "".join(item.parts[i].text for item, i in held)
            offset = len(channel.tail)
            json = channel.syntax == "json"
            seen = readable(text) if json else text
            masks: list[Finding] = []
            for guard in self.guards:
                if isinstance(guard, TextGuardrail):
                    for finding in guard.findings(seen, "output", self.session):
                        masks += await self._consider(guard, finding, channel, (offset, len(text)), final=final)
                else:
                    result = await guard.apply(Subject("output", {"text": text}, _Plain(),
                                                       [TextPart(("text",), "assistant", text)]), self.session)
                    if result.blocked is not None:
                        await self._violation(guard, result.blocked)
            if masks:
                masks = json_safe(text, masks) if json else masks
                self._rewrite(held, [replace(f, start=f.start - offset, end=f.end - offset) for f in masks])

    async def _consider(self, guard: Guardrail, finding: Finding, channel: _Channel, bounds: tuple[int, int], *,
                     final: bool) -> list[Finding]:
        """What to do with one finding in the window (``bounds``: where held text starts, the window's
        length): block, record, and which masks to apply now."""
        offset, size = bounds
        if finding.end <= offset:
            return []  # entirely in text already released (and scanned then)
        action = "log" if guard.log_only or (channel.signed and finding.action == "mask") else finding.action
        if action == "block":
            await self._violation(guard, finding.category)
        settled = final or finding.end + self.margin <= size
        if not settled:
            return []
        if finding.start < offset and action == "mask":  # began in text already sent: too late to mask, and
            action = "log"  # recorded as seen rather than left silent
        key = (guard.name, channel.released - offset + finding.start, finding.category)
        if key not in channel.seen:
            channel.seen.add(key)
            await record.decision(self.session, guard, finding.category, action)
        return [finding] if action == "mask" and finding.replacement is not None else []

    def _rewrite(self, held: list[tuple[_Held, int]], findings: list[Finding]) -> None:
        """Apply findings (positions in the held text) across the held parts: each replacement goes
        where its span starts, and the span's characters leave every part they were in."""
        position = 0
        for item, i in held:
            part = item.parts[i]
            start, end = position, position + len(part.text)
            position = end
            local = [Finding(max(f.start, start) - start, min(f.end, end) - start, f.category, "mask",
                             f.replacement if start <= f.start < end else "")
                     for f in findings if f.replacement is not None and f.start < end and f.end > start]
            if local:
                self._set(item, i, rewrite(part.text, local))

    def _set(self, item: _Held, index: int, text: str) -> None:
        part = item.parts[index]
        if part.signed:
            return
        channel = self._channel(part.channel)
        channel.held += len(text) - len(part.text)
        self.view.replace(item.event, part, text)
        item.parts[index] = replace(part, text=text)

    def _release(self, *, final: bool, text: bool = True) -> list[Any]:
        out: list[Any] = []
        while self.queue:
            item = self.queue[0]
            if item.parts and not (final or (text and self._releasable(item))):
                break
            self.queue.popleft()
            if self.restore and item.parts:
                self._restore(item)
            for part in item.parts:
                channel = self._channel(part.channel)
                channel.held -= len(part.text)
                channel.released += len(part.text)
                channel.tail = (channel.tail + part.text)[-self.window:]
            out.append(item.event)
        return out

    def _releasable(self, item: _Held) -> bool:
        need: dict[Channel, int] = {}
        for part in item.parts:
            need[part.channel] = need.get(part.channel, 0) + len(part.text)
        return all(self._channel(c).held - n >= self.hold for c, n in need.items())

    def _restore(self, item: _Held) -> None:
        """Put originals back for placeholders starting in this (front) item, read across the held text."""
        for index, part in enumerate(item.parts):
            if part.signed:
                continue
            held = [(h, i) for h in self.queue for i, p in enumerate(h.parts) if p.channel == part.channel]
            joined = part.text + "".join(h.parts[i].text for h, i in held)
            found = [f for f in restorations(joined, self.session) if f.start < len(part.text)]
            if part.syntax == "json":
                found = json_safe(joined, found)
            if found:
                self._rewrite([(item, index), *held], found)

    async def _snapshot(self, event: Any, parts: list[TextPart]) -> None:
        for part in parts:
            found: list[Finding] = list(restorations(part.text, self.session)) if self.restore else []
            seen = readable(part.text) if part.syntax == "json" else part.text
            for guard in self.guards:
                if isinstance(guard, TextGuardrail):
                    for finding in guard.findings(seen, "output", self.session):
                        if finding.action == "block" and not guard.log_only:
                            await self._violation(guard, finding.category)
                        if finding.action == "mask" and not guard.log_only:
                            found.append(finding)
            if found and not part.signed:
                found = json_safe(part.text, found) if part.syntax == "json" else found
                self.view.replace(event, part, rewrite(part.text, found))

    async def _violation(self, guard: Guardrail, category: str) -> None:
        await record.decision(self.session, guard, category, "block")
        raise GuardrailViolation(guard.name, category, stage="output")
