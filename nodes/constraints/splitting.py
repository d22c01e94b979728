"""Sentence and word splitting for open-instruct's training-only types (source "ifevalg").

open-instruct checks its new types with two splitters IFEval's 25 types do not use:

- sentences: a rule-based splitter (its `instructions_util.split_into_sentences`), not
  Punkt. Several checkers compare its output character for character (sentence hyphens),
  so decif reproduces its rules here, written afresh, rather than using `text.sentences`.
  It needs no model and no download.
- words: NLTK's `word_tokenize`, which needs a Punkt download and makes every punctuation
  mark a "word" (so "The cat sat." has four). decif counts the words a reader counts
  instead: runs of `\\w` joined by an apostrophe or hyphen ("don't", "well-known" are one
  word each); `tokens` adds single punctuation marks where a checker must see them
  (start_end forbids anything after the last word).
"""

from __future__ import annotations

import re

_STOP = "<stop>"
_DOT = "<prd>"  # a full stop that does not end a sentence, restored at the end

_LETTER = r"([A-Za-z])"
_TITLES = r"(Mr|St|Mrs|Ms|Dr)[.]"
_COMPANY = r"(Inc|Ltd|Jr|Sr|Co)"
_OPENERS = (
    r"(Mr|Mrs|Ms|Dr|Prof|Capt|Cpt|Lt|He\s|She\s|It\s|They\s|Their\s|Our\s|We\s|But\s"
    r"|However\s|That\s|This\s|Wherever)"
)
_INITIALISM = r"([A-Z][.][A-Z][.](?:[A-Z][.])?)"

# Applied in this order; each protects a full stop that is not a sentence end (or marks
# one that is), exactly as open-instruct's splitter does.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (_TITLES, rf"\1{_DOT}"),  # "Dr. Smith"
        (r"[.](com|net|org|io|gov|edu|me)", rf"{_DOT}\1"),  # "example.com"
        (r"([0-9])[.]([0-9])", rf"\1{_DOT}\2"),  # "3.14"
    )
)
_LATER_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\s" + _LETTER + r"[.] ", rf" \1{_DOT} "),  # a lone initial: " J. "
        (_INITIALISM + " " + _OPENERS, rf"\1{_STOP} \2"),  # "U.S. They ..." ends one
        (_LETTER + "[.]" + _LETTER + "[.]" + _LETTER + "[.]", rf"\1{_DOT}\2{_DOT}\3{_DOT}"),
        (_LETTER + "[.]" + _LETTER + "[.]", rf"\1{_DOT}\2{_DOT}"),  # "e.g."
        (" " + _COMPANY + "[.] " + _OPENERS, rf" \1{_STOP} \2"),  # "Ltd. They ..." ends one
        (" " + _COMPANY + "[.]", rf" \1{_DOT}"),
        (" " + _LETTER + "[.]", rf" \1{_DOT}"),
    )
)
_ELLIPSIS = re.compile(r"\.{2,}")
# A closing quote after the end mark moves before it, so the quote stays in its sentence.
_QUOTE_SWAPS = ((".\u201d", "\u201d."), ('."', '".'), ('!"', '"!'), ('?"', '"?'))


def split_sentences(text: str) -> list[str]:
    """Sentences as open-instruct's rule-based splitter finds them, each stripped.

    Line breaks count as spaces; a sentence ends after every ".", "?" and "!" that no rule
    protects. Only a trailing empty piece is dropped, so "Hi!!" gives ["Hi!", "!"] and
    an empty text gives [].
    """
    text = f" {text}  ".replace("\n", " ")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    text = _ELLIPSIS.sub(lambda dots: _DOT * len(dots.group(0)) + _STOP, text)
    text = text.replace("Ph.D.", f"Ph{_DOT}D{_DOT}")
    for pattern, replacement in _LATER_RULES:
        text = pattern.sub(replacement, text)
    for before, after in _QUOTE_SWAPS:
        text = text.replace(before, after)
    for mark in ".?!":
        text = text.replace(mark, mark + _STOP)
    pieces = [piece.strip() for piece in text.replace(_DOT, ".").split(_STOP)]
    if pieces and not pieces[-1]:
        pieces.pop()
    return pieces


_WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")
_TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")


def word_list(text: str) -> list[str]:
    """The words a reader counts: "don't" and "well-known" are one each; no punctuation."""
    return _WORD.findall(text)


def tokens(text: str) -> list[str]:
    """Words plus every other non-space character as a token of its own."""
    return _TOKEN.findall(text)


def is_word(token: str) -> bool:
    return bool(_WORD.fullmatch(token))


def bare(word: str) -> str:
    """A word without its punctuation, lower-cased: how first and last words compare."""
    return re.sub(r"[^\w\s]", "", word).lower()


def bare_word(word: str) -> str:
    """A first or last word given as a parameter, compared as `bare` compares a response's:
    one without a letter or digit ("```") would match any run of punctuation, so it is
    refused as malformed."""
    target = bare(word)
    if not target.strip():
        raise ValueError(f"{word!r} has no letter or digit to compare")
    return target


def keyword_count(keyword: str, text: str) -> int:
    """How often `keyword` occurs as a whole word (or phrase), ignoring case."""
    if not keyword.strip():
        raise ValueError("the keyword is empty")
    pattern = r"(?<!\w)" + re.escape(keyword.strip()) + r"(?!\w)"
    return len(re.findall(pattern, text, flags=re.IGNORECASE))
