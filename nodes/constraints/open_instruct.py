"""What open-instruct's IFEval verifier can read, so a row labelled for it scores as decif's.

open-instruct's `IFEvalVerifier` (`ground_truth_utils.py`) builds every constraint of a
row with `build_description(**kwargs)` from its IFEvalG `instructions.py`, then checks the
response. Some values decif can check are not read there as decif reads them:

- a response language outside its `instructions_util.LANGUAGE_CODES` (below) raises
  KeyError; its reward gathers the batch without `return_exceptions`, so one such row
  fails a whole training step;
- a parameter that is falsy (0, "", an empty list) or negative means "draw one at random"
  in many of its types (`if not n_start:`, `if num_words < 0`), so a `copy_span_idx` span
  starting at character 0 is replaced by a random one and a correct copy scores 0;
- a `letter` that is not one ASCII letter, and an `nth_paragraph` outside
  1..`num_paragraphs`, are replaced by random ones too.

`unreadable` says which of these a constraint has; the RLVR export keeps such rows out of
open-instruct's file (they stay in verl's, scored by decif's own checkers), and decif's
draws avoid them (the languages drawn are among these codes; a copied span starts after
the first word where it can).
"""

from __future__ import annotations

from nodes.constraints.base import Constraint
from nodes.constraints.ids import IFEVAL_IDS, IFEVALG_IDS

# open-instruct's `instructions_util.LANGUAGE_CODES` (IFEvalG), the codes its response
# language type can state; any other raises KeyError in `build_description`.
LANGUAGE_CODES = frozenset(
    {
        "en",
        "es",
        "pt",
        "ar",
        "hi",
        "fr",
        "ru",
        "de",
        "ja",
        "it",
        "bn",
        "uk",
        "th",
        "ur",
        "ta",
        "te",
        "bg",
        "ko",
        "pl",
        "he",
        "fa",
        "vi",
        "ne",
        "sw",
        "kn",
        "mr",
        "gu",
        "pa",
        "ml",
        "fi",
    }
)
KNOWN_IDS = IFEVAL_IDS | IFEVALG_IDS  # the types its registry has


def unreadable(constraint: Constraint) -> str | None:
    """Why open-instruct's verifier cannot score this constraint as decif does (a short
    reason for the export summary), or None when it can."""
    type_id, kwargs = constraint["id"], constraint.get("kwargs") or {}
    if type_id not in KNOWN_IDS:
        return "decif-only type"
    for name, value in kwargs.items():
        if value is None:
            continue
        if not value or (isinstance(value, int | float) and value < 0):
            return f"{name} {value!r} (read as: draw one at random)"
    if type_id == "language:response_language" and kwargs.get("language") not in LANGUAGE_CODES:
        return f"language {kwargs.get('language')!r} (not among its language codes)"
    letter = kwargs.get("letter")
    if letter is not None and not (
        isinstance(letter, str) and len(letter) == 1 and "a" <= letter.lower() <= "z"
    ):
        return f"letter {letter!r} (not one ASCII letter)"
    if type_id == "length_constraints:nth_paragraph_first_word":
        nth, count = kwargs.get("nth_paragraph"), kwargs.get("num_paragraphs")
        if isinstance(nth, int) and isinstance(count, int) and not 0 < nth <= count:
            return f"nth_paragraph {nth} (outside 1..num_paragraphs)"
    return None
