"""The 26 code-checked DecIF types: IFEval's 25 (with IFEval's semantics) and decif's start
phrase and output format. Each test states one rule of one checker; the reference
agreement test (test_reference_agreement.py) grades thousands of generated cases against
IFEval's own code."""

from __future__ import annotations

import random

import pytest

from nodes.constraints import DrawContext, check, conflict, lookup
from nodes.constraints.base import REGISTRY
from nodes.constraints.formats import FORMAT_CHECKS
from nodes.constraints.ids import CODE_CHECKED_IDS, IFEVAL_IDS
from nodes.constraints.keywords import forbidden_pool, required_pool
from nodes.constraints.language import LANGUAGES
from nodes.constraints.phrasing import RELATION_KEYS, RELATION_WORDS
from nodes.constraints.values import ordinal  # a count or a position: 2, two, 2nd, second

NAMES = {
    "keywords:existence": "include_keywords",
    "keywords:frequency": "keyword_frequency",
    "keywords:forbidden_words": "forbidden_words",
    "keywords:letter_frequency": "letter_frequency",
    "language:response_language": "response_language",
    "length_constraints:number_paragraphs": "number_paragraphs",
    "length_constraints:number_words": "number_words",
    "length_constraints:number_sentences": "number_sentences",
    "length_constraints:nth_paragraph_first_word": "nth_paragraph_first_word",
    "detectable_content:postscript": "postscript",
    "detectable_content:number_placeholders": "placeholders",
    "detectable_format:number_bullet_lists": "number_bullets",
    "detectable_format:title": "title",
    "detectable_format:constrained_response": "choose_from_options",
    "detectable_format:number_highlighted_sections": "highlighted_sections",
    "detectable_format:multiple_sections": "multiple_sections",
    "detectable_format:json_format": "json_format",
    "combination:repeat_prompt": "repeat_request",
    "combination:two_responses": "two_responses",
    "change_case:english_capital": "all_uppercase",
    "change_case:english_lowercase": "all_lowercase",
    "change_case:capital_word_frequency": "capital_words_frequency",
    "startend:end_checker": "end_phrase",
    "startend:quotation": "quotation",
    "punctuation:no_comma": "no_commas",
    "decif:start_phrase": "start_phrase",
    "decif:output_format": "output_format",
}
CONTEXTS = [
    DrawContext(),
    DrawContext("write a poem", "A teacher needs a poem about autumn leaves for class tomorrow."),
    DrawContext("plan a budget", "A student nurse plans a monthly grocery budget in Leeds."),
]
FORMAT_WORDS = {
    "markdown_table": "Markdown table",
    "html": "HTML",
    "xml": "XML",
    "latex": "LaTeX",
    "markdown": "Markdown",
}


def ok(name: str, kwargs: dict, response: str) -> bool | None:
    return check(name, kwargs, response)


# -- the catalogue -------------------------------------------------------------------------


def test_the_26_types_are_registered_under_their_ids_and_names():
    for type_id, name in NAMES.items():
        kind = REGISTRY[type_id]
        assert kind.name == name and kind.verifiable
        assert lookup(name) is kind
    assert {k.id for k in REGISTRY.values() if k.source == "ifeval"} == IFEVAL_IDS
    assert {k.id for k in REGISTRY.values() if k.source == "decif"} == set(NAMES) - IFEVAL_IDS


def test_ifeval_id_and_decif_name_give_the_same_verdict():
    kwargs = {"relation": "less than", "num_words": 4}
    for response in ("one two three", "one two three four"):
        assert ok("length_constraints:number_words", kwargs, response) == ok(
            "number_words", kwargs, response
        )


def test_kwargs_padded_with_none_as_ifeval_datasets_write_them_are_accepted():
    row = {
        "num_words": 5,
        "relation": "at least",
        "keywords": None,
        "num_sentences": None,
        "prompt_to_repeat": None,
        "language": None,
    }
    assert ok("length_constraints:number_words", row, "one two three four five")
    assert not ok("length_constraints:number_words", row, "one two three four")


def test_a_missing_or_malformed_kwarg_is_a_value_error():
    with pytest.raises(ValueError, match="number_words"):
        check("number_words", {"relation": "less than"}, "text")
    with pytest.raises(ValueError, match="relation"):
        check("number_words", {"relation": "at most", "num_words": 3}, "text")
    with pytest.raises(ValueError, match="letter"):
        check(
            "letter_frequency", {"letter": "ab", "let_frequency": 1, "let_relation": "at least"}, ""
        )
    with pytest.raises(ValueError, match="nth_paragraph"):
        check(
            "nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "a"},
            "",
        )
    with pytest.raises(ValueError, match="format"):
        check("output_format", {"format": "yaml"}, "a: 1")


