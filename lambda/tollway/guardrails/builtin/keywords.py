"""``keywords`` and ``regex``: deny lists and patterns, to block, mask or log.

``keywords`` match whole words, case-insensitively unless ``case_sensitive`` (found as literals, so a long
list stays cheap); ``patterns`` are regular expressions matched as written (``(?i:...)`` for case-insensitive
parts), a string or ``{name, pattern}`` so the category names what matched, compiled once into a single
alternation so the text is scanned once however many there are.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import Field, field_validator, model_validator

from tollway.guardrails.base import Finding, Session, Stage, TextGuardrail
from tollway.guardrails.base import Params as BaseParams
from tollway.guardrails.builtin import prefilters, scan
from tollway.guardrails.builtin.scan import Prepared

if TYPE_CHECKING:
    from tollway.guardrails.config import GuardrailParams


class Params(BaseParams):
    action: Literal["block", "mask", "log"] = "block"
    keywords: list[str] = Field(default_factory=list)
    #: LiteLLM's name for a deny list
    banned_keywords_list: list[str] = Field(default_factory=list)
    patterns: list[str | dict[str, str]] = Field(default_factory=list)
    #: for ``keywords`` only: ``patterns`` match as written
    case_sensitive: bool = False
    #: fixed text to mask with; by default a typed placeholder (``[KEYWORD_1]``, ``[<NAME>_1]``)
    mask_with: str | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str | dict[str, str]]) -> list[str | dict[str, str]]:
        for item in value:
            pattern = item if isinstance(item, str) else item.get("pattern", "")
            if not pattern:
                raise ValueError("a pattern must not be empty")
            try:
                re.compile(f"(?P<g>{pattern})")  # as it is combined with the others
            except re.error as exc:
                raise ValueError(f"invalid pattern {pattern!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _something(self) -> Params:
        if not (self.keywords or self.banned_keywords_list or self.patterns):
            raise ValueError("give 'keywords' or 'patterns'")
        return self


class KeywordGuardrail(TextGuardrail):
    def __init__(self, name: str, kind: str, common: GuardrailParams, params: Params) -> None:
        super().__init__(name, kind, common)
        self.action, self.mask_with = params.action, params.mask_with
        self.case_sensitive = params.case_sensitive
        #: deny-list words, searched as literals (lowercased unless case-sensitive), matched as whole words
        self.words = sorted({w if params.case_sensitive else w.lower() for w in
                             (*params.keywords, *params.banned_keywords_list) if w.strip()}, key=len, reverse=True)
        #: per deny-list entry, the words a text must hold for it to be there (none: always searched)
        self.gates = [_gate(word) for word in self.words]
        #: group name -> (category, placeholder label)
        self.groups: dict[str, tuple[str, str]] = {}
        alternatives: list[str] = []
        literals: list[str | None] = []
        for i, item in enumerate(params.patterns, start=1):
            pattern = item if isinstance(item, str) else item["pattern"]
            label = "REGEX" if isinstance(item, str) else _label(item.get("name", "regex"))
            alternatives.append(f"(?P<g{i}>{pattern})")
            literals.append(prefilters.required_literal(pattern))
            self.groups[f"g{i}"] = (label.lower() if isinstance(item, dict) else "regex", label)
        self.pattern = re.compile("|".join(alternatives)) if alternatives else None
        #: a literal each pattern's matches contain: a text holding none of them is not scanned
        self.literals = None if None in literals else tuple(cast("list[str]", literals))

    def findings(self, text: str, stage: Stage, session: Session) -> list[Finding]:
        prepared = scan.prepared(session, text)
        spans = [(start, end, "keyword", "KEYWORD") for start, end in self._words(prepared)]
        if self.pattern is not None and (self.literals is None or any(lit in text for lit in self.literals)):
            for match in self.pattern.finditer(text):
                if match.start() != match.end():
                    category, label = next(v for g, v in self.groups.items() if match.group(g) is not None)
                    spans.append((match.start(), match.end(), category, label))
        found = []
        for start, end, category, label in spans:
            replacement = None
            if self.action == "mask":
                fixed = self.mask_with
                replacement = fixed if fixed is not None else session.placeholder(label, text[start:end])
            found.append(Finding(start, end, category, self.action, replacement))
        return found

    def _words(self, prepared: Prepared) -> list[tuple[int, int]]:
        text = prepared.text
        haystack: str | None = None  # made once a gate passes: most texts hold none of the words
        out: list[tuple[int, int]] = []
        # the gates read the text's word set; a short list searched in a text no other guardrail made a word set
        # of (an answer) is cheaper searched directly
        present = prepared.words if len(self.words) > _SEARCHED or prepared.words_known else None
        for word, gate in zip(self.words, self.gates, strict=True):
            if present is not None and not gate <= present:
                continue
            if haystack is None:  # lower moved positions: as written
                haystack = text if self.case_sensitive else (prepared.lower or text)
            at = haystack.find(word)
            while at != -1:
                end = at + len(word)
                bounded = not (at and _word_char(haystack[at - 1])) \
                    and not (end < len(haystack) and _word_char(haystack[end]))
                if bounded and not any(s <= at < e for s, e in out):
                    out.append((at, end))
                at = haystack.find(word, at + 1)
        return out


#: up to this many deny-list entries are searched in a text directly rather than gated by its word set
_SEARCHED = 8


def _gate(keyword: str) -> frozenset[bytes]:
    """The words a text must hold (as ``Prepared.words`` has them) for an ASCII ``keyword`` to be in it as a
    whole word: each of its runs of letters (none for a non-ASCII keyword: always searched)."""
    if not keyword.isascii():
        return frozenset()
    return scan.word_bytes(p for p in re.split(r"[^a-z]+", keyword.lower()) if p)


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _label(name: Any) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", str(name).upper()).strip("_") or "REGEX"


def build(name: str, kind: str, common: GuardrailParams, params: Params) -> KeywordGuardrail:
    return KeywordGuardrail(name, kind, common, params)
