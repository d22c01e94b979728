"""The four DecIF constraint types only language can judge: a role to play, a situational
demand to fit, a tone to keep, an audience to address. Their values are drawn in code
like every other type's; the judge is asked one yes/no question about each."""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import phrase

ROLES = (
    "a patient primary-school teacher",
    "a seasoned ship captain",
    "a friendly museum guide",
    "a strict fitness coach",
    "a nineteenth-century detective",
    "an enthusiastic sports commentator",
    "a calm air-traffic controller",
    "a wise village elder",
)
SITUATIONS = (
    "the reader has only two minutes before a meeting",
    "the reader is reading it on a phone while commuting",
    "the reader will print it and pin it to a notice board",
    "the reader must forward it to their manager unchanged",
    "the reader has never heard of the subject before",
    "the reader will read it aloud to a small group",
)
TONES = (
    "formal",
    "warm and encouraging",
    "humorous",
    "calm and reassuring",
    "enthusiastic",
    "neutral and factual",
    "persuasive",
    "nostalgic",
)
AUDIENCES = (
    "ten-year-old children",
    "busy executives",
    "complete beginners",
    "retired people",
    "university students",
    "non-native English speakers",
    "experts in the field",
)


def pick(key: str, values: tuple[str, ...]):
    def draw(rng: random.Random, context: DrawContext) -> Kwargs:
        return {key: rng.choice(values)}

    return draw


def without_article(text: str) -> str:
    """ "a seasoned ship captain" is stated by "as the seasoned ship captain" too."""
    first, _, rest = text.partition(" ")
    return rest if first in ("a", "an", "the") and rest else text


register(
    ConstraintType(
        id="llm_judged:role_based",
        name="role_based",
        source="llm",
        description="answer while playing a given role or character",
        draw=pick("role", ROLES),
        phrasings=Phrasings(
            plain="The answer must be given in the role of {role}, in character throughout.",
            imperative="Answer as {role} would, and stay in character.",
            make_sure="Make sure you speak as {role} from start to finish.",
            parenthetical="(Respond in character as {role}.)",
            item="answered in the role of {role}",
        ),
        values=lambda kw: [phrase(without_article(kw["role"]))],
        question=lambda kw: f"Does the response stay in the role of {kw['role']} throughout?",
    ),
    ConstraintType(
        id="llm_judged:scenario_based",
        name="scenario_based",
        source="llm",
        description="fit the answer to a specific situational demand",
        draw=pick("situation", SITUATIONS),
        phrasings=Phrasings(
            plain="The answer must suit the fact that {situation}.",
            imperative="Keep in mind that {situation}, and shape the answer for it.",
            make_sure="Make sure the answer works given that {situation}.",
            parenthetical="(Bear in mind: {situation}.)",
            item="suited to the fact that {situation}",
        ),
        # No literal value: a situation is stated in the person's own words ("I only have
        # two minutes"); the consistency step's yes/no question checks it.
        values=lambda kw: [],
        question=lambda kw: f"Is the response suited to the fact that {kw['situation']}?",
    ),
    ConstraintType(
        id="llm_judged:style_tone",
        name="style_tone",
        source="llm",
        description="write in a given style, tone or emotion",
        draw=pick("tone", TONES),
        phrasings=Phrasings(
            plain="The response must be written in a {tone} tone.",
            imperative="Use a {tone} tone.",
            make_sure="Make sure the tone stays {tone} throughout.",
            parenthetical="(Tone: {tone}.)",
            item="a {tone} tone",
        ),
        values=lambda kw: [phrase(kw["tone"])],
        question=lambda kw: f"Is the response written in a {kw['tone']} tone throughout?",
    ),
    ConstraintType(
        id="llm_judged:audience",
        name="audience",
        source="llm",
        description="address a given audience",
        draw=pick("audience", AUDIENCES),
        phrasings=Phrasings(
            plain="The response must be written for {audience}.",
            imperative="Pitch it at {audience}.",
            make_sure="Make sure {audience} can follow it easily.",
            parenthetical="(It is meant for {audience}.)",
            item="written for {audience}",
        ),
        values=lambda kw: [phrase(kw["audience"])],
        question=lambda kw: f"Is the response written so that {kw['audience']} can follow it?",
    ),
)
