"""How decif states a constraint when it appends it: several phrasings per type, filled
with the constraint's exact values.

Each type declares one template per style - a plain requirement, an imperative, a "make
sure" clause, a parenthetical, and a fragment for a requirements list - and the sample's
seeded RNG picks one, and picks how the values are spelled where two spellings mean the
same (3 or "three"; "less than" or "fewer than"). A relation is never stated with words
that change its meaning: IFEval's "less than 120" is strict, so no template says "at most"
or "up to".

Templates are `str.format` strings. Their fields are the constraint's kwargs (numbers,
relations and word lists get their spellings here) plus any the type derives itself
(a language's name, an ordinal). `templates()` and `fixed_text()` give the text decif
itself puts into instructions, for telling decif's own sentences from leaked evaluation
prompts.
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from nodes.constraints.values import number_words, ordinal_word

Style = Literal["plain", "imperative", "make_sure", "parenthetical", "item"]
STYLES: tuple[Style, ...] = get_args(Style)
# A field's spellings: one string, or equivalent ones the RNG chooses between.
Field = str | tuple[str, ...]

RELATION_KEYS = frozenset({"relation", "let_relation", "capital_relation"})
# IFEval's two relations, each with the words that mean exactly it.
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "less than": ("less than", "fewer than"),
    "at least": ("at least", "no fewer than"),
}
# Words that would change a relation's meaning ("at most 120" allows 120 words).
WRONG_RELATION_WORDS = ("at most", "no more than", "up to", "or fewer", "or less", "maximum")
MAX_SPELLED = 12  # numbers up to this may be written as words


def number_forms(n: int) -> Field:
    return (str(n), number_words(n)[0]) if 0 <= n <= MAX_SPELLED else str(n)


def ordinal_forms(n: int) -> Field:
    """4th or fourth."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    word = ordinal_word(n)
    return (f"{n}{suffix}", word) if word else f"{n}{suffix}"


def relation_forms(relation: str) -> Field:
    if relation not in RELATION_WORDS:
        raise ValueError(f"relation must be one of {sorted(RELATION_WORDS)}, not {relation!r}")
    return RELATION_WORDS[relation]


def listing(items: Sequence[str], conjunction: str = "and") -> str:
    """Quoted and joined: "a"; "a" and "b"; "a", "b" and "c"."""
    quoted = [f'"{item}"' for item in items]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + f" {conjunction} {quoted[-1]}"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return noun if count == 1 else (nouns or f"{noun}s")


def kwarg_fields(kwargs: dict[str, Any]) -> dict[str, Field]:
    """Every kwarg as a field: numbers and relations with their spellings, lists quoted."""
    out: dict[str, Field] = {}
    for key, value in kwargs.items():
        if key in RELATION_KEYS:
            out[key] = relation_forms(str(value))
        elif isinstance(value, bool):
            out[key] = str(value)
        elif isinstance(value, int):
            out[key] = number_forms(value)
        elif isinstance(value, list | tuple):
            out[key] = listing([str(v) for v in value])
        else:
            out[key] = str(value).strip()
    return out


@dataclass(frozen=True)
class Phrasings:
    """One template per style. `fields` derives the fields a type needs beyond its kwargs;
    a list item is a fragment ("fewer than 120 words"), the others whole sentences."""

    plain: str
    imperative: str
    make_sure: str
    parenthetical: str
    item: str
    fields: Callable[[dict[str, Any]], Mapping[str, Field]] | None = None

    def template(self, style: Style) -> str:
        return getattr(self, style)

    def templates(self) -> dict[Style, str]:
        return {style: self.template(style) for style in STYLES}

    def all_fields(self, kwargs: dict[str, Any]) -> dict[str, Field]:
        derived = self.fields(kwargs) if self.fields else {}
        return kwarg_fields(kwargs) | dict(derived)

    def render(self, kwargs: dict[str, Any], style: Style, rng: random.Random | None = None) -> str:
        """The statement in this style, each field spelled as the RNG picks (without one,
        its first spelling: digits, "less than")."""
        chosen = {
            k: (rng.choice(v) if rng else v[0]) if isinstance(v, tuple) else v
            for k, v in self.all_fields(kwargs).items()
        }
        return self.template(style).format_map(chosen)

    def renderings(self, kwargs: dict[str, Any]) -> list[str]:
        """Every statement decif may append for these kwargs: each style, each spelling."""
        every = self.all_fields(kwargs)
        names = [k for k, v in every.items() if isinstance(v, tuple)]
        out = []
        for style in STYLES:
            used = [n for n in names if "{" + n in self.template(style)]
            for combo in itertools.product(*(every[n] for n in used)):
                spelled = every | dict(zip(used, combo, strict=True))
                out.append(self.template(style).format_map(spelled))
        return list(dict.fromkeys(out))


def fixed_text(template: str) -> list[str]:
    """A template's own words: the literal runs between its fields."""
    return [text for text, *_ in string.Formatter().parse(template) if text.strip()]
