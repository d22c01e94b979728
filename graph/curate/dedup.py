"""Near-duplicate instructions: MinHash signatures and LSH, with datasketch.

Each accepted instruction becomes the set of word n-grams of its normalised text
(`checkpoints.words`) and a MinHash signature of that set; signatures are stored, so a
rerun hashes only the samples it has not seen. Candidates come from a MinHash LSH index
over every signature, banded so that LSH is not the weak link: a pair at the threshold
plus 0.1 - where the MinHash estimate itself (128 permutations) falls below the threshold
less than once in 200 - is a candidate at least 99% of the time. datasketch's own choice
of bands for 0.7 finds such a pair 87% of the time; more bands would find pairs at the
threshold more often, where the estimate flags only half of them anyway, at the price of
far more false candidates among instructions that share a constraint sentence or two. A
candidate counts when the signatures' agreement (the MinHash estimate of the Jaccard
similarity) reaches the threshold.

Samples are taken in position order: the first of a group is kept, and a later one whose
similarity to some kept sample reaches the threshold is flagged as a near-duplicate of
the most similar of them. Texts equal after normalisation are flagged the same way
(similarity 1.0), without relying on LSH.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from checkpoints.words import ngrams

SEED = 1  # datasketch's default: the permutations every stored signature was made with
SCHEME = "affine32"  # datasketch 2's default: 32-bit values
RECALL = 0.99  # of LSH, for pairs at the threshold + MARGIN
MARGIN = 0.1


@dataclass(frozen=True)
class Neighbour:
    id: str
    similarity: float


def digest(normalised: str, ngram: int, num_perm: int) -> str:
    """What a signature depends on: the text and the settings it was made with."""
    return hashlib.sha1(f"{ngram}/{num_perm}/{SEED}/{normalised}".encode()).hexdigest()


def signatures(texts: Sequence[str], ngram: int, num_perm: int) -> list[LeanMinHash]:
    """MinHash signatures of normalised texts (words joined by single spaces)."""
    shingles = ([s.encode() for s in ngrams(text.split(), ngram)] for text in texts)
    return [LeanMinHash(m) for m in MinHash.generator(shingles, num_perm=num_perm, seed=SEED)]


def to_bytes(signature: LeanMinHash) -> bytes:
    buffer = bytearray(signature.bytesize())
    signature.serialize(buffer)
    return bytes(buffer)


def from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash.deserialize(data)


def _lean(hashvalues: np.ndarray) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=hashvalues, scheme=SCHEME)


def bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands (b, r): the most rows per band (fewest false candidates) for which a pair
    at `threshold` + MARGIN (halfway to 1, for a high threshold) still shares a band with
    probability >= RECALL."""
    similarity = min(threshold + MARGIN, (1 + threshold) / 2)
    best = (num_perm, 1)
    for rows in range(1, num_perm // 2 + 1):
        count = num_perm // rows
        if 1 - (1 - similarity**rows) ** count >= RECALL:
            best = (count, rows)
    return best


def near_duplicates(
    ids: Sequence[str],
    normalised: Sequence[str],
    values: np.ndarray,
    threshold: float,
) -> tuple[dict[str, Neighbour], dict[str, Neighbour]]:
    """For samples in position order, with their signatures as the rows of `values`: (id
    -> the kept sample it repeats, id -> its most similar other sample found), by the
    rules in the module doc."""
    duplicate_of: dict[str, Neighbour] = {}
    nearest: dict[str, Neighbour] = {}
    if not len(values):
        return duplicate_of, nearest
    num_perm = values.shape[1]
    index = MinHashLSH(threshold=threshold, num_perm=num_perm, params=bands(threshold, num_perm))
    with index.insertion_session() as session:
        for i in range(len(values)):
            session.insert(i, _lean(values[i]), check_duplication=False)
    first_seen: dict[str, int] = {}
    for i in range(len(values)):
        others = np.fromiter(index.query(_lean(values[i])), dtype=np.int64)
        others = others[others != i]
        if not others.size and normalised[i] not in first_seen:
            first_seen[normalised[i]] = i
            continue  # alone: nothing to compare
        similarity = (values[others] == values[i]).mean(axis=1)
        if others.size:
            best = int(np.argmax(similarity))
            nearest[ids[i]] = Neighbour(ids[others[best]], round(float(similarity[best]), 4))
        first = first_seen.setdefault(normalised[i], i)
        if first != i:  # an exact copy: of the kept sample its first occurrence is, or repeats
            nearest[ids[i]] = Neighbour(ids[first], 1.0)
            duplicate_of[ids[i]] = duplicate_of.get(ids[first], nearest[ids[i]])
            continue
        # earlier samples that were kept, at or above the threshold: the most similar wins
        kept = (others < i) & (similarity >= threshold)
        kept &= np.array([ids[j] not in duplicate_of for j in others], dtype=bool)
        if kept.any():
            j = int(np.argmax(np.where(kept, similarity, -1)))
            duplicate_of[ids[i]] = Neighbour(ids[others[j]], round(float(similarity[j]), 4))
    return duplicate_of, nearest
