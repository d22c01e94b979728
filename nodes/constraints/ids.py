"""The ids of the code-checked catalogues, for the conflict sets that say "all but".

open-instruct's conflict table (IFEvalG `INSTRUCTION_CONFLICTS`) gives a few IFEval types
as "every type except these" (JSON, two responses, repeating the request, fixed answer
options); their sets are spelled out here from these lists, so they also cover types the
registry gets from other modules. The table is read both ways, so one side suffices.
"""

from __future__ import annotations

IFEVAL_IDS = frozenset(
    {
        "keywords:existence",
        "keywords:frequency",
        "keywords:forbidden_words",
        "keywords:letter_frequency",
        "language:response_language",
        "length_constraints:number_sentences",
        "length_constraints:number_paragraphs",
        "length_constraints:number_words",
        "length_constraints:nth_paragraph_first_word",
        "detectable_content:number_placeholders",
        "detectable_content:postscript",
        "detectable_format:number_bullet_lists",
        "detectable_format:constrained_response",
        "detectable_format:number_highlighted_sections",
        "detectable_format:multiple_sections",
        "detectable_format:json_format",
        "detectable_format:title",
        "combination:two_responses",
        "combination:repeat_prompt",
        "startend:end_checker",
        "change_case:capital_word_frequency",
        "change_case:english_capital",
        "change_case:english_lowercase",
        "punctuation:no_comma",
        "startend:quotation",
    }
)

# open-instruct's 29 training-only additions (IFEvalG), as its registry names them.
IFEVALG_IDS = frozenset(
    {
        "copy:repeat_phrase",
        "copy:copy",
        "new:copy_span_idx",
        "detectable_format:sentence_hyphens",
        "keywords:no_adjacent_consecutive",
        "detectable_format:square_brackets",
        "keywords:word_once",
        "keywords:word_count_different_numbers",
        "keywords:exclude_word_harder",
        "paragraphs:paragraphs",
        "paragraphs:paragraphs2",
        "first_word:first_word_sent",
        "first_word:first_word_answer",
        "last_word:last_word_sent",
        "last_word:last_word_answer",
        "detectable_format:bigram_wrapping",
        "copy:copying_simple",
        "copy:copying_multiple",
        "punctuation:punctuation_dot",
        "punctuation:punctuation_exclamation",
        "count:lowercase_counting",
        "letters:letter_counting",
        "letters:letter_counting2",
        "count:counting_composition",
        "count:count_unique",
        "count:count_increment_word",
        "keywords:palindrome",
        "keywords:keyword_specific_position",
        "keywords:start_end",
    }
)

START_PHRASE = "decif:start_phrase"
OUTPUT_FORMAT = "decif:output_format"
DECIF_IDS = frozenset({START_PHRASE, OUTPUT_FORMAT})

CODE_CHECKED_IDS = IFEVAL_IDS | IFEVALG_IDS | DECIF_IDS


def all_but(*kept: str) -> frozenset[str]:
    """Every code-checked id except `kept`: open-instruct's `set(INSTRUCTION_DICT) - {...}`,
    widened to decif's own types. The LLM-judged types stay compatible."""
    return CODE_CHECKED_IDS - set(kept)