def test_every_stated_sentence_carries_its_drawn_values():
    for type_id in NAMES:
        kind = REGISTRY[type_id]
        for seed in range(20):
            for context in CONTEXTS:
                kwargs = kind.draw(random.Random(seed), context)
                if kind.bind is not None:
                    kwargs = kind.bind(kwargs, "Write a haiku about rain.")
                for sentence in kind.phrasings.renderings(kwargs):  # every phrasing
                    assert sentence.strip() and sentence.count(".") + sentence.count("?") <= 8
                    for key, value in kwargs.items():
                        if key == "prompt_to_repeat":
                            assert "the request" in sentence
                        elif key == "language":
                            assert LANGUAGES[value] in sentence
                        elif key == "format":
                            assert FORMAT_WORDS[value] in sentence
                        elif key in RELATION_KEYS:
                            assert any(w in sentence.lower() for w in RELATION_WORDS[value])
                        elif isinstance(value, int):
                            assert ordinal(value).found(sentence), (type_id, key, sentence)
                        else:
                            for item in value if isinstance(value, list) else [value]:
                                assert str(item) in sentence, (type_id, key, sentence)


def test_draws_are_the_same_for_the_same_seed_and_vary_across_seeds():
    for type_id in NAMES:
        kind = REGISTRY[type_id]
        for context in CONTEXTS:
            first = [kind.draw(random.Random(seed), context) for seed in range(30)]
            again = [kind.draw(random.Random(seed), context) for seed in range(30)]
            assert first == again
            if first[0]:
                assert len({repr(k) for k in first}) > 1, type_id


def test_draws_stay_within_what_one_short_answer_can_meet():
    def draws(name):
        kind = lookup(name)
        return [
            kind.draw(random.Random(seed), context) for seed in range(200) for context in CONTEXTS
        ]

    for kw in draws("number_words"):
        assert kw["relation"] in ("less than", "at least")
        assert kw["num_words"] <= 250 or kw["relation"] == "less than"
    for kw in draws("number_sentences"):
        assert kw["num_sentences"] <= 12 or kw["relation"] == "less than"
    assert {kw["num_paragraphs"] for kw in draws("number_paragraphs")} == {2, 3, 4, 5}
    assert {kw["num_bullets"] for kw in draws("number_bullets")} <= set(range(2, 7))
    assert {kw["num_placeholders"] for kw in draws("placeholders")} == {1, 2, 3, 4}
    assert {kw["num_highlights"] for kw in draws("highlighted_sections")} == {1, 2, 3, 4}
    assert {kw["format"] for kw in draws("output_format")} == set(FORMAT_CHECKS)
    for kw in draws("nth_paragraph_first_word"):
        assert 1 <= kw["nth_paragraph"] <= kw["num_paragraphs"] <= 5
    for kw in draws("end_phrase") + draws("start_phrase"):
        assert "," not in next(iter(kw.values()))  # compatible with no_commas


def test_words_come_from_the_topic_and_a_required_word_is_never_a_forbidden_one():
    context = CONTEXTS[1]
    kw = lookup("include_keywords").draw(random.Random(3), context)
    assert set(kw["keywords"]) <= set(context.topic_words)
    assert set(required_pool(context)).isdisjoint(forbidden_pool(context))
    bare = lookup("forbidden_words").draw(random.Random(3), DrawContext())
    assert bare["forbidden_words"]  # our own list when the topic is too thin


def test_conflicts_follow_open_instruct_and_read_both_ways():
    def clash(a, b):
        return conflict(lookup(a), lookup(b)) and conflict(lookup(b), lookup(a))

    assert clash("all_uppercase", "all_lowercase")
    assert clash("capital_words_frequency", "all_uppercase")
    assert clash("number_paragraphs", "nth_paragraph_first_word")
    assert clash("response_language", "include_keywords")
    assert clash("quotation", "title")
    assert clash("json_format", "number_words") and not clash("json_format", "include_keywords")
    assert clash("repeat_request", "number_words") and not clash("repeat_request", "no_commas")
    assert clash("two_responses", "placeholders") and not clash("two_responses", "title")
    assert clash("output_format", "json_format") and clash("start_phrase", "repeat_request")
    assert not clash("number_words", "no_commas")
    for code_checked in CODE_CHECKED_IDS & set(REGISTRY):
        assert clash("choose_from_options", code_checked)
    assert not clash("choose_from_options", "llm_judged:audience")


