"""Windows of a long text worth a detector's full pattern, and its matches inside them (see ``scan``): around
the occurrences of a needle, over the runs of characters a match can hold around a one-character needle, and
the matches of a pattern inside many windows in one regex call."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re


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


def class_table(chars: bytes) -> bytes:
    """A ``bytes.translate`` table: ``chars`` as ``a``, every other byte a space (see ``spread``)."""
    return bytes(97 if c in chars else 32 for c in range(256))


def spread(text: str, image: bytes, needle: str, reach: tuple[int, int],
           tables: tuple[bytes, bytes]) -> list[tuple[int, int]]:
    """Merged windows around every occurrence of ``needle`` that reach only as far as a match can: over the
    run of ``left`` characters before it (at most ``before``) and of ``right`` ones after it (at most
    ``after``), with ``reach`` ``(before, after)`` and ``tables`` ``(left, right)``, ``class_table`` tables
    read on ``image``, the text's ASCII image (``Prepared.ascii``), so a regex scanning the window starts
    where a match can start, instead of trying every position of a fixed-size window."""
    (before, after), (left, right) = reach, tables
    spans: list[tuple[int, int]] = []
    at = text.find(needle)
    while at != -1:
        lo = at - before if at > before else 0
        lo += image[lo:at].translate(left).rfind(b" ") + 1
        end = at + len(needle)
        tail = image[end:end + after].translate(right)
        cut = tail.find(b" ")
        spans.append((lo, end + (len(tail) if cut == -1 else cut)))
        at = text.find(needle, end)
    return merge(spans, ordered=True)


def merge(spans: list[tuple[int, int]], *, ordered: bool = False) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined (``ordered``: they are already sorted by start)."""
    out: list[tuple[int, int]] = []
    for lo, hi in spans if ordered else sorted(spans):
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


def joined_matches(pattern: re.Pattern[str], text: str,
                   windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``matches`` for a pattern that cannot match a line break, in one regex call for many windows: they are
    scanned joined by line breaks, and each candidate is matched again in the text itself (so lookbehinds and
    word boundaries at a window's start see the real context)."""
    if len(windows) < 4:
        yield from matches(pattern, text, windows)
        return
    starts: list[int] = []
    position = 0
    for lo, hi in windows:
        starts.append(position)
        position += hi - lo + 1
    joined = "\n".join([text[lo:hi] for lo, hi in windows])
    for candidate in pattern.finditer(joined):
        index = bisect_right(starts, candidate.start()) - 1
        lo, hi = windows[index]
        match = pattern.match(text, lo + candidate.start() - starts[index], hi)
        if match is not None:
            yield match


__all__ = ["anchored", "class_table", "joined_matches", "matches", "merge", "spread"]
