"""How far the judge can be trusted, measured against human reviews.

Every verdict a reviewer marked right or wrong is one observation of (what the judge
said, what the reviewer holds): a review of a criterion, or of a constraint only the LLM
can judge. From them: accuracy (share the reviewer marked right), precision of YES (of the
judge's YES, the share the reviewer agrees with: how much a pass means), recall of YES (of
the reviewer's YES, the share the judge also said: how much good data the judge throws
away) and Cohen's kappa (agreement beyond what the two YES rates give by chance) - over
all observations, and per kind (`checkpoints.criterion_kinds` for criteria; a constraint's
type for the LLM-judged ones).

What it implies for the data: of the accepted samples reviewers decided on, the share
they dropped, with a 95% Wilson interval - the estimate of how much of the accepted set a
reviewer would drop. It estimates the accepted set only when the reviewed samples are a
random draw from it (the viewer's review queue draws them so). Where two or more reviewers
reviewed one sample, their agreement on keep/drop and on the verdicts they both marked,
pooled over every pair of reviewers (Cohen's kappa on the pooled pairs).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from checkpoints.criterion_kinds import criterion_kind
from checkpoints.reviews import Judgement, decisions_by_sample, human_verdict, reviews_sqlite

Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval


def calibration_figures(db: sqlite3.Connection) -> dict[str, Any]:
    """The figures of a run's samples table and reviews (see the module doc)."""
    statuses = dict(db.execute("select id, status from samples").fetchall())
    return calibration(reviews_sqlite(db), statuses)


def calibration(reviews: list[dict[str, Any]], statuses: dict[str, str]) -> dict[str, Any]:
    """The figures for decoded review rows and each sample's status."""
    pairs = [
        (kind, judgement["judge"], human_verdict(judgement))
        for review in reviews
        for kind, judgement in _judgements(review)
    ]
    kinds = sorted({kind for kind, _, _ in pairs})
    return {
        "reviews": len(reviews),
        "reviewed_samples": len({r["sample_id"] for r in reviews}),
        "reviewers": sorted({r["reviewer"] for r in reviews}),
        "judge": {
            "overall": agreement((judge, human) for _, judge, human in pairs),
            "by_kind": [
                {"kind": kind} | agreement((j, h) for k, j, h in pairs if k == kind)
                for kind in kinds
            ],
        },
        "accepted_dropped": accepted_dropped(reviews, statuses),
        "reviewers_agreement": reviewers_agreement(reviews),
    }


def _judgements(review: dict[str, Any]) -> Iterable[tuple[str, Judgement]]:
    for judgement in review["criteria"]:
        yield criterion_kind(judgement["question"]), judgement
    for judgement in review["constraints"]:
        yield judgement["id"], judgement


def agreement(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, precision and recall of YES, and Cohen's kappa, of (judge, human)
    verdict pairs; None where a figure has no denominator."""
    table = {(j, h): 0 for j in ("YES", "NO") for h in ("YES", "NO")}
    for pair in pairs:
        table[pair] += 1
    n = sum(table.values())
    yes_yes, yes_no, no_yes = table["YES", "YES"], table["YES", "NO"], table["NO", "YES"]
    agree = yes_yes + table["NO", "NO"]
    return {
        "judgements": n,
        "agree": agree,
        "accuracy": _ratio(agree, n),
        "precision_yes": _ratio(yes_yes, yes_yes + yes_no),
        "recall_yes": _ratio(yes_yes, yes_yes + no_yes),
        "kappa": kappa(table),
        "table": {f"judge {j} / human {h}": count for (j, h), count in table.items()},
    }


def kappa(table: dict[tuple[str, str], int]) -> float | None:
    """Cohen's kappa of a 2x2 table {(rater a, rater b): count}; None when chance alone
    explains every agreement (both raters gave one answer only) or there is no data."""
    n = sum(table.values())
    if not n:
        return None
    observed = (table["YES", "YES"] + table["NO", "NO"]) / n
    a_yes = (table["YES", "YES"] + table["YES", "NO"]) / n
    b_yes = (table["YES", "YES"] + table["NO", "YES"]) / n
    chance = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
    if chance >= 1:
        return None
    return round((observed - chance) / (1 - chance), 4)


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (sound for small n and for 0 or n
    successes, where the normal approximation collapses to a point)."""
    if not n:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def accepted_dropped(reviews: list[dict[str, Any]], statuses: dict[str, str]) -> dict[str, Any]:
    """Of the accepted samples someone kept or dropped, how many were dropped (a sample
    any reviewer dropped counts as dropped, as the export leaves it out)."""
    decided = {
        sample: fate
        for sample, fate in decisions_by_sample(reviews).items()
        if statuses.get(sample) == "accepted"
    }
    dropped = sum(1 for fate in decided.values() if fate == "drop")
    interval = wilson(dropped, len(decided))
    return {
        "accepted_decided": len(decided),
        "dropped": dropped,
        "share": _ratio(dropped, len(decided)),
        "low": interval[0] if interval else None,
        "high": interval[1] if interval else None,
        "accepted_total": sum(1 for s in statuses.values() if s == "accepted"),
    }


def reviewers_agreement(reviews: list[dict[str, Any]]) -> dict[str, Any]:
    """Agreement between reviewers of the same sample, over every pair of them: on
    keep/drop, and on the human verdict of each question both marked."""
    by_sample: dict[str, list[dict]] = {}
    for review in reviews:
        by_sample.setdefault(review["sample_id"], []).append(review)
    decisions, verdicts = [], []
    for found in by_sample.values():
        for a, b in combinations(found, 2):
            if a["decision"] and b["decision"]:
                decisions.append((_yes(a["decision"] == "keep"), _yes(b["decision"] == "keep")))
            marked_a, marked_b = _marked(a), _marked(b)
            verdicts += [(marked_a[q], marked_b[q]) for q in marked_a.keys() & marked_b.keys()]
    shared = sum(1 for found in by_sample.values() if len(found) > 1)
    return {
        "samples": shared,
        "decision": _pair_agreement(decisions),
        "verdicts": _pair_agreement(verdicts),
    }


def _marked(review: dict[str, Any]) -> dict[str, str]:
    """question -> the reviewer's verdict, for every verdict the review marked."""
    return {j["question"]: human_verdict(j) for j in [*review["criteria"], *review["constraints"]]}


def _pair_agreement(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    table = {(a, b): 0 for a in ("YES", "NO") for b in ("YES", "NO")}
    for pair in pairs:
        table[pair] += 1
    agree = table["YES", "YES"] + table["NO", "NO"]
    share = _ratio(agree, len(pairs))
    return {"pairs": len(pairs), "agree": agree, "share": share, "kappa": kappa(table)}


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
