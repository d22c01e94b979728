"""Every RLVR row decif labels for open-instruct is one its IFEval verifier reads as decif
checks it.

open-instruct is not installable here, so its verifier is modelled from its source
(`open_instruct/ground_truth_utils.py` `IFEvalVerifier`, IFEvalG `instructions.py` and
`instructions_util.py`): the label is `ast.literal_eval`-ed, each constraint's class is
built with `build_description(**kwargs)` (an unknown kwarg is a TypeError, a language
outside LANGUAGE_CODES a KeyError), and the parameters below are replaced by random ones
when falsy (`if not x:`) or negative (`if x is None or x < 0:`).
"""

from __future__ import annotations

import ast
import random

from test_constraints_ifevalg import KWARGS as IFEVALG_KWARGS
from test_export_rl import row

from graph.export import export
from graph.export.rlvr import rlvr_rows
from nodes.constraints import REGISTRY, DrawContext, draw_constraints, types_of
from nodes.constraints.language import LANGUAGES
from nodes.constraints.open_instruct import LANGUAGE_CODES, unreadable
from nodes.constraints.stating import compose

# build_description's parameters per type, as open-instruct declares them: IFEval's 25 ...
PARAMETERS: dict[str, set[str]] = {
    "keywords:existence": {"keywords"},
    "keywords:frequency": {"keyword", "frequency", "relation"},
    "keywords:forbidden_words": {"forbidden_words"},
    "keywords:letter_frequency": {"letter", "let_frequency", "let_relation"},
    "language:response_language": {"language"},
    "length_constraints:number_sentences": {"num_sentences", "relation"},
    "length_constraints:number_paragraphs": {"num_paragraphs"},
    "length_constraints:number_words": {"num_words", "relation"},
    "length_constraints:nth_paragraph_first_word": {
        "num_paragraphs",
        "nth_paragraph",
        "first_word",
    },
    "detectable_content:number_placeholders": {"num_placeholders"},
    "detectable_content:postscript": {"postscript_marker"},
    "detectable_format:number_bullet_lists": {"num_bullets"},
    "detectable_format:constrained_response": set(),
    "detectable_format:number_highlighted_sections": {"num_highlights"},
    "detectable_format:multiple_sections": {"section_spliter", "num_sections"},
    "detectable_format:json_format": set(),
    "detectable_format:title": set(),
    "combination:two_responses": set(),
    "combination:repeat_prompt": {"prompt_to_repeat"},
    "startend:end_checker": {"end_phrase"},
    "change_case:capital_word_frequency": {"capital_frequency", "capital_relation"},
    "change_case:english_capital": set(),
    "change_case:english_lowercase": set(),
    "punctuation:no_comma": set(),
    "startend:quotation": set(),
}
# open-instruct's own 29 types: the names decif draws, and exclude_word_harder's
# `instruction`, which its build_description takes too.
PARAMETERS |= IFEVALG_KWARGS | {"keywords:exclude_word_harder": {"keyword", "instruction"}}
# Parameters its build_description redraws when falsy (`if not x:`) ...
REDRAWN_WHEN_FALSY = {
    "keywords",
    "keyword",
    "forbidden_words",
    "letter",
    "phrase",
    "small_n",
    "n_start",
    "n_end",
    "N",
    "first_word",
    "last_word",
    "n_sent",
    "n_words",
    "keyword1",
    "keyword2",
    "n",
    "m",
}
# ... or negative (`if x is None or x < 0:`).
REDRAWN_WHEN_NEGATIVE = {
    "num_sentences",
    "num_placeholders",
    "num_bullets",
    "num_highlights",
    "num_sections",
    "num_paragraphs",
    "num_words",
    "frequency",
    "let_frequency",
}
INSTRUCTIONS = [
    "Write a short newsletter for the community garden about the harvest festival.",
    "Plan a cheap two-day trip to Porto for four students travelling by train.",
    "Explain fractions to a ten-year-old before dinner, with one everyday example.",
    "Summarise the safety rules of the chemistry lab for first-year students.",
]


def open_instruct_reads(constraint: dict) -> bool:
    """Whether open-instruct's verifier builds this constraint with the values given."""
    type_id, kwargs = constraint["id"], constraint["kwargs"]
    if type_id not in PARAMETERS or not set(kwargs) <= PARAMETERS[type_id]:
        return False
    if any(not kwargs[k] for k in REDRAWN_WHEN_FALSY & set(kwargs)):
        return False
    if any(kwargs[k] < 0 for k in REDRAWN_WHEN_NEGATIVE & set(kwargs)):
        return False
    if "language" in kwargs and kwargs["language"] not in LANGUAGE_CODES:
        return False
    if "letter" in kwargs and not ("a" <= kwargs["letter"].lower() <= "z"):
        return False
    nth = kwargs.get("nth_paragraph")
    return nth is None or 0 < nth <= kwargs["num_paragraphs"]


