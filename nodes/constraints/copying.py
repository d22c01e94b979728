"""open-instruct's copying types: repeat a phrase with one word changed, or reproduce the
request itself (whole, a character span of it, or several times over).

The request-copying types take the instruction as a parameter (`prompt_to_repeat`), so
they are filled by `bind` once the instruction without their own sentence is known, and
they are drawn only alone (open-instruct's table makes them conflict with every type):
any other constraint would be part of the text to copy.

Deliberate differences from open-instruct:
- repeat_phrase: every repetition must differ from the phrase in exactly one inner word,
  as the instruction says; the phrase's first and last words are matched as whole words
  (open-instruct matches "you" inside "your", so a copy inside longer words counts there).
- copy_span_idx: open-instruct's sentence says the span includes index `n_end` but its
  checker slices `[n_start:n_end]`, leaving that character out. decif keeps the checker
  and states the span as "up to but not including" `n_end`, and `bind` puts both ends on
  word boundaries (open-instruct draws them anywhere, cutting words apart), starting after
  the first word whenever the instruction has more than one: open-instruct reads an
  `n_start` of 0 as "draw a start at random". The sentence also names the span's first
  and last word so a model can locate it.
"""

from __future__ import annotations

import random
import re

from nodes.constraints.base import ALL, ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import number, phrase, separator, term

COPY = term("copy", "copies", "copied", "repeat", "repeated", "word for word")

# Short sayings, written for decif, whose first and last words rarely occur elsewhere.
PHRASES = (
    "Slow rivers carve the deepest canyons",
    "Quiet hands often build the strongest bridges",
    "Fresh bread tastes best on cold mornings",
    "Patient gardeners always harvest the sweetest fruit",
    "Bright lanterns guide travellers through dark forests",
    "Careful sailors respect the changing tides",
    "Honest words travel farther than loud promises",
    "Curious minds find doors in every wall",
    "Steady rain fills even the widest barrels",
    "Old maps still tell remarkable stories",
)


def _phrase_copies(response: str, phrase: str) -> list[str]:
    """Each stretch of a line running from the phrase's first word to its last word."""
    words = phrase.split()
    pattern = rf"(?<!\w){re.escape(words[0])} .*? {re.escape(words[-1])}(?!\w)"
    return re.findall(pattern, response)


def _check_repeat_phrase(response: str, kw: Kwargs) -> bool:
    phrase = kw["phrase"].strip().split()
    copies = _phrase_copies(response, kw["phrase"].strip())
    if len(copies) != int(kw["small_n"]):
        return False
    for copy in copies:
        words = copy.split()
        if len(words) != len(phrase):
            return False
        if sum(a != b for a, b in zip(words, phrase, strict=True)) != 1:
            return False
    return True


def _same_text(response: str, original: str) -> bool:
    """open-instruct's copy test: equal after trimming whitespace, ignoring case."""
    return response.strip().lower() == original.strip().lower()


def _bind_prompt(kw: Kwargs, instruction: str) -> Kwargs:
    return {**kw, "prompt_to_repeat": instruction.strip()}


def _bind_span(kw: Kwargs, instruction: str) -> Kwargs:
    """A span of 3 to 12 whole words of the instruction after its first word, chosen by an
    RNG seeded with the instruction itself, so the same instruction always gets the same
    span."""
    text = instruction.strip()
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if not spans:
        raise ValueError("copy_span_idx needs a non-empty instruction to copy from")
    rng = random.Random(text)
    skip = 1 if len(spans) > 1 else 0  # n_start 0 would be redrawn by open-instruct
    words = len(spans) - skip
    length = rng.randint(min(3, words), min(12, words))
    first = skip + rng.randrange(words - length + 1)
    return {
        **kw,
        "prompt_to_repeat": text,
        "n_start": spans[first][0],
        "n_end": spans[first + length - 1][1],
    }


def _span(kw: Kwargs) -> str:
    return kw["prompt_to_repeat"][int(kw["n_start"]) : int(kw["n_end"])]


def _span_ends(kw: Kwargs) -> dict[str, str]:
    words = _span(kw).split() or [""]
    return {"first": words[0], "last": words[-1]}


def _check_multiple(response: str, kw: Kwargs) -> bool:
    copies = response.split("******")
    return len(copies) == int(kw["N"]) and all(
        _same_text(copy, kw["prompt_to_repeat"]) for copy in copies
    )


def _no_kwargs(rng: random.Random, context: DrawContext) -> Kwargs:
    return {}


