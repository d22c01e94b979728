"""The literal values a checker depends on, and whether an instruction states them.

A constraint is only worth checking if the instruction asks for exactly what the checker
tests. When a model writes the constraints into a request in its own words, decif checks
in code that every value its checker reads is in the text: a number (as digits or as a
word), a keyword or phrase verbatim, a letter, a language name, a separator, a format,
a marker. Types without parameters declare the term that names what they ask for
("comma", "capital letters"), so a request that never mentions it is caught too.

This is a necessary check, not a sufficient one: "at most 120 words" holds the value 120
but not IFEval's "less than 120". The LLM's yes/no question per constraint (asked in the
consistency step) pins the meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ValueKind = Literal[
    "number", "keyword", "phrase", "letter", "language", "separator", "format", "marker", "term"
]

_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORDINALS = (
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth",
)  # fmt: skip


def ordinal_word(n: int) -> str | None:
    """ "fourth" for 4, up to twelfth; None beyond."""
    return _ORDINALS[n] if 0 <= n < len(_ORDINALS) else None


def number_words(n: int) -> tuple[str, ...]:
    """English words for 0..999, with and without "and" after the hundreds ("one hundred
    twenty", "one hundred and twenty"); () for other numbers."""
    if not 0 <= n < 1000:
        return ()
    if n < 20:
        return (_UNITS[n],)
    if n < 100:
        tens, unit = divmod(n, 10)
        return (_TENS[tens - 2] + (f" {_UNITS[unit]}" if unit else ""),)
    hundreds, rest = divmod(n, 100)
    head = f"{_UNITS[hundreds]} hundred"
    if not rest:
        return (head,)
    tail = number_words(rest)[0]
    return (f"{head} {tail}", f"{head} and {tail}")


def _squash(text: str) -> str:
    """Lower case, hyphens and runs of spaces as one space: "Twenty-Five" = "twenty five"."""
    return re.sub(r"[\s\-\u2010-\u2013]+", " ", text.lower())


@dataclass(frozen=True)
class Value:
    """One value a checker depends on, with the spellings that count as stating it."""

    kind: ValueKind
    text: str  # as the constraint holds it: "120", "garden", "Dutch", "******"
    forms: tuple[str, ...]  # spellings that state it; `text` is the first
    case_sensitive: bool = False  # the checker compares case (a start phrase, "SECTION")

    def found(self, instruction: str) -> bool:
        """Whether the instruction states this value in one of its forms, as a whole
        token (120 is not found in 1200, "art" not in "start")."""
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if self.kind == "number":
            digits = re.search(rf"(?<![\w.]){re.escape(self.text)}(?!\d)", instruction)
            squashed = _squash(instruction)
            return bool(digits) or any(
                re.search(rf"\b{re.escape(_squash(f))}\b", squashed) for f in self.forms[1:]
            )
        text = re.sub(r"\s+", " ", instruction)
        return any(re.search(_bounded(form), text, flags) for form in self.forms)


def _bounded(form: str) -> str:
    """A pattern for `form` as a whole token: not inside a longer word, and not inside a
    longer run of its first or last mark ("***" is not found in "******")."""
    pattern = re.escape(re.sub(r"\s+", " ", form)).replace(r"\ ", r"\s+")
    first, last = form[:1], form[-1:]
    before = r"\w" if first.isalnum() else re.escape(first)
    after = r"\w" if last.isalnum() else re.escape(last)
    return rf"(?<!{before}){pattern}(?!{after})"


def number(n: int | str) -> Value:
    n = int(n)
    return Value("number", str(n), (str(n), *number_words(n)))


def ordinal(n: int | str) -> Value:
    """A position: 4, "four", "4th" or "fourth"."""
    n = int(n)
    word = ordinal_word(n)
    return Value("number", str(n), (str(n), *number_words(n), *([word] if word else [])))


def keyword(word: str) -> Value:
    """A word the checker looks for in any case."""
    return Value("keyword", str(word).strip(), (str(word).strip(),))


def phrase(text: str, case_sensitive: bool = False) -> Value:
    return Value("phrase", str(text).strip(), (str(text).strip(),), case_sensitive)


def letter(char: str) -> Value:
    """A letter, quoted ('q', "q") or named ("the letter q"), so the article "a" does not
    count as stating the letter a."""
    c = str(char).strip().lower()
    quotes = [f"{o}{x}{e}" for x in (c, c.upper()) for o, e in ('""', "''", "\u201c\u201d")]
    named = [f"letter {x}" for x in (c, c.upper())]
    return Value("letter", c, (*quotes, *named, f"{c.upper()}s", f"{c}'s"))


def language(name: str) -> Value:
    return Value("language", name, (name,))


def separator(text: str) -> Value:
    return Value("separator", text, (text,), case_sensitive=True)


def marker(text: str, case_sensitive: bool = True) -> Value:
    return Value("marker", str(text).strip(), (str(text).strip(),), case_sensitive)


def fmt(*names: str) -> Value:
    """An output format, by any of its names ("LaTeX", "TeX")."""
    return Value("format", names[0], names)


def term(*names: str) -> Value:
    """What a type without parameters asks for, by any of the words that name it."""
    return Value("term", names[0], names)


# What the title and word-pair types depend on: the brackets, shown or named.
ANGLE_BRACKETS = Value("marker", "<<", ("<<", "double angular brackets", "double angle brackets"))


def missing(values: list[Value], instruction: str) -> list[Value]:
    """The values the instruction does not state."""
    return [v for v in values if not v.found(instruction)]
