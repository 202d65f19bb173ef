"""PII and PHI entity detectors: one compiled pattern each, a cheap prefilter, and a validator where a
checksum exists (Luhn for cards, mod-97 for IBANs, the octet and group rules of IP addresses).

Compiled once, when a config first names a pii/phi guardrail. Each runs only where it can match (``scan``):
near a rare character (``@``, ``:``), near a digit run, inside a long token (keys, JWTs), or, for cue-based
entities, near a cue word the text's word set holds, so a long prompt costs a few C-speed passes shared
by every detector rather than a regex pass per entity. Entity names follow Presidio's where one exists
(``EMAIL_ADDRESS``, ``CREDIT_CARD``, ...); placeholders use the short ``label`` (``[EMAIL_1]``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tollway.guardrails.builtin import prefilters, scan
from tollway.guardrails.builtin.scan import Prepared

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}")

#: what an email address holds before its ``@`` and after it
_LOCAL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-"
_DOMAIN = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-"


@dataclass(frozen=True)
class Entity:
    """One entity: its pattern, and where in a text it is worth running (see ``scan``).

    ``needles``: the pattern runs only in windows around them (in the lowercased text when ``lower``),
    and only when the text has one of the ``gate`` words (when given: a set lookup instead of a search);
    ``min_digits``: around digit runs with at least that many digits (and passing ``run_check``);
    ``min_token``: around runs of at least that many key-like characters. With none, the whole text is
    scanned.
    """

    name: str
    label: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    #: lowercase words one of which every match contains (or its cue does)
    gate: frozenset[bytes] = frozenset()
    lower: bool = False
    min_digits: int = 0
    #: what a digit run that can hold the entity looks like (digits as ``0``, the character before the run
    #: first; see ``Prepared.run_image``): implied by ``pattern`` (its lookbehinds included), so runs without
    #: it are not looked at
    run_shape: prefilters.RunShape | None = None
    #: where the pattern is worth running: around each match of this (a pattern with a literal first
    #: character, which the regex engine skips to in C)
    anchor: re.Pattern[str] | None = None
    min_token: int = 0
    #: ``(length, needle, gate)``: a token shorter than that length counts only when it holds the needle
    #: (tested inline: no call per token), which needs one of the ``gate`` words in the text
    short_token: tuple[int, str, frozenset[bytes]] | None = None
    #: window extent around a needle, run or token, in characters
    before: int = 4
    after: int = 4
    valid: Callable[[str], bool] | None = None
    #: the regex group holding the value (cue-based patterns match the cue too)
    group: int = 0

    #: for a one-character needle: ``scan.class_table`` tables of the characters a match holds before and
    #: after it, so its window spans only their runs (``scan.spread``)
    spread: tuple[bytes, bytes] | None = None

    #: the one character every match needs, when the entity is found near it (``@``, ``:``)
    char: str | None = field(init=False)

    def __post_init__(self) -> None:
        one = self.needles[0] if len(self.needles) == 1 and len(self.needles[0]) == 1 else None
        object.__setattr__(self, "char", one)

    def spans(self, text: str | Prepared) -> list[tuple[int, int]]:
        """Where the entity's values are in the text, in order."""
        prepared = text if isinstance(text, Prepared) else Prepared(text)
        windows = self._windows(prepared)
        if not windows:
            return []
        # digit-run patterns never match across a line break: many small windows are scanned in one call
        found = scan.joined_matches if self.min_digits else scan.matches
        group, valid = self.group, self.valid
        return [match.span(group) for match in found(self.pattern, prepared.text, windows)
                if match.group(group) and (valid is None or valid(match.group(group)))]

    def _windows(self, prepared: Prepared) -> list[tuple[int, int]]:
        raw = prepared.text
        if self.gate and not prepared.has_any(self.gate):
            return []
        before, after = self.before, self.after
        if self.anchor is not None:
            return scan.merge([(m.start() - before if m.start() > before else 0, m.end() + after)
                               for m in self.anchor.finditer(raw)], ordered=True)
        if self.spread is not None:
            return scan.spread(prepared.text, prepared.ascii, self.needles[0], (before, after), self.spread)
        if self.needles:
            haystack = prepared.lower if self.lower else raw
            if haystack is None:
                return [(0, len(raw))]
            return scan.anchored(haystack, self.needles, self.before, self.after)
        if self.min_digits:  # runs are in order, so are their windows
            return scan.merge([(lo - before if lo > before else 0, hi + after)
                               for lo, hi, _ in prepared.runs_shaped(self.min_digits, self.run_shape)], ordered=True)
        if self.min_token:
            least, longest = self.min_token, prepared.longest_token
            if longest < least:
                return []
            if self.short_token is None:
                tokens = [(lo, hi) for lo, hi in prepared.tokens if hi - lo >= least]
            else:
                long, needle, gate = self.short_token
                if longest < long and prepared.words_known and not prepared.has_any(gate):
                    return []  # no token long enough, and none holds the needle
                tokens = [(lo, hi) for lo, hi in prepared.tokens
                          if hi - lo >= long or (hi - lo >= least and needle in raw[lo:hi])]
            return scan.merge([(lo - before if lo > before else 0, hi + after) for lo, hi in tokens], ordered=True)
        return [(0, len(raw))]


