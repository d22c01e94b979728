"""Appended statements: several phrasings per type, every one of them stating the exact
values its checker reads, with IFEval's relations intact, and none borrowing IFEval's own
wording."""

from __future__ import annotations

import json
import random
import re

import pytest

from nodes.constraints import REGISTRY, DrawContext, statements, templates
from nodes.constraints.phrasing import RELATION_KEYS, RELATION_WORDS, STYLES, WRONG_RELATION_WORDS
from nodes.constraints.stating import append, append_pending, compose, restate, sentence
from nodes.constraints.values import keyword, letter, number, separator

CONTEXTS = [
    DrawContext("write sports news", "A journalist in Leeds covers the local club for a paper."),
    DrawContext("plan a trip", "A student in Lisbon wants a cheap weekend away."),
    DrawContext("fix a bug", "An engineer finds a crash in the billing service at night."),
]
TASK = "Write a short match report on the derby for the club newsletter, please."


def drawn(kind, seed: int) -> dict:
    kwargs = kind.draw(random.Random(seed), CONTEXTS[seed % len(CONTEXTS)])
    return kind.bind(kwargs, TASK) if kind.bind else kwargs


def test_every_type_has_a_phrasing_in_each_of_five_styles():
    for kind in REGISTRY.values():
        templates = kind.phrasings.templates()
        assert list(templates) == list(STYLES)
        assert len(set(templates.values())) == len(STYLES) >= 4, kind.id


@pytest.mark.parametrize("kind", list(REGISTRY.values()), ids=lambda k: k.id)
def test_every_phrasing_states_every_value_and_keeps_the_relation(kind):
    for seed in range(12):
        kwargs = drawn(kind, seed)
        relation = next((kwargs[k] for k in RELATION_KEYS if k in kwargs), None)
        for text in kind.phrasings.renderings(kwargs):
            missing = [v.text for v in kind.values(kwargs) if not v.found(text)]
            assert not missing, (text, missing)
            if relation is not None:
                lowered = text.lower()
                assert any(w in lowered for w in RELATION_WORDS[relation]), text
                assert not any(w in lowered for w in WRONG_RELATION_WORDS), text


def test_a_value_is_found_as_a_whole_token_in_any_of_its_spellings():
    assert number(120).found("Keep it under 120 words")
    assert not number(120).found("Keep it under 1200 words")
    assert number(3).found("Give Three bullet points") and number(25).found("twenty-five words")
    assert number(120).found("one hundred and twenty words")
    assert keyword("art").found('use "Art" twice') and not keyword("art").found("a start")
    assert letter("a").found('the letter "a"') and not letter("a").found("a word or two")
    assert separator("***").found("split by *** lines")
    assert not separator("***").found("split by ******")  # six asterisks are another value


def test_no_statement_shares_eight_words_with_ifevals_own_descriptions():
    """IFEval's descriptions (its `build_description`, from if-verifiable) are what its
    test prompts were written from. The only overlap allowed is IFEval's own fixed answer
    options, which are the constraint's values."""
    from if_verifiable.ifeval import instructions_registry

    descriptions = set()
    for key, cls in instructions_registry.INSTRUCTION_DICT.items():
        for seed in range(5):
            random.seed(seed)
            try:
                descriptions.add(cls(key).build_description())
            except ValueError:  # needs a prompt to repeat
                continue
    assert len(descriptions) > 50

    def grams(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i : i + 8]) for i in range(len(words) - 7)}

    theirs = set().union(*map(grams, descriptions))
    shared = {
        kind.id
        for kind in REGISTRY.values()
        for seed in range(6)
        for text in kind.phrasings.renderings(drawn(kind, seed))
        if grams(text) & theirs
    }
    assert shared <= {"detectable_format:constrained_response"}, shared


def test_placement_and_phrasing_vary_with_the_seed_and_record_each_statement():
    constraints = [
        {"id": "punctuation:no_comma", "kwargs": {}},
        {
            "id": "length_constraints:number_words",
            "kwargs": {"relation": "less than", "num_words": 90},
        },
    ]
    placements, texts = set(), set()
    for seed in range(40):
        text, kept, stated = compose(TASK, constraints, random.Random(seed))
        assert kept == constraints
        assert [s["id"] for s in stated] == [c["id"] for c in constraints]
        for how in stated:
            assert how["how"] == "appended" and how["why"] == "phrasing_appended"
            assert how["text"] in text and how["style"] in STYLES
        texts.add(text)
        if text.startswith(TASK):
            placements.add("list" if "\n- " in text else "after")
        else:
            assert text.endswith(TASK)
            placements.add("before")
    assert placements == {"after", "before", "list"}
    assert len(texts) >= 20


def test_a_bound_constraint_comes_last_and_repeats_all_before_it():
    repeat = {"id": "combination:repeat_prompt", "kwargs": {}}
    comma = {"id": "punctuation:no_comma", "kwargs": {}}
    for seed in range(10):
        text, (kept_comma, bound), stated = compose(TASK, [comma, repeat], random.Random(seed))
        before, statement = text.rsplit("\n\n", 1)
        assert statement == stated[1]["text"] and stated[1]["why"] == "bound_to_instruction"
        assert bound["kwargs"]["prompt_to_repeat"] == before


def test_a_rewrite_keeps_what_it_holds_word_for_word_and_returns_woven_losses():
    comma = {"id": "punctuation:no_comma", "kwargs": {}}
    words = {
        "id": "length_constraints:number_words",
        "kwargs": {"relation": "at least", "num_words": 200},
    }
    text, constraints, stated = append(TASK, [(comma, "phrasing_appended")], random.Random(1))
    woven = {"id": words["id"], "how": "woven", "why": "", "style": "", "text": "200 words"}
    rewrite = f"Write at least 200 words on the derby. {stated[0]['text']}"
    kept, how, dropped = restate(rewrite, [comma, words], [stated[0], woven])
    assert (kept, dropped) == ([comma, words], [])
    assert how[1]["text"] == "Write at least 200 words on the derby."  # the span, found again
    kept, how, dropped = restate("Write on the derby.", [comma, words], [stated[0], woven])
    assert (kept, dropped) == ([words], [comma])
    assert (how[0]["how"], how[0]["why"], how[0]["text"]) == ("appended", "lost_in_refine", "")
    text, kept, how = append_pending("Write on the derby.", kept, how, random.Random(0))
    assert how[0]["text"] and how[0]["text"] in text and text.count("Write on the derby.") == 1


def test_the_reference_sentence_is_the_plain_phrasing_in_first_spellings():
    words = {
        "id": "length_constraints:number_words",
        "kwargs": {"relation": "less than", "num_words": 7},
    }
    assert sentence(words) == "The response must have less than 7 words."


def test_decif_constraints_json_lists_every_types_phrasings():
    from click.testing import CliRunner

    from graph.cli import cli

    result = CliRunner().invoke(cli, ["constraints", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == len(REGISTRY)
    for row in rows:
        assert len(set(row["phrasings"].values())) >= 4, row["id"]
    assert statements("punctuation:no_comma", {}) == list(templates("no_commas").values())