def test_conflicts_name_only_known_ids():
    for type_id in NAMES:
        assert REGISTRY[type_id].conflicts <= CODE_CHECKED_IDS


# -- keywords -------------------------------------------------------------------------------


def test_keywords_are_found_in_any_case_next_to_punctuation():
    kw = {"keywords": ["Budget", "plan"]}
    assert ok("include_keywords", kw, "Our budget, (the PLAN!) works.")
    assert not ok("include_keywords", kw, "Our budget works.")


def test_keywords_match_inside_longer_words_as_in_ifeval():
    assert ok("include_keywords", {"keywords": ["art"]}, "We start now.")


def test_keywords_are_literal_text_not_patterns():
    assert ok("include_keywords", {"keywords": ["c++"]}, "I write C++ daily.")
    assert not ok("include_keywords", {"keywords": ["c++"]}, "I write cc daily.")


def test_a_lone_keyword_string_is_one_keyword():
    assert not ok("include_keywords", {"keywords": "xyz"}, "x y z")


def test_keyword_frequency_counts_case_insensitive_occurrences():
    kw = {"keyword": " rain ", "frequency": 3, "relation": "at least"}
    assert ok("keyword_frequency", kw, "Rain, rain, RAIN!")
    assert not ok("keyword_frequency", kw, "Rain, rain.")
    assert ok("keyword_frequency", {**kw, "relation": "less than"}, "Rain, rain.")
    assert ok("keyword_frequency", kw, "rainbow rain drain")  # substrings count, as in IFEval


def test_forbidden_words_are_whole_words_in_any_case():
    kw = {"forbidden_words": ["cat", "dog"]}
    assert ok("forbidden_words", kw, "Cats and hotdogs are fine.")
    assert not ok("forbidden_words", kw, "My CAT, sadly...")
    assert not ok("forbidden_words", kw, "The dog's bowl.")


def test_letter_frequency_counts_the_letter_in_either_case():
    kw = {"letter": "E", "let_frequency": 3, "let_relation": "at least"}
    assert ok("letter_frequency", kw, "Eve sleeps")
    assert not ok("letter_frequency", kw, "Eva")
    assert ok("letter_frequency", {**kw, "let_relation": "less than"}, "Eva")


# -- language -------------------------------------------------------------------------------


def test_response_language_is_langdetects_verdict():
    french = "Bonjour à tous, je vous écris pour vous présenter le programme de la semaine."
    assert ok("response_language", {"language": "fr"}, french)
    assert not ok("response_language", {"language": "es"}, french)


def test_a_response_without_letters_passes_the_language_check_as_in_ifeval():
    assert ok("response_language", {"language": "de"}, "12345 !!!")


# -- length ---------------------------------------------------------------------------------


def test_paragraphs_are_split_on_the_markdown_divider():
    kw = {"num_paragraphs": 3}
    assert ok("number_paragraphs", kw, "One.\n***\nTwo.\n***\nThree.  ")
    assert ok("number_paragraphs", kw, "***\nOne. *** Two. ***Three.\n***\n")  # ends ignored
    assert not ok("number_paragraphs", kw, "One.\n***\n\n***\nTwo.\n***\nThree.")  # empty one
    assert not ok("number_paragraphs", kw, "One.\n\nTwo.\n\nThree.")


def test_words_are_runs_of_word_characters():
    assert ok("number_words", {"relation": "at least", "num_words": 7}, "e.g. 3.5 don't café")
    assert not ok("number_words", {"relation": "less than", "num_words": 7}, "e.g. 3.5 don't café")


def test_sentences_are_nltk_punkt_sentences():
    kw = {"relation": "less than", "num_sentences": 3}
    assert ok("number_sentences", kw, "Dr. Smith arrived. He sat down.")  # "Dr." ends none
    assert ok("number_sentences", kw, "It costs 3.5 dollars. Fine.")
    assert not ok("number_sentences", kw, "See e.g. the list. Then go.")  # Punkt splits here
    assert not ok("number_sentences", kw, "Wait... what? Yes!!!")  # NLTK splits "!!" "!"