def luhn(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def card(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return digits[:1] in "23456" and digits[:1] != "" and luhn(digits)


def iban(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def phone(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return 10 <= digits <= 15 if not value.startswith("+") else 8 <= digits <= 15


def ipv6(value: str) -> bool:
    if "::" not in value and value.count(":") != 7:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("EMAIL_ADDRESS", "EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
           needles=("@",), before=64, after=255, spread=(scan.class_table(_LOCAL), scan.class_table(_DOMAIN))),
    Entity("PHONE_NUMBER", "PHONE", re.compile(
        r"(?<![\w+\-./])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
        r"|(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4})(?![\w\-]|\.\d)"), min_digits=8, valid=phone,
        # a ``+`` in a run image is the character before a run, so a digit follows it
        run_shape=prefilters.literal_shape(b"+", b"(000)", b"000-000-0000", not_after=b"0+-./", fold=b".-")),
    Entity("CREDIT_CARD", "CREDIT_CARD", re.compile(r"(?<![\w\-.])(?:\d[ -]?){12,18}\d(?![\w\-]|\.\d)"),
           min_digits=13, valid=card),
    Entity("IBAN_CODE", "IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
           min_digits=10, run_shape=prefilters.literal_shape(b"0" * 10, spaces=False), before=34, after=34, valid=iban),
    Entity("US_SSN", "SSN", re.compile(r"(?<![\w\-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w\-])"),
           min_digits=9, run_shape=prefilters.literal_shape(b"000-00-0000", b"000 00 0000")),
    Entity("US_PASSPORT", "PASSPORT", re.compile(
        r"(?i:passport)(?:\s+(?i:no\.?|number|num|id|is|#)){0,2}\s*[:#]?\s*\b([A-Z]{1,2}\d{6,8}|\d{9})\b"),
        needles=("passport",), lower=True, before=0, after=40, group=1),  # no gate: it may end a longer word
    Entity("MEDICAL_RECORD_NUMBER", "MRN", re.compile(
        r"(?i:\b(?:mrn|medical record(?: number| no\.?| #)?|patient id|chart (?:no\.?|number)))\s*[:#]?\s*"
        r"\b((?:[A-Z]{1,3}-?)?\d{5,10})\b"),
        needles=("mrn", "medical record", "patient id", "chart"),
        gate=scan.word_bytes(["mrn", "medical", "patient", "chart"]), lower=True, before=0, after=50, group=1),
    Entity("IP_ADDRESS", "IP", re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]|\.\d)"),
           min_digits=4, run_shape=prefilters.regex_shape(rb"\.0{1,3}\.0{1,3}\.0")),  # led by a dot: rare in runs
    Entity("IPV6_ADDRESS", "IP", re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"),
           needles=(":",), anchor=re.compile(r":[0-9A-Fa-f]{0,4}:"), before=40, after=40, valid=ipv6),
    Entity("DATE_OF_BIRTH", "DOB", re.compile(
        rf"(?i:\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\b)[^\n\d]{{0,20}}\b({_DATE})"),
        needles=("dob", "d.o.b", "birth", "born"), gate=scan.word_bytes(["dob", "b", "birth", "birthdate", "born"]),
        lower=True, before=16, after=60, group=1),
    Entity("AWS_ACCESS_KEY", "AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
           min_token=20, before=1, after=1),
    Entity("AWS_SECRET_KEY", "AWS_SECRET_KEY", re.compile(
        r"(?i:secret_?access_?key|aws_?secret(?:_?key)?)[\"']?\s*[:=]\s*[\"']?"
        r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
        min_token=40, before=80, after=1, group=1),
    Entity("PRIVATE_KEY", "PRIVATE_KEY", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[^-]|-(?!----END))*"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----)?"),
        needles=("PRIVATE KEY-----",), gate=scan.word_bytes(["private"]), before=40, after=16384),
    Entity("JWT", "JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
           min_token=32, before=1, after=1),
    Entity("API_KEY", "API_KEY", re.compile(
        r"\b(?:sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_-]{20,}|gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}"
        r"|AIza[0-9A-Za-z_-]{35}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}"
        r"|hf_[A-Za-z0-9]{30,}|r8_[A-Za-z0-9]{20,}|nvapi-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{20,})"),
        # a key shorter than 23 characters is a Slack token: the word ``xox[abprs]`` starts the token
        min_token=scan.MIN_TOKEN, short_token=(23, "xox", scan.word_bytes(["xoxa", "xoxb", "xoxp", "xoxr", "xoxs"])),
        before=1, after=1),
)}

#: Presidio's and common alternative names for the same entities
ALIASES = {"EMAIL": "EMAIL_ADDRESS", "PHONE": "PHONE_NUMBER", "IBAN": "IBAN_CODE", "SSN": "US_SSN",
           "PASSPORT": "US_PASSPORT", "MRN": "MEDICAL_RECORD_NUMBER", "IP": "IP_ADDRESS", "DOB": "DATE_OF_BIRTH",
           "SECRET_KEY": "AWS_SECRET_KEY", "TOKEN": "JWT"}

PII_DEFAULT = tuple(n for n in ENTITIES if n != "MEDICAL_RECORD_NUMBER")
PHI_DEFAULT = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "MEDICAL_RECORD_NUMBER", "DATE_OF_BIRTH", "IP_ADDRESS",
               "IPV6_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "US_PASSPORT")


def canonical(name: str) -> str:
    """The entity's name in ``ENTITIES`` (accepting aliases, any case); ValueError for an unknown one."""
    upper = name.strip().upper()
    upper = ALIASES.get(upper, upper)
    if upper not in ENTITIES:
        raise ValueError(f"unknown entity '{name}' (known: {', '.join(ENTITIES)})")
    return upper
