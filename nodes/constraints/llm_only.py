"""The four DecIF constraint types only language can judge: a role to play, a situational
demand to fit, a tone to keep, an audience to address. Their values are drawn in code
like every other type's; the judge is asked one yes/no question about each."""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register

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


register(
    ConstraintType(
        id="llm_judged:role_based",
        name="role_based",
        source="llm",
        description="answer while playing a given role or character",
        draw=pick("role", ROLES),
        state=lambda kw: f"Answer in the role of {kw['role']}, staying in character throughout.",
        question=lambda kw: f"Does the response stay in the role of {kw['role']} throughout?",
    ),
    ConstraintType(
        id="llm_judged:scenario_based",
        name="scenario_based",
        source="llm",
        description="fit the answer to a specific situational demand",
        draw=pick("situation", SITUATIONS),
        state=lambda kw: f"Keep in mind that {kw['situation']}, and fit your answer to that.",
        question=lambda kw: f"Is the response suited to the fact that {kw['situation']}?",
    ),
    ConstraintType(
        id="llm_judged:style_tone",
        name="style_tone",
        source="llm",
        description="write in a given style, tone or emotion",
        draw=pick("tone", TONES),
        state=lambda kw: f"Write in a {kw['tone']} tone.",
        question=lambda kw: f"Is the response written in a {kw['tone']} tone throughout?",
    ),
    ConstraintType(
        id="llm_judged:audience",
        name="audience",
        source="llm",
        description="address a given audience",
        draw=pick("audience", AUDIENCES),
        state=lambda kw: f"Write it for {kw['audience']}.",
        question=lambda kw: f"Is the response written so that {kw['audience']} can follow it?",
    ),
)
