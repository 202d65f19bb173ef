"""Prefilters that let a detector skip a text (or most of it) without running its pattern: the literal every
match of a regular expression contains, and shapes that pick the digit runs an entity can be in.

Each is implied by the pattern it guards (a text it rejects cannot match), so detection is unchanged;
``tests/unit/guardrails/test_scan.py`` holds them to plain regex passes over random texts.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

#: picks digit runs from ``Prepared.run_image`` (one run a line): the indices of the lines it picks (repeats
#: allowed)
RunShape = Callable[[bytes], Iterable[int]]


def regex_shape(pattern: bytes) -> RunShape:
    """Runs in which ``pattern`` matches (give it a literal first character: the engine skips to those in C)."""
    compiled = re.compile(pattern)
    return lambda image: _lines(image, (match.start() for match in compiled.finditer(image)))


def literal_shape(*needles: bytes, not_after: bytes = b"", spaces: bool = True, fold: bytes = b"") -> RunShape:
    """Runs holding one of ``needles`` (not right after a byte of ``not_after``), found with ``bytes.find``;
    with ``spaces=False`` the runs are searched with their spaces removed (``0 0`` reads as ``00``); with
    ``fold`` (pairs of bytes: the first read as the second) one needle stands for its variants (a search of a
    run image, all ``0`` and separators, costs a step per byte or two whatever the needle)."""
    table = bytes.maketrans(fold[::2], fold[1::2]) if fold else None

    def found(image: bytes, needle: bytes) -> Iterator[int]:
        """Where ``needle`` is, the first time in each line."""
        at = image.find(needle)
        while at != -1:
            if not (at and image[at - 1] in not_after):
                yield at
                at = image.find(b"\n", at)
                if at == -1:
                    return
            at = image.find(needle, at + 1)

    def shape(image: bytes) -> Iterator[int]:
        if not spaces:  # lines stay lines when the spaces are removed
            compact = image.translate(None, b" ")
            for needle in needles:
                yield from _lines(compact, found(compact, needle))
            return
        folded = image if table is None else image.translate(table)  # same positions
        for needle in needles:
            yield from _lines(folded, found(folded, needle))

    return shape


def _lines(image: bytes, positions: Iterable[int]) -> Iterator[int]:
    """The line of each of ``positions`` (in order), counting line breaks in C from one to the next."""
    line, seen = 0, 0
    for at in positions:
        line += image.count(b"\n", seen, at)
        seen = at
        yield line


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