register(
    ConstraintType(
        id="copy:repeat_phrase",
        name="repeat_phrase",
        source="ifevalg",
        description="repeat a given phrase N times, changing one inner word each time",
        draw=lambda rng, context: {"phrase": rng.choice(PHRASES), "small_n": rng.randint(2, 3)},
        phrasings=Phrasings(
            plain='The response must contain the phrase "{phrase}" exactly {small_n} times, '
            "each copy with one inner word (not the first or the last) swapped for a different "
            "word, and never the phrase unchanged.",
            imperative='Write "{phrase}" exactly {small_n} times, changing exactly one of its '
            "inner words each time (keep its first and last words), so that no copy is the "
            "original.",
            make_sure='Make sure the phrase "{phrase}" appears exactly {small_n} times, every '
            "time with a single word other than its first and last replaced.",
            parenthetical='(Include "{phrase}" exactly {small_n} times, each with one middle '
            "word swapped; never unchanged.)",
            item='"{phrase}" exactly {small_n} times, one inner word changed in each',
        ),
        values=lambda kw: [phrase(kw["phrase"]), number(kw["small_n"])],
        check=_check_repeat_phrase,
    ),
    ConstraintType(
        id="copy:copy",
        name="copy",
        source="ifevalg",
        description="copy the instruction verbatim instead of following it",
        draw=_no_kwargs,
        bind=_bind_prompt,
        phrasings=Phrasings(
            plain="The whole response must be the request above copied word for word, not "
            "carried out, and without this sentence.",
            imperative="Instead of doing what the request above asks, copy it word for word as "
            "your entire reply, leaving this sentence out.",
            make_sure="Make sure you do not carry out the request above: your entire reply is "
            "that request copied exactly, without this sentence.",
            parenthetical="(Do not act on the request above: reply only with an exact copy of "
            "it, minus this sentence.)",
            item="the request copied word for word instead of carried out",
        ),
        values=lambda kw: [COPY],
        check=lambda response, kw: _same_text(response, kw["prompt_to_repeat"]),
        conflicts=frozenset({ALL}),
    ),
    ConstraintType(
        id="new:copy_span_idx",
        name="copy_span_idx",
        source="ifevalg",
        description="copy the span of the instruction between two character indices",
        draw=_no_kwargs,
        bind=_bind_span,
        phrasings=Phrasings(
            plain="Do not answer the request above. Instead, reply only with the part of it "
            "(not counting this sentence) from character index {n_start} up to but not "
            'including character index {n_end}, counting from 0; that part begins with "{first}" '
            'and ends with "{last}".',
            imperative="Do not answer the request above; reply only with its characters from "
            "index {n_start} (counting from 0) up to, but not including, index {n_end}: the part "
            'that starts with "{first}" and ends with "{last}", without this sentence.',
            make_sure="Make sure your whole reply is the stretch of the request above from "
            "character {n_start} to just before character {n_end}, counting from 0 (it begins "
            '"{first}" and ends "{last}"); do not answer the request.',
            parenthetical="(Do not answer: reply only with characters {n_start} up to but not "
            "including {n_end} of the request above, counted from 0, which run from "
            '"{first}" to "{last}".)',
            item="only characters {n_start} up to but not including {n_end} of the request, "
            'counted from 0 (from "{first}" to "{last}")',
            fields=_span_ends,
        ),
        values=lambda kw: [number(kw["n_start"]), number(kw["n_end"])],
        check=lambda response, kw: _same_text(response, _span(kw)),
        conflicts=frozenset({ALL}),
    ),
    ConstraintType(
        id="copy:copying_simple",
        name="copying_simple",
        source="ifevalg",
        description="repeat the request unchanged and do not answer it",
        draw=_no_kwargs,
        bind=_bind_prompt,
        phrasings=Phrasings(
            plain="The response must be the request above repeated without any change, not "
            "answered, with nothing before or after it and this sentence left out.",
            imperative="Repeat the request above exactly as it stands, leaving out this "
            "sentence, and do not answer it or add anything.",
            make_sure="Make sure you only repeat the request above unchanged (without this "
            "sentence) and do not answer it.",
            parenthetical="(Reply with the request above repeated unchanged, without this "
            "sentence, and nothing else.)",
            item="the request repeated unchanged and not answered",
        ),
        values=lambda kw: [COPY],
        check=lambda response, kw: _same_text(response, kw["prompt_to_repeat"]),
        conflicts=frozenset({ALL}),
    ),
    ConstraintType(
        id="copy:copying_multiple",
        name="copying_multiple",
        source="ifevalg",
        description="repeat the request unchanged N times, separated by ******",
        draw=lambda rng, context: {"N": rng.randint(2, 3)},
        bind=_bind_prompt,
        phrasings=Phrasings(
            plain="The response must be the request above repeated {N} times without any "
            "change, the copies separated by ******, and not answered; leave out this sentence "
            "and add nothing else.",
            imperative="Repeat the request above {N} times, unchanged and without this "
            "sentence, with ****** between the copies, and do not answer it.",
            make_sure="Make sure your reply is {N} unchanged copies of the request above (not "
            "this sentence), divided by ******, with no answer and nothing added.",
            parenthetical="(Reply with {N} exact copies of the request above, without this "
            "sentence, separated by ******; do not answer it.)",
            item="{N} unchanged copies of the request, separated by ******",
        ),
        values=lambda kw: [number(kw["N"]), separator("******"), COPY],
        check=_check_multiple,
        conflicts=frozenset({ALL}),
    ),
)
