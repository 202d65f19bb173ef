"""Prefilters that let a detector skip a text (or most of it) without running its pattern: the literal every
match of a regular expression contains, and shapes that pick the digit runs an entity can be in.

Each is implied by the pattern it guards (a text it rejects cannot match), so detection is unchanged;
``tests/unit/guardrails/test_scan.py`` holds them to plain regex passes over random texts.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Any

#: picks digit runs from ``Prepared.run_image``: positions in it (any position inside a run picks that run)
RunShape = Callable[[bytes], Iterable[int]]


def regex_shape(pattern: bytes) -> RunShape:
    """Runs in which ``pattern`` matches (give it a literal first character: the engine skips to those in C)."""
    compiled = re.compile(pattern)
    return lambda image: (match.start() for match in compiled.finditer(image))


def literal_shape(*needles: bytes, not_after: bytes = b"", spaces: bool = True, fold: bytes = b"") -> RunShape:
    """Runs holding one of ``needles`` (not right after a byte of ``not_after``), found with ``bytes.find``;
    with ``spaces=False`` the runs are searched with their spaces removed (``0 0`` reads as ``00``); with
    ``fold`` (pairs of bytes: the first read as the second) one needle stands for its variants (a search of a
    run image, all ``0`` and separators, costs a step per byte or two whatever the needle)."""
    table = bytes.maketrans(fold[::2], fold[1::2]) if fold else None

    def shape(image: bytes) -> Iterator[int]:
        if not spaces:  # positions then point into the compacted image: count the runs before them instead
            compact = image.translate(None, b" ")
            marks: list[int] | None = None  # where every line starts: made on a second hit (most texts have none)
            hits = 0
            for needle in needles:
                at = compact.find(needle)
                while at != -1:
                    line = compact.count(b"\n", 0, at)
                    hits += 1
                    if hits == 1:
                        yield _line_start(image, line)
                    else:
                        marks = marks if marks is not None else _marks(image)
                        yield marks[line]
                    at = compact.find(b"\n", at)
                    at = -1 if at == -1 else compact.find(needle, at)
            return
        folded = image if table is None else image.translate(table)  # same positions
        for needle in needles:
            at = folded.find(needle)
            while at != -1:
                if not (at and image[at - 1] in not_after):
                    yield at
                at = folded.find(needle, at + 1)

    return shape


def _line_start(image: bytes, line: int) -> int:
    """Where line ``line`` (from 0) of ``image`` starts (split in C up to it)."""
    return len(image) - len(image.split(b"\n", line)[-1]) if line else 0


def _marks(image: bytes) -> list[int]:
    """Where each line of ``image`` starts (summed in C: no Python step per line)."""
    return [0, *accumulate(map((1).__add__, map(len, image.split(b"\n"))))]


def required_literal(pattern: str) -> str | None:
    """A literal every match of ``pattern`` contains, case-sensitively (the longest found), or None.

    Conservative: it reads the parsed pattern's top-level sequence (and groups that are always matched once)
    and stops a literal at anything else (a class, a repeat, an alternation, a case-insensitive part), so a
    text without the literal cannot match, and a pattern it cannot vouch for gets None (always scanned)."""
    try:
        parser: Any = importlib.import_module("re._parser")
        constants: Any = importlib.import_module("re._constants")
        parsed = parser.parse(pattern)
    except (ImportError, re.error, AttributeError):
        return None
    if parsed.state.flags & constants.SRE_FLAG_IGNORECASE:
        return None
    best = ""
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if len(run) > len(best):
            best = "".join(run)
        run.clear()

    def walk(items: Any) -> None:
        for op, av in items:
            if op is constants.LITERAL:
                run.append(chr(av))
            elif op is constants.SUBPATTERN and not (av[1] & constants.SRE_FLAG_IGNORECASE):
                walk(av[3])
            elif op is constants.AT:
                continue  # zero-width (``\b``, ``^``): the literals either side are still adjacent
            else:
                flush()

    walk(parsed)
    flush()
    return best or None


__all__ = ["RunShape", "literal_shape", "regex_shape", "required_literal"]
