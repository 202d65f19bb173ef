"""Running guardrails over a whole request or answer: in config order, rewrites applied as they come.

A block raises ``GuardrailViolation`` after the decision is recorded; rewrites go back into the object
through its view, so the next guardrail (and the upstream, or the client) sees the rewritten text. A signed
part (an Anthropic thinking block) is never rewritten: not by a mask, a service's masking or a restore.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tollway.guardrails import record
from tollway.guardrails.base import Subject, json_safe, restorations, rewrite
from tollway.guardrails.errors import GuardrailViolation

if TYPE_CHECKING:
    from tollway.guardrails.base import Guardrail, Session, Stage
    from tollway.views.base import TextView


def subject(stage: Stage, obj: Any, view: TextView) -> Subject:
    return Subject(stage, obj, view, [p for p in view.parts(obj) if p.kind != "delta"])


async def check(guards: list[Guardrail], subj: Subject, session: Session, *, rewrite_allowed: bool = True) -> None:
    """Apply ``guards`` to ``subj`` (mutating its object); raise on the first block."""
    session.stage = subj.stage
    for guard in guards:
        result = await guard.apply(subj, session)
        for category, action in result.flagged:
            await record.decision(session, guard, category, action if rewrite_allowed else "log")
        if result.blocked is not None:
            await record.decision(session, guard, result.blocked, "block")
            raise GuardrailViolation(guard.name, result.blocked, stage=subj.stage)
        if rewrite_allowed:
            for index, text in result.rewrites.items():
                apply_text(subj, index, text)


def restore(subj: Subject, session: Session) -> None:
    """Put the originals of the request's placeholders back into the answer."""
    for index, part in enumerate(subj.parts):
        found = restorations(part.text, session)
        if found:
            apply_text(subj, index, rewrite(part.text, json_safe(part.text, found) if part.syntax == "json" else found))


def apply_text(subj: Subject, index: int, text: str) -> None:
    part = subj.parts[index]
    if part.signed:
        return
    subj.view.replace(subj.obj, part, text)
    subj.parts[index] = replace(part, text=text)
