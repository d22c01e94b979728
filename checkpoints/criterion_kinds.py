"""What a criterion asks about: content, format or style - the kinds the judge's
agreement with reviewers is broken down by.

Decompose writes free-form yes/no questions and says nothing of their kind, so the kind is
read from the question's words: a question about layout, length or mechanics (bullets,
paragraphs, sections, titles, JSON, word or sentence counts, capitals, punctuation, how
the response starts or ends) is `format`; one about tone, register or the reader (formal,
friendly, concise, persuasive, audience, voice) is `style`; anything else - what the
response says, its facts and logic - is `content`. Format wins over style, style over
content. Deterministic and the same for every run, so figures compare across runs and
models; a question about both ("Is the title written in a formal tone?") counts as the
first kind it matches. The constraints only the LLM can judge are not classified here:
their kind is their type (`llm_judged:style_tone`, ...), known from the constraint.
"""

from __future__ import annotations

import re

KINDS = ("content", "format", "style")

_FORMAT = (
    r"bullet\w*",
    r"paragraph\w*",
    r"section\w*",
    r"heading\w*",
    r"headers?",
    r"titles?",
    r"json",
    r"xml",
    r"html",
    r"markdown",
    r"latex",
    r"tables?",
    r"lists?",
    r"numbered",
    r"format\w*",
    r"structured?",
    r"words?",
    r"sentences?",
    r"lines?",
    r"characters?",
    r"letters?",
    r"length",
    r"long",
    r"short",
    r"at (?:least|most)",
    r"fewer",
    r"capital\w*",
    r"upper ?case",
    r"lower ?case",
    r"commas?",
    r"punctuation",
    r"quotation",
    r"quotes?",
    r"placeholders?",
    r"postscript",
    r"p\.s\.",
    r"highlight\w*",
    r"bold",
    r"italic\w*",
    r"starts? with",
    r"ends? with",
    r"begins? with",
    r"separat\w*",
    r"wrapped",
)
_STYLE = (
    r"tone",
    r"style",
    r"formal",
    r"informal",
    r"friendly",
    r"polite",
    r"professional",
    r"casual",
    r"concise\w*",
    r"clear(?:ly)?",
    r"simple language",
    r"jargon",
    r"voice",
    r"persuasive\w*",
    r"humou?r\w*",
    r"warm\w*",
    r"engaging",
    r"empath\w*",
    r"respectful\w*",
    r"encouraging",
    r"enthusias\w*",
    r"audience",
    r"readers?",
    r"register",
    r"in character",
    r"role of",
)


def _words(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


_FORMAT_RE, _STYLE_RE = _words(_FORMAT), _words(_STYLE)


def criterion_kind(question: str) -> str:
    """`format`, `style` or `content` (see the module doc for the rule)."""
    if _FORMAT_RE.search(question):
        return "format"
    if _STYLE_RE.search(question):
        return "style"
    return "content"