def catalogue_rows(count: int) -> list[dict]:
    """Accepted rows whose constraints are drawn, bound and stated as a run does it, over
    the whole catalogue."""
    rows = []
    for i in range(count):
        rng = random.Random(f"rows/{i}")
        context = DrawContext(request="write a newsletter", scenario=INSTRUCTIONS[i % 4])
        drawn = draw_constraints(rng, context, types_of(["ifeval", "ifevalg", "decif", "llm"]))
        instruction, constraints, _ = compose(INSTRUCTIONS[i % 4], drawn, rng)
        rows.append(row(constraints) | {"id": f"s{i}", "instruction": instruction})
    return rows


def test_the_language_table_is_open_instructs_and_decif_draws_only_from_it():
    assert len(LANGUAGE_CODES) == 30
    assert {"en", "es", "fr", "de", "ja", "ko", "hi", "sw", "fi"} <= LANGUAGE_CODES
    assert not {"nl", "sv", "tr", "zh"} & LANGUAGE_CODES
    assert set(LANGUAGES) <= LANGUAGE_CODES
    kind = REGISTRY["language:response_language"]
    drawn = {kind.draw(random.Random(seed), DrawContext())["language"] for seed in range(300)}
    assert drawn == set(LANGUAGES)


def test_every_type_decif_draws_has_open_instructs_parameter_names():
    for type_id in PARAMETERS:
        kind = REGISTRY[type_id]
        for seed in range(5):
            kwargs = kind.draw(random.Random(seed), DrawContext("write a poem", INSTRUCTIONS[0]))
            if kind.bind:
                kwargs = kind.bind(kwargs, INSTRUCTIONS[seed % 4])
            assert set(kwargs) <= PARAMETERS[type_id], type_id


def test_a_copied_span_never_starts_at_character_0_of_a_longer_instruction():
    bind = REGISTRY["new:copy_span_idx"].bind
    for i in range(300):
        text = " ".join(f"w{j}" for j in range(2 + i % 20)) + f" x{i}"
        kwargs = bind({}, text)
        assert 0 < kwargs["n_start"] < kwargs["n_end"] <= len(text)
        assert kwargs["n_start"] == text.index(" ", kwargs["n_start"] - 1) + 1  # a word's start
    assert bind({}, "Hello")["n_start"] == 0  # one word: nothing else to copy


def test_an_rlvr_export_of_the_whole_catalogue_has_only_rows_open_instruct_reads():
    rows = catalogue_rows(400)
    prompts = rlvr_rows(rows)
    labelled = [ast.literal_eval(r["ground_truth"])[0] for r in prompts.open_instruct]
    seen = set()
    for label in labelled:
        for type_id, kwargs in zip(label["instruction_id"], label["kwargs"], strict=True):
            assert open_instruct_reads({"id": type_id, "kwargs": kwargs}), (type_id, kwargs)
            seen.add(type_id)
    assert seen == set(PARAMETERS)  # every type open-instruct knows was exported at least once
    assert set(prompts.verl_only) == {"decif-only type"}  # decif:start_phrase, output_format
    assert len(prompts.open_instruct) + prompts.verl_only.total() == len(prompts.verl)


def test_rows_open_instruct_would_misread_go_to_verl_only_with_a_count_in_the_summary(
    tmp_path,
):
    """Rows of a run made before decif drew only these values: a language open-instruct has
    no name for (its reward raises KeyError) and a span from character 0 (redrawn)."""
    span = {"prompt_to_repeat": "Copy me now please", "n_start": 0, "n_end": 7}
    old = [
        row([{"id": "language:response_language", "kwargs": {"language": "nl"}}]),
        row([{"id": "new:copy_span_idx", "kwargs": span}]),
        row([{"id": "decif:start_phrase", "kwargs": {"start_phrase": "First of all"}}]),
        row([{"id": "punctuation:no_comma", "kwargs": {}}]),
    ]
    assert [unreadable(r["constraints"][0]) is None for r in old] == [False] * 3 + [True]
    done = export(old, tmp_path / "rl.jsonl", "rlvr")
    assert len((tmp_path / "rl.jsonl").read_text().splitlines()) == 1
    (note,) = [n for n in done.notes if "verl file only" in n]
    assert note.startswith("3 prompts are in the verl file only")
    assert "language 'nl'" in note and "n_start 0" in note and "decif-only type: 1" in note
