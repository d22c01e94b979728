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

Placeholders, bullets and titles are counted by `scanning.py`, which finds IFEval's
matches in linear time (its patterns are quadratic on some texts).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.ids import all_but
from nodes.constraints.phrasing import Phrasings, listing, plural
from nodes.constraints.scanning import (
    count_line_items,
    count_placeholders,
    dash_bullet_end,
    star_bullet_end,
    titles,
)
from nodes.constraints.values import ANGLE_BRACKETS, marker, number, phrase, term

POSTSCRIPT_MARKERS = ("P.S.", "P.P.S", "Note:", "Addendum:", "Afterthought:")
SECTION_SPLITTERS = ("Section", "SECTION", "Part", "PART", "Chapter")
# IFEval's fixed answers: IFEval's data gives no options, its checker knows these three.
ANSWER_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


_ITALIC = re.compile(r"\*[^\n\*]*\*")
_BOLD = re.compile(r"\*\*[^\n\*]*\*\*")


# -- detectable_content:postscript --------------------------------------------------------


def postscript_pattern(marker: str) -> re.Pattern[str]:
    r"""IFEval's patterns less their leading `\s*` and trailing `.*$` (MULTILINE), which
    any match can do without: searched for, they find a marker exactly where IFEval's do,
    without rescanning every run of blank lines from each of its positions."""
    if marker == "P.P.S":
        return re.compile(r"p\.\s?p\.\s?s")
    if marker == "P.S.":
        return re.compile(r"p\.\s?s\.")
    return re.compile(re.escape(marker.lower()))


def check_postscript(response: str, kw: Kwargs) -> bool:
    marker = str(kw["postscript_marker"]).strip()
    return postscript_pattern(marker).search(response.lower()) is not None


# -- detectable_content:number_placeholders -----------------------------------------------


def check_placeholders(response: str, kw: Kwargs) -> bool:
    return count_placeholders(response) >= int(kw["num_placeholders"])


# -- detectable_format:number_bullet_lists ------------------------------------------------


def count_bullets(response: str) -> int:
    return count_line_items(response, star_bullet_end) + count_line_items(response, dash_bullet_end)


# -- detectable_format:title --------------------------------------------------------------


def check_title(response: str, kw: Kwargs) -> bool:
    return any(title.lstrip("<").rstrip(">").strip() for title in titles(response))


# -- detectable_format:number_highlighted_sections ----------------------------------------


def count_highlights(response: str) -> int:
    italic = sum(1 for span in _ITALIC.findall(response) if span.strip("*").strip())
    bold = sum(1 for span in _BOLD.findall(response) if span[2:-2].strip())
    return italic + bold


# -- detectable_format:multiple_sections --------------------------------------------------