def test_nth_paragraph_must_start_with_the_word_and_the_count_must_match():
    kw = {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Budget"}
    text = 'Intro here.\n\n"Budget, as promised, first.\n\nThe end.'
    assert ok("nth_paragraph_first_word", kw, text)
    assert ok("nth_paragraph_first_word", kw, text + "\n\n  \n")
    assert not ok("nth_paragraph_first_word", kw, text + "\n\nMore.")
    assert not ok("nth_paragraph_first_word", kw, text.replace('"Budget', "*Budget*"))
    assert not ok("nth_paragraph_first_word", kw, text.replace("Budget", "Budgets"))


# -- detectable content and format -----------------------------------------------------------


def test_postscript_markers_match_in_either_case_with_optional_spaces():
    assert ok("postscript", {"postscript_marker": "P.S."}, "Body.\n\np. s. see you")
    assert ok("postscript", {"postscript_marker": "P.P.S"}, "Body.\nP. P. S ok")
    assert ok("postscript", {"postscript_marker": "Note:"}, "Body.\nNOTE: bring snacks")
    assert not ok("postscript", {"postscript_marker": "P.S."}, "Body without one.")
    assert not ok("postscript", {"postscript_marker": "Note:"}, "Body.\nNote bring snacks")


def test_placeholders_are_square_bracket_spans_on_one_line():
    kw = {"num_placeholders": 2}
    assert ok("placeholders", kw, "Dear [name], see you at [address].")
    assert not ok("placeholders", kw, "Dear [name], see you at [the\nplace].")


def test_bullets_are_lines_starting_with_a_star_or_a_dash():
    kw = {"num_bullets": 3}
    assert ok("number_bullets", kw, "Intro\n* one\n  * two\n- three\n**bold** line")
    assert not ok("number_bullets", kw, "* one\n* two")
    assert not ok("number_bullets", kw, "* one\n* two\n* three\n---")  # a rule counts, as in IFEval


def test_title_is_text_in_double_angular_brackets_on_one_line():
    assert ok("title", {}, "<<Autumn Leaves>>\nThe poem.")
    assert not ok("title", {}, "<< >>\nThe poem.")
    assert not ok("title", {}, "<<Autumn\nLeaves>>")
    assert not ok("title", {}, "<Autumn Leaves>")


def test_constrained_response_needs_one_of_ifevals_three_answers_exactly():
    assert ok("choose_from_options", {}, "My answer is maybe.  ")
    assert not ok("choose_from_options", {}, "my answer is yes.")
    assert not ok("choose_from_options", {}, "My answer is yes")


def test_highlights_are_single_or_double_starred_spans():
    kw = {"num_highlights": 2}
    assert ok("highlighted_sections", kw, "A *first* and a **second** point.")
    assert not ok("highlighted_sections", kw, "A *first* and ** ** nothing.")
    assert not ok("highlighted_sections", kw, "A *first* and a *broken\nspan*.")


def test_sections_are_counted_by_splitter_and_number_case_sensitively():
    kw = {"section_spliter": "SECTION", "num_sections": 2}
    assert ok("multiple_sections", kw, "SECTION 1\nStart.\nSECTION 2\nEnd.")
    assert ok("multiple_sections", kw, "SECTION 1 a SECTION 2 b SECTION 3 c")  # at least
    assert not ok("multiple_sections", kw, "Section 1\nStart.\nSection 2\nEnd.")
    assert not ok("multiple_sections", kw, "SECTION one\nStart.\nSECTION two")


def test_json_may_be_fenced_and_must_parse():
    assert ok("json_format", {}, '```json\n{"a": [1, 2]}\n```  ')
    assert ok("json_format", {}, '```JSON\n{"a": "é"}\n```')
    assert ok("json_format", {}, '  {"a": 1}\n')
    assert ok("json_format", {}, "42")  # any JSON value, as in IFEval
    assert not ok("json_format", {}, '{"a": 1}\nHope this helps.')
    assert not ok("json_format", {}, '```python\n{"a": 1}\n```')


@pytest.mark.parametrize(
    ("form", "good", "bad"),
    [
        ("xml", '```xml\n<?xml version="1.0"?>\n<a><b>1 &amp; 2</b></a>\n```', "<a><b>1</a>"),
        ("xml", "<note><to>Ann</to></note>", "<note>Ann</note> thanks"),
        ("html", "<!DOCTYPE html><html><body><p>Hi<br>there</p></body></html>", "<p>Hi"),
        ("html", "<h1>T</h1>\n<ul><li>a</li></ul>", "Intro <p>x</p>"),
        ("html", "<div><img src='x'/></div>", "<note><to>Ann</to></note>"),
        ("markdown_table", "Costs:\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n", "| a | b |\n| 1 | 2 |"),
        ("markdown_table", "x | y\n--- | ---\n1 | 2", "| a | b |\n|---|---|\n"),
        ("latex", "\\begin{itemize}\n\\item x\n\\end{itemize}", "\\begin{itemize}\\item x"),
        ("latex", "\\documentclass{article}\\begin{document}Hi\\end{document}", "$x^{2$"),
        ("markdown", "# Plan\n\n- step one\n- step two", "Plan\n\n- step one"),
        ("markdown", "## Plan\n\nThis is **key**.", "# Plan\n\nNo emphasis here."),
    ],
)
def test_output_formats_have_crisp_checks(form, good, bad):
    assert ok("output_format", {"format": form}, good)
    assert not ok("output_format", {"format": form}, bad)


# -- case -------------------------------------------------------------------------------------


def test_all_uppercase_needs_no_lowercase_letter_and_english():
    text = "THE MEETING STARTS AT 9 AM, SO PLEASE ARRIVE EARLY AND BRING YOUR NOTES."
    assert ok("all_uppercase", {}, text)
    assert not ok("all_uppercase", {}, text[:-6] + "notes.")
    assert not ok(
        "all_uppercase",
        {},
        "DIE BESPRECHUNG BEGINNT UM NEUN UHR UND WIR SPRECHEN ÜBER DAS BUDGET DER WOCHE.",
    )


def test_all_lowercase_needs_no_capital_letter_and_english():
    text = "the meeting starts at 9 am, so please arrive early and bring your notes.\n"
    assert ok("all_lowercase", {}, text)
    assert not ok("all_lowercase", {}, "The" + text[3:])
    assert not ok("all_lowercase", {}, "la réunion commence à neuf heures, merci d'arriver tôt.")


def test_capital_words_are_counted_over_nltk_word_tokens():
    kw = {"capital_relation": "at least", "capital_frequency": 5}
    assert ok("capital_words_frequency", kw, "I DON'T like (NASA) STATE-OF-THE-ART stuff.")
    assert not ok("capital_words_frequency", kw, "I DON'T like NASA's state-of-the-art stuff.")
    assert ok("capital_words_frequency", {**kw, "capital_relation": "less than"}, "Hello World.")


# -- start and end ---------------------------------------------------------------------------


def test_end_phrase_ignores_case_trailing_space_and_closing_quotes():
    kw = {"end_phrase": "Any other questions?"}
    assert ok("end_phrase", kw, 'Text.\n"That is it. any other QUESTIONS?"  \n')
    assert not ok("end_phrase", kw, "Any other questions? Thanks.")


def test_start_phrase_must_open_the_response_exactly():
    kw = {"start_phrase": "Dear team"}
    assert ok("start_phrase", kw, "  Dear team, here is the update.")
    assert ok("start_phrase", kw, "Dear team\nUpdate.")
    assert not ok("start_phrase", kw, "Dear teams, here is the update.")
    assert not ok("start_phrase", kw, "dear team, here is the update.")
    assert not ok("start_phrase", kw, "Hello. Dear team, here is the update.")
    assert ok("start_phrase", {"start_phrase": "Short answer:"}, "Short answer:yes")


def test_quotation_needs_straight_double_quotes_around_everything():
    assert ok("quotation", {}, '  "Wrapped, fully."\n')
    assert not ok("quotation", {}, "“Curly quotes.”")
    assert not ok("quotation", {}, '"')
    assert not ok("quotation", {}, '"Wrapped" but not all')


# -- combinations ----------------------------------------------------------------------------


def test_repeat_request_must_come_first_in_any_case():
    kind = lookup("repeat_request")
    kw = kind.bind(kind.draw(random.Random(0), DrawContext()), "  Write a haiku about rain.\n")
    assert kw == {"prompt_to_repeat": "Write a haiku about rain."}
    assert ok("repeat_request", kw, "\nwrite a HAIKU about rain. Drops on the roof...")
    assert not ok("repeat_request", kw, "Sure! Write a haiku about rain. Drops...")
    with pytest.raises(ValueError, match="prompt_to_repeat"):
        check("repeat_request", {}, "anything")


def test_two_responses_are_two_different_parts_around_six_asterisks():
    assert ok("two_responses", {}, "First answer.\n******\nSecond answer.")
    assert ok("two_responses", {}, "******\nFirst.\n******\nSecond.\n******")
    assert not ok("two_responses", {}, "Same.\n******\n Same. ")
    assert not ok("two_responses", {}, "One.\n******\n\n******\nTwo.")
    assert not ok("two_responses", {}, "One.\n******\nTwo.\n******\nThree.")


# -- punctuation -----------------------------------------------------------------------------


def test_no_commas_means_no_ascii_comma():
    assert ok("no_commas", {}, "Lists use semicolons; and full-width ，commas pass.")
    assert not ok("no_commas", {}, "One, two.")
