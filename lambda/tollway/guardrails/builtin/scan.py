"""Scanning long texts cheaply: each detector looks only near what it needs (an anchor string, a run of
digits) instead of running its regex over the whole text.

A 4k-token prompt is ~16k characters; a regex pass over it costs ~0.3 ms of CPU however simple the
pattern, while finding a literal is ~50x cheaper. So ``Prepared`` computes the lowercase form and the
digit runs once per text, and detectors run their full pattern only inside small windows around those
places (with the text's real boundaries, so lookbehinds and lookaheads still see their context).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

#: a number worth a closer look: 7+ characters of digits and separators, starting and ending with a digit
_RUN = re.compile(r"\d[\d \-.()/]{5,}\d")


class Prepared:
    """One text with its lowercase form and digit runs, each computed on first use."""

    __slots__ = ("_lower", "_runs", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        self._runs: list[tuple[int, int, str, int]] | None = None

    @property
    def lower(self) -> str | None:
        """The lowercase text, or None when lowercasing changed its length (positions would not line up)."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower if len(self._lower) == len(self.text) else None

    @property
    def runs(self) -> list[tuple[int, int, str, int]]:
        """``(start, end, run, digits in it)`` of every digit run (``run`` keeps a leading ``+``)."""
        if self._runs is None:
            text = self.text
            self._runs = [(m.start(), m.end(), "+" + m.group() if m.start() and text[m.start() - 1] == "+"
                           else m.group(), _digits(m.group())) for m in _RUN.finditer(text)]
        return self._runs


_SEPARATORS = str.maketrans("", "", " -.()/+")


def _digits(run: str) -> int:
    return len(run.translate(_SEPARATORS))


def anchored(haystack: str, needles: tuple[str, ...], before: int, after: int, *,
             check: Callable[[str, int], bool] | None = None) -> list[tuple[int, int]]:
    """Merged windows ``[at - before, at + len(needle) + after)`` around every occurrence of each needle
    (that passes ``check``, when given)."""
    spans: list[tuple[int, int]] = []
    size = len(haystack)
    for needle in needles:
        at = haystack.find(needle)
        while at != -1:
            if check is None or check(haystack, at):
                spans.append((max(0, at - before), min(size, at + len(needle) + after)))
            at = haystack.find(needle, at + 1)
    return merge(spans)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def matches(pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` inside each window, each reported once."""
    seen: set[tuple[int, int]] = set()
    for lo, hi in windows:
        for match in pattern.finditer(text, lo, hi):
            if match.span() not in seen:
                seen.add(match.span())
                yield match
