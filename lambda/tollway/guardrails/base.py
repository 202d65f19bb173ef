"""What every guardrail shares: the subject it checks, the result it returns, the per-request session.

A guardrail sees a ``Subject`` (the object, its view and its text parts, on the ``input`` or ``output``
stage) and returns a ``Result``: pass, block (with a category), rewrite some parts, or flag categories
for the record only. ``TextGuardrail`` subclasses only locate ``Finding`` spans in one text; the same
findings drive whole-message checks and the sliding window over streams.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tollway.api.context import RequestContext
    from tollway.auth.context import AuthContext
    from tollway.guardrails.config import GuardrailParams
    from tollway.views.base import TextPart, TextView

Stage = Literal["input", "output"]
Action = Literal["block", "mask", "log"]
#: what a finding asks for: ``restore`` puts back an original a placeholder stood for (never recorded)
FindingAction = Literal["block", "mask", "log", "restore"]
#: the ``Session.cache`` key (with the text) of a text's ``builtin.scan.Prepared``, shared by the detectors
PREPARED = "prepared"
#: texts at least this long have the scan carried over a rewrite (a shorter one is scanned again, as cheaply)
_CARRIED = 4096


class Params(BaseModel):
    """Base of each type's settings: unknown keys (other LiteLLM settings) are kept, not rejected."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True, slots=True)
class Finding:
    """A span of one text: ``replacement`` is what to put there when masking (None: nothing to rewrite)."""

    start: int
    end: int
    category: str
    action: FindingAction = "block"
    replacement: str | None = None


@dataclass
class Subject:
    stage: Stage
    obj: Any
    view: TextView
    parts: list[TextPart]


@dataclass
class Result:
    blocked: str | None = None
    #: new text per part index
    rewrites: dict[int, str] = field(default_factory=dict)
    #: categories acted on without blocking (masked or only logged), with the action taken
    flagged: list[tuple[str, str]] = field(default_factory=list)




@dataclass
class Session:
    """Per-request state shared by the hooks: placeholders (consistent within the request), decisions."""

    auth: AuthContext
    ctx: RequestContext
    judge: Callable[[str, str], Awaitable[str]] | None = None
    #: what the audit entry for a block is written through (the identity service), when there is one
    audit: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    stage: Stage = "input"
    #: placeholder -> original, for placeholders made on the input (only those are put back in answers)
    originals: dict[str, str] = field(default_factory=dict)
    #: work detectors share within the request (prepared texts, entity spans), keyed by what they computed
    cache: dict[Any, Any] = field(default_factory=dict)
    _placeholders: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, label: str, original: str) -> str:
        """``[EMAIL_1]`` for the first email of this request; the same original gets the same placeholder."""
        key = (label, original)
        found = self._placeholders.get(key)
        if found is None:
            self._counts[label] = self._counts.get(label, 0) + 1
            found = f"[{label}_{self._counts[label]}]"
            self._placeholders[key] = found
            if self.stage == "input":
                self.originals[found] = original
        return found


class Guardrail:
    """One configured guardrail. Subclasses implement ``apply`` (or ``findings`` via ``TextGuardrail``)."""

    #: the response's total characters this guardrail allows (``limits``), checked on streams as they go
    max_output_chars: int | None = None
    #: whether the placeholders it put in the request are replaced by the originals in the answer
    restores_output = False

    def __init__(self, name: str, kind: str, common: GuardrailParams) -> None:
        self.name, self.kind = name, kind
        self.modes = common.modes
        self.default_on, self.mandatory = common.default_on, common.mandatory
        self.window, self.hold_back = common.stream_window_chars, common.stream_hold_back_chars

    @property
    def log_only(self) -> bool:
        return "logging_only" in self.modes

    def runs(self, stage: str) -> bool:
        """Whether this guardrail acts at ``stage`` (``pre_call``, ``during_call``, ``post_call``)."""
        return stage in self.modes or (self.log_only and stage in ("pre_call", "post_call"))

    def runs_on_output(self) -> bool:
        """Whether it looks at the model's output (``post_call``)."""
        return self.runs("post_call")

    async def apply(self, subject: Subject, session: Session) -> Result:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"guardrail_name": self.name, "guardrail": self.kind, "mode": sorted(self.modes),
                "default_on": self.default_on, "mandatory": self.mandatory}


