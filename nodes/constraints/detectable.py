"""Detectable content and format: postscript, placeholders, bullets, title, fixed answer
options, highlighted sections, numbered sections.

Checks have IFEval's semantics, which are looser than their sentences read:

- `postscript`: the marker occurs anywhere (IFEval searches every line, not only the
  last), case-insensitively; "P.S." also matches "p.s." and "P. S."; "P.P.S" also
  "P. P. S". decif escapes any other marker (IFEval uses it as a regular expression).
- `number_placeholders`: at least `num_placeholders` `[...]` spans on one line ("[]" too).
- `number_bullet_lists`: exactly `num_bullets` lines that start (after spaces) with "*"
  not followed by another "*", or with "-" (so a "---" rule counts as a bullet).
- `title`: some `<<...>>` on one line with non-blank text inside.
- `constrained_response`: the response contains one of IFEval's three answers ("My answer
  is yes.", "My answer is no.", "My answer is maybe."); no kwargs, as in IFEval.
- `number_highlighted_sections`: at least `num_highlights` spans `*text*` plus `**text**`
  with non-blank text on one line (if-verifiable's version, which counts bold too).
- `multiple_sections`: the response split on "<splitter> <number>" (case-sensitive) gives
  at least `num_sections` sections after the first split point. decif escapes the
  splitter (IFEval uses it as a regular expression).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.ids import all_but

POSTSCRIPT_MARKERS = ("P.S.", "P.P.S", "Note:", "Addendum:", "Afterthought:")
SECTION_SPLITTERS = ("Section", "SECTION", "Part", "PART", "Chapter")
# IFEval's fixed answers: IFEval's data gives no options, its checker knows these three.
ANSWER_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

_PLACEHOLDER = re.compile(r"\[.*?\]")
_STAR_BULLET = re.compile(r"^\s*\*[^\*].*$", flags=re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*-.*$", flags=re.MULTILINE)
_TITLE = re.compile(r"<<[^\n]+>>")
_ITALIC = re.compile(r"\*[^\n\*]*\*")
_BOLD = re.compile(r"\*\*[^\n\*]*\*\*")


# -- detectable_content:postscript --------------------------------------------------------


def postscript_pattern(marker: str) -> re.Pattern[str]:
    if marker == "P.P.S":
        return re.compile(r"\s*p\.\s?p\.\s?s.*$", flags=re.MULTILINE)
    if marker == "P.S.":
        return re.compile(r"\s*p\.\s?s\..*$", flags=re.MULTILINE)
    return re.compile(r"\s*" + re.escape(marker.lower()) + r".*$", flags=re.MULTILINE)


def check_postscript(response: str, kw: Kwargs) -> bool:
    marker = str(kw["postscript_marker"]).strip()
    return postscript_pattern(marker).search(response.lower()) is not None


def state_postscript(kw: Kwargs) -> str:
    marker = str(kw["postscript_marker"]).strip()
    return f'At the end of your response, add a postscript that starts with "{marker}".'


# -- detectable_content:number_placeholders -----------------------------------------------


def check_placeholders(response: str, kw: Kwargs) -> bool:
    return len(_PLACEHOLDER.findall(response)) >= int(kw["num_placeholders"])


def state_placeholders(kw: Kwargs) -> str:
    n = kw["num_placeholders"]
    return (
        f"Include at least {n} placeholder{'s' if n != 1 else ''} in square brackets, "
        "such as [name]."
    )


# -- detectable_format:number_bullet_lists ------------------------------------------------


def count_bullets(response: str) -> int:
    return len(_STAR_BULLET.findall(response)) + len(_DASH_BULLET.findall(response))


def state_bullets(kw: Kwargs) -> str:
    return (
        f"Your answer must contain exactly {kw['num_bullets']} bullet points, each a markdown "
        'list item starting with "* ".'
    )


# -- detectable_format:title --------------------------------------------------------------


def check_title(response: str, kw: Kwargs) -> bool:
    return any(title.lstrip("<").rstrip(">").strip() for title in _TITLE.findall(response))


# -- detectable_format:number_highlighted_sections ----------------------------------------


def count_highlights(response: str) -> int:
    italic = sum(1 for span in _ITALIC.findall(response) if span.strip("*").strip())
    bold = sum(1 for span in _BOLD.findall(response) if span[2:-2].strip())
    return italic + bold


def state_highlights(kw: Kwargs) -> str:
    return (
        f"Highlight at least {kw['num_highlights']} sections of your answer with markdown, "
        "like *highlighted section*."
    )


# -- detectable_format:multiple_sections --------------------------------------------------


def check_sections(response: str, kw: Kwargs) -> bool:
    splitter = re.escape(str(kw["section_spliter"]).strip())
    sections = re.split(rf"\s?{splitter}\s?\d+\s?", response)
    return len(sections) - 1 >= int(kw["num_sections"])


def state_sections(kw: Kwargs) -> str:
    splitter = str(kw["section_spliter"]).strip()
    return (
        f"Your response must have {kw['num_sections']} sections. Begin each section with "
        f'"{splitter} X", where X is its number: "{splitter} 1", "{splitter} 2" and so on.'
    )


def count_between(key: str, low: int, high: int) -> Callable[[random.Random, DrawContext], Kwargs]:
    """A draw of one count, uniform in low..high."""

    def draw(rng: random.Random, context: DrawContext) -> Kwargs:
        return {key: rng.randint(low, high)}

    return draw


def draw_sections(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"section_spliter": rng.choice(SECTION_SPLITTERS), "num_sections": rng.randint(2, 5)}


register(
    ConstraintType(
        id="detectable_content:postscript",
        name="postscript",
        source="ifeval",
        description="end with a postscript starting with a given marker",
        draw=lambda rng, context: {"postscript_marker": rng.choice(POSTSCRIPT_MARKERS)},
        state=state_postscript,
        check=check_postscript,
    ),
    ConstraintType(
        id="detectable_content:number_placeholders",
        name="placeholders",
        source="ifeval",
        description="at least a number of [square-bracket] placeholders",
        draw=count_between("num_placeholders", 1, 4),
        state=state_placeholders,
        check=check_placeholders,
    ),
    ConstraintType(
        id="detectable_format:number_bullet_lists",
        name="number_bullets",
        source="ifeval",
        description="exactly a number of markdown bullet points",
        draw=count_between("num_bullets", 2, 6),
        state=state_bullets,
        check=lambda response, kw: count_bullets(response) == int(kw["num_bullets"]),
    ),
    ConstraintType(
        id="detectable_format:title",
        name="title",
        source="ifeval",
        description="a title in double angular brackets",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Give your answer a title wrapped in double angular brackets, such as <<a day out>>."
        ),
        check=check_title,
    ),
    ConstraintType(
        id="detectable_format:constrained_response",
        name="choose_from_options",
        source="ifeval",
        description="answer with one of fixed options",
        draw=lambda rng, context: {},
        state=lambda kw: (
            "Answer with exactly one of these options: "
            + ", ".join(f'"{o}"' for o in ANSWER_OPTIONS)
        ),
        check=lambda response, kw: any(option in response for option in ANSWER_OPTIONS),
        # open-instruct: conflicts with every code-checked type.
        conflicts=all_but(),
    ),
    ConstraintType(
        id="detectable_format:number_highlighted_sections",
        name="highlighted_sections",
        source="ifeval",
        description="at least a number of *highlighted* sections",
        draw=count_between("num_highlights", 1, 4),
        state=state_highlights,
        check=lambda response, kw: count_highlights(response) >= int(kw["num_highlights"]),
    ),
    ConstraintType(
        id="detectable_format:multiple_sections",
        name="multiple_sections",
        source="ifeval",
        description="a number of sections, each marked with a splitter word and its number",
        draw=draw_sections,
        state=state_sections,
        check=check_sections,
        conflicts=frozenset({"detectable_format:number_highlighted_sections"}),
    ),
)
