"""Overlap with evaluation prompts, scored as open-instruct decontaminates.

open-instruct (`decontamination/search.py`, the Tulu 3 and OLMo 3 runs) scores a training
text against an evaluation prompt as the share of the prompt's tokens that lie in some
n-gram of the prompt that also occurs in the text, and removes the text when that score
is above `--match_threshold` for any prompt (`--ngram_size 8 --match_threshold 0.5` in
OLMo 3). decif keeps that score, those defaults and the strict "above", and differs in
three ways, each said in the README: tokens are normalised words (`checkpoints.words`),
where open-instruct counts spaCy tokens, punctuation included, and matches them through
Elasticsearch's analyzer, which drops punctuation and case; every match is found (no
`--search_size` cap on hits per n-gram); and the prompts are indexed, the samples streamed
through them, which is the same relation seen from the other side. A prompt shorter than
n words has no n-gram and never matches, as in open-instruct.

Each match keeps its score, the longest run of the prompt's words it covers (the span),
and the share of the sample's matched words that lie in decif's own constraint sentences
(a template hit: decif stated a constraint the way IFEval does, no prompt leaked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from checkpoints.words import words
from graph.curate.evalsets import EvalSet

_PRIME = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit multiplier for the rolling hash
SPAN_CHARS = 200


@dataclass(frozen=True)
class Text:
    """One text of a sample to check: its words and, for an instruction, the constraints
    it states (whose sentences are looked up only when it matches a prompt)."""

    sample: str
    field: str
    tokens: list[str]
    constraints: Sequence[dict] = ()


Sentences = Callable[[Sequence[dict]], list[str]]  # constraints -> the sentences stating them


@dataclass(frozen=True)
class Overlap:
    sample: str
    words: int  # the sample's words inside shared n-grams (with any prompt)
    template: int  # how many of them lie in constraint sentences
    matches: list[dict]  # prompts scored above the threshold


class EvalIndex:
    """One evaluation set's prompts as hashed word n-grams."""

    def __init__(self, evalset: EvalSet, n: int):
        self.name, self.n = evalset.name, n
        self.keys = [key for key, _ in evalset.prompts]
        self.tokens = [words(text) for _, text in evalset.prompts]
        self.vocab: dict[str, int] = {}
        for tokens in self.tokens:
            for token in tokens:
                self.vocab.setdefault(token, len(self.vocab))
        self.at: dict[int, list[tuple[int, int]]] = {}  # n-gram hash -> (prompt, start)
        self.gram: dict[int, list[str]] = {}  # n-gram hash -> its words
        for p, tokens in enumerate(self.tokens):
            ids = np.array([self.vocab[t] for t in tokens], dtype=np.int64)
            for start, h in _windows(ids, n):
                self.at.setdefault(h, []).append((p, start))
                self.gram.setdefault(h, tokens[start : start + n])
        self.hashes = np.array(sorted(self.at), dtype=np.uint64)

    def overlaps(
        self, texts: Sequence[Text], threshold: float, sentences: Sentences
    ) -> list[Overlap]:
        """Every text with any shared n-gram, with its matches above `threshold`."""
        ids = [np.array([self.vocab.get(t, -1) for t in x.tokens], dtype=np.int64) for x in texts]
        # per text and prompt, the words covered as bit masks: (prompt's, text's)
        found: dict[int, dict[int, list[int]]] = {}
        run = (1 << self.n) - 1
        for t, start, h in _hits(ids, self.n, self.hashes):
            if texts[t].tokens[start : start + self.n] != self.gram[h]:
                continue  # a hash collision
            prompts = found.setdefault(t, {})
            for p, at in self.at[h]:
                masks = prompts.setdefault(p, [0, 0])
                masks[0] |= run << at
                masks[1] |= run << start
        return [
            self._overlap(texts[t], prompts, threshold, sentences) for t, prompts in found.items()
        ]

    def _overlap(self, text: Text, prompts: dict, threshold: float, sentences: Sentences):
        template = _mask(sentence_ranges(text.tokens, sentences(text.constraints)))
        matched = 0
        for _, sample in prompts.values():
            matched |= sample
        matches = []
        for p, (covered, sample) in prompts.items():
            score = covered.bit_count() / len(self.tokens[p])
            if score > threshold:
                matches.append(
                    {
                        "against": self.name,
                        "key": self.keys[p],
                        "field": text.field,
                        "score": round(score, 4),
                        "span": _span(self.tokens[p], covered),
                        "template_share": round(
                            (sample & template).bit_count() / sample.bit_count(), 4
                        ),
                    }
                )
        return Overlap(text.sample, matched.bit_count(), (matched & template).bit_count(), matches)


def _windows(ids: np.ndarray, n: int) -> Iterable[tuple[int, int]]:
    """(start, hash) of each n-gram of one text's word ids."""
    for start, h in zip(*_hashes(ids, n), strict=True):
        yield int(start), int(h)


def _hashes(ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and rolling hashes of the n-grams of `ids` made of known words (id >= 0)."""
    if len(ids) < n:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    count = len(ids) - n + 1
    unknown = np.concatenate([[0], np.cumsum(ids < 0)])
    whole = unknown[n:] - unknown[:count] == 0
    values = ids.astype(np.uint64)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * _PRIME + values[k : k + count]
    starts = np.flatnonzero(whole)
    return starts, h[starts]


def _hits(ids: list[np.ndarray], n: int, hashes: np.ndarray) -> Iterable[tuple[int, int, int]]:
    """(text, start, hash) of every n-gram of the texts whose hash is a prompt's: the texts
    are joined, with an unknown word between them, and hashed in one pass."""
    if not ids or not hashes.size:
        return
    separator = np.array([-1], dtype=np.int64)
    joined = np.concatenate([part for x in ids for part in (x, separator)])
    offsets = np.cumsum([0] + [len(x) + 1 for x in ids])
    starts, h = _hashes(joined, n)
    found = np.searchsorted(hashes, h)
    found[found == len(hashes)] = 0
    hit = hashes[found] == h
    for start, value in zip(starts[hit], h[hit], strict=True):
        text = int(np.searchsorted(offsets, start, side="right")) - 1
        yield text, int(start - offsets[text]), int(value)


def _span(tokens: list[str], covered: int) -> str:
    """The longest run of covered words of a prompt (a bit mask), as text."""
    best, run = (0, 0), None
    for i in range(len(tokens) + 1):
        if covered >> i & 1:
            run = run if run is not None else i
        elif run is not None:
            best = max(best, (i - run, run))
            run = None
    length, start = best
    return " ".join(tokens[start : start + length])[:SPAN_CHARS]


def _mask(ranges: Sequence[tuple[int, int]]) -> int:
    """Word ranges as a bit mask (bit i: word i)."""
    mask = 0
    for a, b in ranges:
        mask |= ((1 << (b - a)) - 1) << a
    return mask


def sentence_ranges(tokens: list[str], sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Where each sentence's words occur in `tokens` (every occurrence)."""
    ranges = []
    for sentence in sentences:
        needle = words(sentence)
        size = len(needle)
        if not size:
            continue
        for i in range(len(tokens) - size + 1):
            if tokens[i] == needle[0] and tokens[i : i + size] == needle:
                ranges.append((i, i + size))
    return ranges