def check_sections(response: str, kw: Kwargs) -> bool:
    splitter = re.escape(str(kw["section_spliter"]).strip())
    sections = re.split(rf"\s?{splitter}\s?\d+\s?", response)
    return len(sections) - 1 >= int(kw["num_sections"])


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
        phrasings=Phrasings(
            plain='The response must end with a postscript beginning with "{postscript_marker}".',
            imperative='Finish with a postscript that opens with "{postscript_marker}".',
            make_sure='Make sure to close with a postscript starting "{postscript_marker}".',
            parenthetical='(Add a postscript at the end, starting with "{postscript_marker}".)',
            item='a closing postscript that starts with "{postscript_marker}"',
        ),
        values=lambda kw: [marker(kw["postscript_marker"], case_sensitive=False)],
        check=check_postscript,
    ),
    ConstraintType(
        id="detectable_content:number_placeholders",
        name="placeholders",
        source="ifeval",
        description="at least a number of [square-bracket] placeholders",
        draw=count_between("num_placeholders", 1, 4),
        phrasings=Phrasings(
            plain="The response must include at least {num_placeholders} {noun} in square "
            "brackets, like [name].",
            imperative="Leave at least {num_placeholders} square-bracket {noun} in the text, "
            "such as [date].",
            make_sure="Make sure the text has at least {num_placeholders} {noun} written in "
            "square brackets, for example [city].",
            parenthetical="(Include {num_placeholders} or more {noun} in square brackets, "
            "e.g. [name].)",
            item="at least {num_placeholders} {noun} in square brackets, like [name]",
            fields=lambda kw: {"noun": plural(int(kw["num_placeholders"]), "placeholder")},
        ),
        values=lambda kw: [
            number(kw["num_placeholders"]),
            term("square brackets", "square bracket", "square-bracket", "brackets"),
        ],
        check=check_placeholders,
    ),
    ConstraintType(
        id="detectable_format:number_bullet_lists",
        name="number_bullets",
        source="ifeval",
        description="exactly a number of markdown bullet points",
        draw=count_between("num_bullets", 2, 6),
        phrasings=Phrasings(
            plain="The response must contain exactly {num_bullets} bullet points, each a "
            'markdown list item beginning with "* ".',
            imperative="Give exactly {num_bullets} markdown bullet points, each starting with "
            '"* ".',
            make_sure="Make sure there are exactly {num_bullets} bullet points (markdown items "
            'that start with "* ") and no other list items.',
            parenthetical='(Exactly {num_bullets} bullet points, each starting with "* ".)',
            item='exactly {num_bullets} markdown bullet points starting with "* "',
        ),
        values=lambda kw: [
            number(kw["num_bullets"]),
            term("bullet", "bullets", "bullet point", "bullet points", "list items"),
        ],
        check=lambda response, kw: count_bullets(response) == int(kw["num_bullets"]),
    ),
    ConstraintType(
        id="detectable_format:title",
        name="title",
        source="ifeval",
        description="a title in double angular brackets",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must have a title in double angular brackets, such as "
            "<<a day out>>.",
            imperative="Put a title at the top, wrapped in double angular brackets like "
            "<<notes for Monday>>.",
            make_sure="Make sure the answer carries a title inside double angular brackets, as "
            "in <<a quick guide>>.",
            parenthetical="(Title it in double angular brackets, e.g. <<my title>>.)",
            item="a title in double angular brackets, like <<a short title>>",
        ),
        values=lambda kw: [ANGLE_BRACKETS],
        check=check_title,
    ),
    ConstraintType(
        id="detectable_format:constrained_response",
        name="choose_from_options",
        source="ifeval",
        description="answer with one of fixed options",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The response must be exactly one of these options: {options}.",
            imperative="Reply with just one of these: {options}.",
            make_sure="Make sure you answer with one of {options}",
            parenthetical="(Choose one reply: {options})",
            item="one of the options {options}",
            fields=lambda kw: {"options": listing(ANSWER_OPTIONS, "or")},
        ),
        values=lambda kw: [phrase(o, case_sensitive=True) for o in ANSWER_OPTIONS],
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
        phrasings=Phrasings(
            plain="The response must highlight at least {num_highlights} {noun} with markdown, "
            "such as *highlighted section*.",
            imperative="Mark at least {num_highlights} {noun} in markdown italics or bold, like "
            "*this part*.",
            make_sure="Make sure at least {num_highlights} {noun} of the text {verb} "
            "highlighted with markdown asterisks, as in *key idea*.",
            parenthetical="(Highlight {num_highlights} or more {noun} in markdown, like *this*.)",
            item="at least {num_highlights} markdown-highlighted {noun}, like *this one*",
            fields=lambda kw: {
                "noun": plural(int(kw["num_highlights"]), "part"),
                "verb": plural(int(kw["num_highlights"]), "is", "are"),
            },
        ),
        values=lambda kw: [
            number(kw["num_highlights"]),
            term("highlight", "highlighted", "highlights", "italics", "bold"),
        ],
        check=lambda response, kw: count_highlights(response) >= int(kw["num_highlights"]),
    ),
    ConstraintType(
        id="detectable_format:multiple_sections",
        name="multiple_sections",
        source="ifeval",
        description="a number of sections, each marked with a splitter word and its number",
        draw=draw_sections,
        phrasings=Phrasings(
            plain="The response must be split into {num_sections} sections, each beginning "
            'with "{section_spliter} X", where X is its number ("{section_spliter} 1", '
            '"{section_spliter} 2" and so on).',
            imperative="Divide the answer into {num_sections} sections and head each with "
            '"{section_spliter}" and its number, such as "{section_spliter} 1".',
            make_sure="Make sure there are {num_sections} sections, labelled "
            '"{section_spliter} 1", "{section_spliter} 2" and so on.',
            parenthetical='({num_sections} sections, each opening with "{section_spliter}" and '
            'its number, e.g. "{section_spliter} 1".)',
            item='{num_sections} sections headed "{section_spliter} 1", "{section_spliter} 2" '
            "and so on",
        ),
        values=lambda kw: [number(kw["num_sections"]), marker(kw["section_spliter"])],
        check=check_sections,
        conflicts=frozenset({"detectable_format:number_highlighted_sections"}),
    ),
)
