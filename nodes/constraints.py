"""The DecIF response-constraint catalogue (30 types) and the method's seeded draw."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class ConstraintType:
    id: str
    description: str
    verifiable: bool = True  # checkable in code (IFEval-like); False: only an LLM can judge


CATALOGUE: tuple[ConstraintType, ...] = (
    ConstraintType("include_keywords", "include given keywords in the response"),
    ConstraintType("keyword_frequency", "use a given word a given number of times"),
    ConstraintType("forbidden_words", "never use some given words"),
    ConstraintType("letter_frequency", "use a given letter at least/at most N times"),
    ConstraintType("response_language", "answer entirely in a given language"),
    ConstraintType("number_paragraphs", "write exactly N paragraphs separated by a given marker"),
    ConstraintType("number_words", "use at least / around / at most N words"),
    ConstraintType("number_sentences", "use at least / around / at most N sentences"),
    ConstraintType(
        "nth_paragraph_first_word",
        "write N paragraphs where the i-th paragraph starts with a given word",
    ),
    ConstraintType("postscript", "end with a postscript that starts with a given marker (P.S.)"),
    ConstraintType("placeholders", "include at least N square-bracket placeholders like [name]"),
    ConstraintType("number_bullets", "use exactly N markdown bullet points"),
    ConstraintType("title", "include a title wrapped in double angular brackets, <<title>>"),
    ConstraintType("choose_from_options", "answer with exactly one of given options"),
    ConstraintType(
        "highlighted_sections", "highlight at least N sections with markdown *like this*"
    ),
    ConstraintType("multiple_sections", "split the response into N sections marked 'SECTION X'"),
    ConstraintType(
        "output_format", "format the whole output as JSON, a table, HTML, XML, LaTeX or Markdown"
    ),
    ConstraintType("repeat_request", "first repeat the request word for word, then answer"),
    ConstraintType("two_responses", "give two different responses separated by a given symbol"),
    ConstraintType("all_uppercase", "write the whole response in capital letters"),
    ConstraintType("all_lowercase", "write the whole response in lower case letters"),
    ConstraintType("capital_words_frequency", "use all-capital words at least/at most N times"),
    ConstraintType("end_phrase", "end the response with an exact given phrase"),
    ConstraintType("start_phrase", "start the response with an exact given phrase"),
    ConstraintType("quotation", "wrap the whole response in double quotation marks"),
    ConstraintType("no_commas", "use no commas at all"),
    ConstraintType("role_based", "answer while playing a given role or character", False),
    ConstraintType("scenario_based", "fit the answer to a specific situational demand", False),
    ConstraintType("style_tone", "write in a given style, tone or emotion", False),
    ConstraintType("audience", "address a given audience", False),
)

BY_ID = {c.id: c for c in CATALOGUE}

# How many constraints an instruction carries, with the reference's weights.
COUNT_WEIGHTS = {1: 0.2, 2: 0.3, 3: 0.3, 4: 0.1, 5: 0.1}


def draw_constraints(rng: random.Random) -> list[ConstraintType]:
    """Draw a count by the method's weights, then types uniformly with replacement,
    deduplicated in draw order (so a draw of 3 may yield fewer)."""
    count = rng.choices(list(COUNT_WEIGHTS), weights=list(COUNT_WEIGHTS.values()))[0]
    drawn = rng.choices(CATALOGUE, k=count)
    return list(dict.fromkeys(drawn))
