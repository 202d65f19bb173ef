"""Scanning long texts cheaply: each detector looks only near what it needs (a word, an anchor string, a run
of digits, a long token) instead of running its regex over the whole text.

A 4k-token prompt is ~16k characters. A regex pass over it costs ~0.3 ms of CPU however simple the pattern
(the regex engine steps through every position in Python's C loop, ~20 ns each), a multi-character
``str.find`` ~8 µs, while ``bytes.translate``, ``bytes.find`` of one character and the ASCII fast paths of
``encode``/``lower`` cost a few µs. So ``Prepared`` computes, once per text and on first use, a same-length
ASCII image of the text (``?`` for each non-ASCII character, ``0`` for a digit of another script, so
positions line up) and from it:

- ``words``: the set of its lowercase words (runs of ASCII letters) that are gate words (``word_bytes``), so a
  detector whose pattern needs one of a few words asks a set instead of searching the text (``gate``);
- ``runs``: its digit runs, found by a regex with a literal first character over a copy where every digit
  is ``0`` (the engine then skips to each digit in C);
- ``tokens``: its runs of 15+ key-like characters (``[A-Za-z0-9+/=_.-]``), where API keys, JWTs, AWS keys
  and base64/hex blobs can be.

Detectors then run their full pattern only inside small windows around those places (``windows``), with the
text's real boundaries, so lookbehinds and lookaheads still see their context.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from tollway.guardrails.base import PREPARED
from tollway.guardrails.builtin.windows import (
    anchored,
    class_table,
    joined_matches,
    matches,
    merge,
    spread,
)

if TYPE_CHECKING:
    from tollway.guardrails.base import Session
    from tollway.guardrails.builtin.prefilters import RunShape

_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: ASCII letters lowercased, every other byte a space: ``split()`` then gives the words (numbers are not
#: words here: no gate needs one, and a prompt holds many)
_WORDS = bytes(c if c in _LETTERS else 32 for c in range(256)).lower()
#: every digit as ``0``, a line break as a carriage return (so ``run_image`` holds no line break but its
#: own), other bytes unchanged (the separators of a number stay what they are)
_DIGITS = bytes(48 if 48 <= c <= 57 else 13 if c == 10 else c for c in range(256))
_TOKEN_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_.-"
_TOKEN_CHARS = frozenset(_TOKEN_BYTES)
#: key-like characters as ``a``, every other byte a space
_TOKENS = bytes(97 if c in _TOKEN_CHARS else 32 for c in range(256))
#: the shortest token worth a look (``xoxb-`` and ten characters is the shortest key pattern)
MIN_TOKEN = 15
_TOKEN_PREFIX = b"a" * MIN_TOKEN
#: a number worth a closer look: 7+ characters of digits and separators, starting and ending with a digit
_RUN = re.compile(rb"0[0 \-.()/]{5,}0")
_DECIMAL = re.compile(r"\d")
_SPAN = re.Match.span
_IMAGE = "tollway-ascii-image"
#: every gate word made so far (``word_bytes``): the only words ``Prepared.words`` keeps
_VOCABULARY: frozenset[bytes] = frozenset()


def _image_of(error: UnicodeError) -> tuple[str, int]:
    """The ASCII image of a run of non-ASCII characters: ``?`` each, or ``0`` for a digit of another script
    (the detectors' ``\\d`` matches those too, so their digit runs must be found)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    if _DECIMAL.search(chunk) is None:
        return "?" * len(chunk), error.end
    return "".join("0" if c.isdecimal() else "?" for c in chunk), error.end


codecs.register_error(_IMAGE, _image_of)


class Prepared:
    """One text with its cheap derived forms (see the module docstring), each computed on first use."""

    __slots__ = ("_ascii", "_digits", "_from", "_longest", "_lower", "_run_image", "_runs", "_tokens", "_vocabulary",
                 "_words", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        #: the ``Prepared`` this text is an edit of, with the edits and the regions around them (``edited``)
        self._from: tuple[Prepared, list[tuple[int, int, int]], list[tuple[int, int]]] | None = None
        self._ascii: bytes | None = None
        self._lower: str | None = None
        self._words: frozenset[bytes] | None = None
        #: the gate words ``_words`` was read against (gate words made since then: read again)
        self._vocabulary: frozenset[bytes] = _VOCABULARY
        self._runs: list[tuple[int, int, int]] | None = None
        self._digits: bytes | None = None
        self._run_image: bytes | None = None
        self._tokens: list[tuple[int, int]] | None = None
        self._longest: int | None = None

    @property
    def ascii(self) -> bytes:
        """The text with each non-ASCII character as ``?`` (a digit as ``0``): one byte per character, so
        positions are the text's."""
        if self._ascii is None:
            self._ascii = self.text.encode("ascii", _IMAGE)
        return self._ascii

    @property
    def lower(self) -> str | None:
        """The lowercase text, or None when lowercasing changed its length (positions would not line up)."""
        if self._lower is None:
            self._lower = self._carried_lower() or self.text.lower()
        return self._lower if len(self._lower) == len(self.text) else None

    @property
    def words(self) -> frozenset[bytes]:
        """Its lowercase words (runs of ASCII letters in its lowercase form, split at every other character)
        that some gate asks about: every word ``word_bytes`` was given is there if the text has it. Only those
        are kept, which spares building a set of every word of a long prompt."""
        if self._words is not None and self._vocabulary is _VOCABULARY:
            return self._words
        self._vocabulary = _VOCABULARY
        if self._from is not None:
            source, _, regions = self._from
            if source._words is not None and source._vocabulary is _VOCABULARY:
                self._words = self._carried_words(source._words, regions)
                return self._words
        if self.text.isascii():
            image = self.ascii  # the table lowercases ASCII letters: the lowercase text's words
        else:
            lower = self.lower  # what case-insensitive matching sees (the Kelvin sign is a ``k`` there)
            image = self.ascii if lower is None else lower.encode("ascii", _IMAGE)
        self._words = _VOCABULARY.intersection(image.translate(_WORDS).split())
        return self._words

    @property
    def words_known(self) -> bool:
        """Whether ``words`` is cheap now: made already, or carried from a source that has it (else it costs a
        split of the whole text, which pays only for many gates)."""
        if self._vocabulary is not _VOCABULARY:
            return False
        if self._words is not None:
            return True
        return self._from is not None and self._from[0]._words is not None \
            and self._from[0]._vocabulary is _VOCABULARY

    def has_any(self, words: frozenset[bytes]) -> bool:
        """Whether one of ``words`` (lowercase ASCII letters) is a word of the text."""
        return not self.words.isdisjoint(words)

    @property
    def runs(self) -> list[tuple[int, int, int]]:
        """``(start, end, digits in it)`` of every digit run."""
        if self._runs is None and self._from is not None and self._from[0]._runs is not None:
            self._runs = self._carried_runs(*self._from)
        if self._runs is None:
            digits = self.digits  # spans only: reading each match's text back costs more than counting in place
            self._runs = [(lo, hi, digits.count(b"0", lo, hi)) for lo, hi in map(_SPAN, _RUN.finditer(digits))]
        return self._runs

    @property
    def digits(self) -> bytes:
        """The ASCII image with every digit as ``0`` (and a line break as ``\\r``, which no run holds)."""
        if self._digits is None:
            self._digits = self.ascii.translate(_DIGITS)
        return self._digits

    @property
    def run_image(self) -> bytes:
        """Every digit run's image (digits as ``0``, the character before it first), one a line: the line
        breaks are its only ones (``digits`` has none), so a position's run is the count of breaks before it."""
        if self._run_image is None:
            digits = self.digits
            self._run_image = b"\n".join([digits[lo - 1 if lo else 0:hi] for lo, hi, _ in self.runs])
        return self._run_image

    def runs_shaped(self, least: int, shape: RunShape | None) -> list[tuple[int, int, int]]:
        """The digit runs with at least ``least`` digits that ``shape`` picks from ``run_image``, in order: one
        pass over all runs (shared by every detector that asks) instead of a look at each."""
        runs = self.runs
        if shape is not None and runs:
            runs = [runs[i] for i in sorted(set(shape(self.run_image)))]
        return [run for run in runs if run[2] >= least]

    @property
    def tokens(self) -> list[tuple[int, int]]:
        """``(start, end)`` of every run of at least ``MIN_TOKEN`` key-like characters."""
        if self._tokens is None and self._from is not None and self._from[0]._tokens is not None:
            self._tokens = self._carried_tokens(*self._from)
        if self._tokens is None:
            image = self.ascii.translate(_TOKENS)
            out = []
            at = image.find(_TOKEN_PREFIX)
            while at != -1:
                end = image.find(b" ", at + MIN_TOKEN)
                if end == -1:
                    end = len(image)
                out.append((at, end))
                at = image.find(_TOKEN_PREFIX, end)
            self._tokens = out
        return self._tokens

    @property
    def longest_token(self) -> int:
        """At least the length of its longest token (0 without one): exact once ``tokens`` is made; for an edit
        whose tokens were not needed yet, the longer of the source's longest and those found near the edits
        (its tokens are among those), so a reader that only needs long tokens does not make them all."""
        if self._longest is None:
            if self._tokens is None and self._from is not None and self._from[0]._tokens is not None:
                _, _, regions = self._from
                near = [hi - lo for start, end in _widened(regions, self.ascii, _TOKEN_BYTES)
                        for lo, hi in _region_tokens(self.ascii, start, end)]
                return max(self._from[0].longest_token, *near, 0)
            self._longest = max([hi - lo for lo, hi in self.tokens], default=0)
        return self._longest

    def edited(self, text: str, edits: list[tuple[int, int, int]]) -> Prepared:
        """The ``Prepared`` of ``text``, this text with ``edits`` applied (``(start, end, new length)`` in this
        text's positions, in order, not overlapping), reusing what was computed here, on first use of each
        form: the words (a superset: words an edit removed stay, which only lets a gate pass), and the digit
        runs and tokens away from the edits, shifted; near each edit they are found again. A masked prompt is
        not scanned twice, and what no later detector reads is not carried at all."""
        out = Prepared(text)
        regions: list[tuple[int, int]] = []  # near each edit, in ``text``'s positions
        shift = 0
        for start, end, size in edits:
            regions.append((min(len(text), max(0, start + shift - _REACH)),
                            min(len(text), start + shift + size + _REACH)))
            shift += size - (end - start)
        out._from = (self, edits, merge(regions))
        return out

    def _carried_lower(self) -> str | None:
        """The lowercase form of an edit of an ASCII text whose lowercase form was made: the source's, with the
        (ASCII) replacements lowercased in (ASCII lowercasing is per character, so this is ``text.lower()``)."""
        if self._from is None:
            return None
        source, edits, _ = self._from
        if source._lower is None or not source.text.isascii():
            return None
        pieces: list[str] = []
        position, shift = 0, 0
        for start, end, size in edits:
            replacement = self.text[start + shift:start + shift + size]
            if not replacement.isascii():
                return None
            pieces += (source._lower[position:start], replacement.lower())
            position, shift = end, shift + size - (end - start)
        pieces.append(source._lower[position:])
        return "".join(pieces)

    def _carried_words(self, words: frozenset[bytes], regions: list[tuple[int, int]]) -> frozenset[bytes]:
        image = self.ascii
        return words.union(*(_VOCABULARY.intersection(image[lo:hi].translate(_WORDS).split()) for lo, hi in regions))

    def _carried_runs(self, old: Prepared, edits: list[tuple[int, int, int]],
                      regions: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        assert old._runs is not None
        digits = self.digits
        fresh = [self._run(m) for lo, hi in _widened(regions, digits, _RUN_CHARS)
                 for m in _until(_RUN.finditer(digits, lo), hi)]
        return _combined(old._runs, fresh, edits)

    def _carried_tokens(self, old: Prepared, edits: list[tuple[int, int, int]],
                        regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
        assert old._tokens is not None
        found = [span for lo, hi in _widened(regions, self.ascii, _TOKEN_BYTES)
                 for span in _region_tokens(self.ascii, lo, hi)]
        return _combined(old._tokens, found, edits)

    @staticmethod
    def _run(match: re.Match[bytes]) -> tuple[int, int, int]:
        return match.start(), match.end(), match.group().count(b"0")


#: how far around an edit digit runs, tokens and words are looked for again
_REACH = 64
_RUN_CHARS = b"0 -.()/"


def _widened(regions: list[tuple[int, int]], image: bytes, inside: bytes) -> list[tuple[int, int]]:
    """``regions`` whose starts are moved back to where no run of ``inside`` characters crosses them (merged)."""
    out = []
    for start, end in regions:
        lo = start
        while lo > 0 and image[lo - 1] in inside:
            lo -= 1
        out.append((lo, end))
    return merge(out)


def _until(found: Iterator[re.Match[bytes]], end: int) -> Iterator[re.Match[bytes]]:
    for match in found:
        if match.start() >= end:
            return
        yield match


def _region_tokens(ascii: bytes, lo: int, hi: int) -> list[tuple[int, int]]:
    """Tokens of an ASCII image starting in ``[lo, hi)``, read from a token image of that stretch only (longer
    when the last token runs to its end)."""
    end = hi + _REACH
    while True:
        image = ascii[lo:end].translate(_TOKENS)
        found = list(_token_spans(image, 0, hi - lo))
        if end >= len(ascii) or not found or found[-1][1] < len(image):
            return [(start + lo, stop + lo) for start, stop in found]
        end += end - lo


def _token_spans(image: bytes, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Tokens (runs of ``a``, at least ``MIN_TOKEN`` long) of a token image starting in ``[lo, hi)``."""
    at = image.find(_TOKEN_PREFIX, lo)
    while at != -1 and at < hi:
        end = image.find(b" ", at + MIN_TOKEN)
        end = len(image) if end == -1 else end
        yield at, end
        at = image.find(_TOKEN_PREFIX, end)


def _combined(old: list[Any], fresh: list[Any], edits: list[tuple[int, int, int]]) -> list[Any]:
    """Spans found again near the edits, plus the old ones (tuples starting ``(start, end, ...)``) that no edit
    touched, shifted to the new positions, unless they overlap one found again. All three are in order (old
    spans do not overlap, so their ends are in order too): the old spans between two edits are a slice, found
    by bisection, so a long text's many spans are moved without a Python step each where no edit shifts them."""
    starts = [span[0] for span in old]
    ends = [span[1] for span in old]
    kept: list[Any] = []
    shift, after = 0, 0  # the shift past the edits so far, and where the last one ended (old positions)
    for edit_start, edit_end, size in edits:
        # old spans starting at or after the previous edit's end and ending at or before this edit's start
        kept += _shifted(old[bisect_left(starts, after):bisect_right(ends, edit_start)], shift)
        shift += size - (edit_end - edit_start)
        after = edit_end
    kept += _shifted(old[bisect_left(starts, after):], shift)
    if fresh and kept:
        kept_ends = [span[1] for span in kept]
        dropped = set()
        for fresh_start, fresh_end, *_ in fresh:
            index = bisect_right(kept_ends, fresh_start)
            while index < len(kept) and kept[index][0] < fresh_end:
                dropped.add(index)
                index += 1
        if dropped:
            kept = [span for index, span in enumerate(kept) if index not in dropped]
    return sorted(kept + fresh) if fresh else kept


def _shifted(spans: list[Any], shift: int) -> list[Any]:
    return spans if not shift else [(start + shift, end + shift, *rest) for start, end, *rest in spans]


def prepared(session: Session, text: str) -> Prepared:
    """The ``Prepared`` of ``text`` for this request: made once, shared by every detector that reads it."""
    found: Prepared | None = session.cache.get((PREPARED, text))
    if found is None:
        found = session.cache[(PREPARED, text)] = Prepared(text)
    return found


def word_bytes(words: Iterable[str]) -> frozenset[bytes]:
    """Gate words as ``Prepared.words`` holds them (each must be lowercase ASCII letters), made known to it:
    a gate must be made here to be read."""
    global _VOCABULARY
    out = frozenset(w.encode("ascii") for w in words)
    for word in out:
        if word.translate(_WORDS) != word:
            raise ValueError(f"gate word {word!r} must be lowercase ASCII letters")
    if not out <= _VOCABULARY:
        _VOCABULARY = _VOCABULARY | out
    return out


__all__ = ["MIN_TOKEN", "Prepared", "anchored", "class_table", "joined_matches", "matches", "merge", "prepared",
           "spread", "word_bytes"]