class TextGuardrail(Guardrail):
    """A guardrail that finds spans in each text on its own (no network): block, mask or log them."""

    def findings(self, text: str, stage: Stage, session: Session) -> list[Finding]:
        raise NotImplementedError

    async def apply(self, subject: Subject, session: Session) -> Result:
        result = Result()
        for index, part in enumerate(subject.parts):
            json = part.syntax == "json"
            found = self.findings(readable(part.text) if json else part.text, subject.stage, session)
            if not found:
                continue
            for finding in found:
                action = finding.action
                if action != "restore" and (self.log_only or (part.signed and action == "mask")):
                    action = "log"  # a signed part (Anthropic thinking) is checked, never rewritten
                if action == "block":
                    result.blocked = finding.category
                    return result
                if action != "restore":
                    result.flagged.append((finding.category, action))
            if not self.log_only and not part.signed:
                rewritten, edits = rewrite_with_edits(part.text, json_safe(part.text, found) if json else found)
                if rewritten != part.text:
                    result.rewrites[index] = rewritten
                    prepared = session.cache.get((PREPARED, part.text))
                    if prepared is not None and len(rewritten) >= _CARRIED:  # the next guardrail's scan, carried
                        session.cache[(PREPARED, rewritten)] = prepared.edited(rewritten, edits)
        return result


_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*_\d+\]")


def restorations(text: str, session: Session) -> list[Finding]:
    """Findings that put back the originals of the request's placeholders found in ``text``."""
    originals = session.originals
    if not originals:
        return []
    # a placeholder holds no ``[`` after its first character: matching at each ``[`` (found with ``str.find``)
    # finds what ``finditer`` finds, without the regex stepping through every character of a long answer
    out = []
    at = text.find("[")
    while at != -1:
        match = _PLACEHOLDER.match(text, at)
        if match is not None and match.group() in originals:
            out.append(Finding(at, match.end(), "restore", "restore", originals[match.group()]))
        at = text.find("[", at + 1)
    return out


_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)


def readable(raw: str) -> str:
    """What detectors read of raw JSON text: its escape sequences blanked (``\\n`` as two spaces), so a value
    next to one is still found whole, at the same positions."""
    return _ESCAPE.sub(lambda m: " " * len(m.group()), raw) if "\\" in raw else raw


def json_safe(raw: str, findings: list[Finding]) -> list[Finding]:
    """Findings as they may be applied to raw JSON text: an original put back is JSON-escaped; a mask whose span
    holds a quote or a backslash is recorded but not applied (cutting there would break the JSON; no built-in
    detector matches one)."""
    out = []
    for finding in findings:
        span = raw[finding.start:finding.end]
        if finding.replacement is not None and finding.action == "restore":
            out.append(_replaced(finding, json.dumps(finding.replacement, ensure_ascii=False)[1:-1]))
        elif finding.replacement is not None and ('"' in span or "\\" in span):
            out.append(_replaced(finding, None))
        else:
            out.append(finding)
    return out


def _replaced(finding: Finding, replacement: str | None) -> Finding:
    return Finding(finding.start, finding.end, finding.category, finding.action, replacement)


def rewrite(text: str, findings: list[Finding]) -> str:
    """``text`` with each finding that has a replacement replaced (overlaps: the earliest wins)."""
    return rewrite_with_edits(text, findings)[0]


def rewrite_with_edits(text: str, findings: list[Finding]) -> tuple[str, list[tuple[int, int, int]]]:
    """``rewrite``, and the edits it made: ``(start, end, length of the replacement)``, in order."""
    out: list[str] = []
    edits: list[tuple[int, int, int]] = []
    position = 0
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if finding.replacement is None or finding.action not in ("mask", "restore") or finding.start < position:
            continue
        out.append(text[position:finding.start])
        out.append(finding.replacement)
        edits.append((finding.start, finding.end, len(finding.replacement)))
        position = finding.end
    out.append(text[position:])
    return "".join(out), edits
