"""open-instruct's 29 training-only IF-RLVR types (source "ifevalg"), as specifications.

Each case says what a response must look like for the type to hold. "ref:" comments name
the open-instruct behaviour (IFEvalG `instructions.py`) a case pins down; "decif:" marks
a deliberate difference, explained in the type's module docstring.
"""

from __future__ import annotations

import random

import pytest

from nodes.constraints import REGISTRY, DrawContext, check, conflict
from nodes.constraints.base import ALL
from nodes.constraints.ids import CODE_CHECKED_IDS
from nodes.constraints.phrasing import RELATION_WORDS
from nodes.constraints.splitting import split_sentences, word_list
from nodes.constraints.values import ordinal  # a count or a position: 2, two, 2nd, second

# Every type with open-instruct's exact kwargs names.
KWARGS: dict[str, set[str]] = {
    "copy:repeat_phrase": {"phrase", "small_n"},
    "copy:copy": {"prompt_to_repeat"},
    "new:copy_span_idx": {"prompt_to_repeat", "n_start", "n_end"},
    "detectable_format:sentence_hyphens": set(),
    "keywords:no_adjacent_consecutive": set(),
    "detectable_format:square_brackets": set(),
    "keywords:word_once": {"keyword"},
    "keywords:word_count_different_numbers": {"keyword", "frequency", "relation"},
    "keywords:exclude_word_harder": {"keyword"},
    "paragraphs:paragraphs": set(),
    "paragraphs:paragraphs2": set(),
    "first_word:first_word_sent": {"first_word"},
    "first_word:first_word_answer": {"first_word"},
    "last_word:last_word_sent": {"last_word"},
    "last_word:last_word_answer": {"last_word"},
    "detectable_format:bigram_wrapping": set(),
    "copy:copying_simple": {"prompt_to_repeat"},
    "copy:copying_multiple": {"prompt_to_repeat", "N"},
    "punctuation:punctuation_dot": set(),
    "punctuation:punctuation_exclamation": set(),
    "count:lowercase_counting": {"N"},
    "letters:letter_counting": {"N", "relation"},
    "letters:letter_counting2": {"letter", "let_frequency", "let_relation"},
    "count:counting_composition": {"n_sent", "n_words"},
    "count:count_unique": set(),
    "count:count_increment_word": {"keyword1", "keyword2"},
    "keywords:palindrome": set(),
    "keywords:keyword_specific_position": {"keyword", "n", "m"},
    "keywords:start_end": set(),
}
CONTEXT = DrawContext(
    request="write a garden newsletter",
    scenario="A retired teacher tells neighbours about the community garden harvest festival",
)
INSTRUCTION = "Write a short newsletter for the community garden about the harvest festival."
PROMPT = "Write a haiku about rain."


def holds(type_id: str, kwargs: dict | None, response: str) -> bool | None:
    return check(type_id, kwargs, response)


# --- the catalogue -------------------------------------------------------------------


def test_the_29_types_are_registered_with_open_instructs_ids_and_decifs_names():
    ours = {kind.id for kind in REGISTRY.values() if kind.source == "ifevalg"}
    assert ours == set(KWARGS)
    for type_id in KWARGS:
        kind = REGISTRY[type_id]
        assert kind.name == type_id.split(":")[1]
        assert kind.verifiable and kind.question is None


@pytest.mark.parametrize("type_id", sorted(KWARGS))
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_draw_bind_state_gives_the_reference_kwargs_and_states_their_values(type_id, seed):
    kind = REGISTRY[type_id]
    kwargs = kind.draw(random.Random(seed), CONTEXT)
    assert kwargs == kind.draw(random.Random(seed), CONTEXT)  # deterministic per seed
    if kind.bind:
        kwargs = kind.bind(kwargs, INSTRUCTION)
        assert kwargs == kind.bind(kind.draw(random.Random(seed), CONTEXT), INSTRUCTION)
    assert set(kwargs) == KWARGS[type_id]
    for sentence in kind.phrasings.renderings(kwargs):  # every phrasing, every spelling
        for key, value in kwargs.items():
            if key == "prompt_to_repeat":  # the text around the sentence, never in it
                assert value == INSTRUCTION and value not in sentence
            elif key in ("relation", "let_relation"):
                assert any(w in sentence for w in RELATION_WORDS[value]), sentence
            elif isinstance(value, int):
                assert ordinal(value).found(sentence), (key, value, sentence)
            else:
                assert str(value) in sentence, (key, value, sentence)
    # Any drawn kwargs check any response without raising.
    assert holds(type_id, kwargs, "Some response.") in (True, False)


@pytest.mark.parametrize("type_id", sorted(KWARGS))
def test_id_and_short_name_both_check(type_id):
    kind = REGISTRY[type_id]
    kwargs = kind.draw(random.Random(3), CONTEXT)
    if kind.bind:
        kwargs = kind.bind(kwargs, INSTRUCTION)
    response = "Then the garden grows today. Level up!"
    assert holds(type_id, kwargs, response) == holds(kind.name, kwargs, response)


def test_none_padded_kwargs_as_in_rlvr_rows_are_ignored():
    padded = {"keyword": "garden", "frequency": None, "relation": None, "N": None}
    assert holds("keywords:word_once", padded, "A garden.") is True
    assert holds("keywords:palindrome", {"keyword": None}, "A racecar.") is True


def test_a_missing_kwarg_is_a_value_error_naming_the_type():
    with pytest.raises(ValueError, match="keywords:word_once"):
        holds("word_once", {"keyword": None}, "A garden.")
    with pytest.raises(ValueError, match="relation"):
        holds("letter_counting", {"N": 3, "relation": "at most"}, "abc")


def test_draws_fall_back_to_decifs_word_lists_without_a_topic():
    kwargs = REGISTRY["count:count_increment_word"].draw(random.Random(0), DrawContext())
    assert kwargs["keyword1"] != kwargs["keyword2"]
    assert kwargs["keyword1"] not in kwargs["keyword2"]


# --- conflicts: open-instruct's INSTRUCTION_CONFLICTS, read both ways -------------------

REFERENCE_CONFLICTS = [
    ("paragraphs:paragraphs", "paragraphs:paragraphs2"),
    ("first_word:first_word_sent", "first_word:first_word_answer"),
    ("count:counting_composition", "count:count_unique"),
    ("count:counting_composition", "count:count_increment_word"),
    ("count:counting_composition", "paragraphs:paragraphs"),
    ("count:counting_composition", "paragraphs:paragraphs2"),
    ("count:counting_composition", "keywords:letter_frequency"),
    ("count:counting_composition", "keywords:frequency"),
]


@pytest.mark.parametrize(("a", "b"), REFERENCE_CONFLICTS)
def test_open_instructs_conflicts_are_declared(a, b):
    declared = b in REGISTRY[a].conflicts or (b in REGISTRY and a in REGISTRY[b].conflicts)
    assert declared


@pytest.mark.parametrize(
    "copier", ["copy:copy", "new:copy_span_idx", "copy:copying_simple", "copy:copying_multiple"]
)
def test_request_copying_types_are_drawn_only_alone(copier):
    assert ALL in REGISTRY[copier].conflicts
    assert conflict(REGISTRY[copier], REGISTRY["keywords:palindrome"])


def test_repeat_phrase_conflicts_only_with_itself_as_in_the_reference():
    assert REGISTRY["copy:repeat_phrase"].conflicts == frozenset()
    assert not conflict(REGISTRY["copy:repeat_phrase"], REGISTRY["keywords:palindrome"])


def test_every_conflict_names_a_known_code_checked_type():
    for type_id in KWARGS:
        assert REGISTRY[type_id].conflicts - {ALL} <= CODE_CHECKED_IDS, type_id


def test_other_new_types_can_be_drawn_together():
    assert not conflict(REGISTRY["keywords:word_once"], REGISTRY["punctuation:punctuation_dot"])


# --- the rule-based sentence splitter (ref: instructions_util.split_into_sentences) ----


def test_sentences_split_after_every_end_mark_except_protected_dots():
    assert split_sentences("Dr. Smith paid 3.14 at shop.com. He left!") == [
        "Dr. Smith paid 3.14 at shop.com.",
        "He left!",
    ]
    assert split_sentences("Wait... What?") == ["Wait...", "What?"]
    assert split_sentences('He said "stop." Then went.') == ['He said "stop".', "Then went."]
    assert split_sentences("Hi!!") == ["Hi!", "!"]  # ref: only a trailing empty piece drops
    assert split_sentences("") == []
    assert split_sentences("no end mark") == ["no end mark"]


def test_words_are_what_a_reader_counts():
    assert word_list("Don't stop, well-known café!") == ["Don't", "stop", "well-known", "café"]


# --- copying ----------------------------------------------------------------------------

PHRASE = {"phrase": "Slow rivers carve the deepest canyons", "small_n": 2}


def test_repeat_phrase_wants_n_copies_each_with_one_inner_word_changed():
    good = "Slow rivers carve the widest canyons.\nSlow rivers cut the deepest canyons."
    assert holds("copy:repeat_phrase", PHRASE, good)
    assert holds("repeat_phrase", {**PHRASE, "small_n": 3}, good) is False  # count is exact
    two_changed = "Slow rivers cut the widest canyons.\nSlow rivers cut the deepest canyons."
    assert holds("repeat_phrase", PHRASE, two_changed) is False
    shorter = "Slow rivers carve canyons.\nSlow rivers cut the deepest canyons."
    assert holds("repeat_phrase", PHRASE, shorter) is False
    assert holds("repeat_phrase", PHRASE, "") is False


def test_repeat_phrase_every_copy_must_change_not_only_the_last():
    # ref: only the last copy's difference count is tested, so this passes there; decif: no.
    first_unchanged = "Slow rivers carve the deepest canyons.\nSlow rivers cut the deepest canyons."
    assert holds("repeat_phrase", PHRASE, first_unchanged) is False


def test_repeat_phrase_matches_first_and_last_words_as_whole_words():
    # ref: "canyons" matches inside "canyonsides", finding a one-word change; decif: no.
    text = "Slow rivers carve the quiet canyonsides.\nSlow rivers cut the deepest canyons."
    assert holds("repeat_phrase", PHRASE, text) is False


def test_copy_and_copying_simple_want_the_request_itself_ignoring_case_and_outer_space():
    for type_id in ("copy:copy", "copy:copying_simple"):
        kwargs = {"prompt_to_repeat": PROMPT}
        assert holds(type_id, kwargs, "  write a HAIKU about rain.\n")  # ref: strip, lower
        assert holds(type_id, kwargs, "Rain on the roof / ...") is False
        assert holds(type_id, kwargs, f"Sure! {PROMPT}") is False
        assert holds(type_id, kwargs, "") is False


def test_copy_binds_the_instruction_and_states_no_values():
    kind = REGISTRY["copy:copy"]
    assert kind.bind({}, f"  {PROMPT}\n") == {"prompt_to_repeat": PROMPT}
    assert "word for word" in kind.state({"prompt_to_repeat": PROMPT}).lower()


def test_copying_multiple_wants_n_copies_split_by_six_asterisks():
    kwargs = {"prompt_to_repeat": PROMPT, "N": 2}
    assert holds("copy:copying_multiple", kwargs, f"{PROMPT}******{PROMPT}")
    assert holds("copying_multiple", kwargs, f"{PROMPT}\n******\n{PROMPT.upper()}\n")
    assert holds("copying_multiple", {**kwargs, "N": 3}, f"{PROMPT}******{PROMPT}") is False
    assert holds("copying_multiple", kwargs, f"{PROMPT}*******{PROMPT}") is False  # seven
    assert holds("copying_multiple", kwargs, f"{PROMPT}******Write a poem.") is False


def test_copy_span_idx_end_index_is_exclusive_as_the_reference_slices():
    kwargs = {"prompt_to_repeat": PROMPT, "n_start": 8, "n_end": 13}
    assert holds("new:copy_span_idx", kwargs, "haiku")
    assert holds("copy_span_idx", kwargs, " Haiku \n")
    # ref: the sentence says "and including" n_end, the checker slices [n_start:n_end].
    assert holds("copy_span_idx", {**kwargs, "n_end": 12}, "haiku") is False
    assert holds("copy_span_idx", kwargs, "haiku about") is False


def test_copy_span_idx_binds_a_whole_word_span_and_names_it():
    kind = REGISTRY["new:copy_span_idx"]
    kwargs = kind.bind({}, INSTRUCTION)
    start, end = kwargs["n_start"], kwargs["n_end"]
    assert start == 0 or INSTRUCTION[start - 1] == " "
    assert end == len(INSTRUCTION) or INSTRUCTION[end] == " "
    span = INSTRUCTION[start:end]
    sentence = kind.state(kwargs)
    assert "not including" in sentence
    assert f'"{span.split()[0]}"' in sentence and f'"{span.split()[-1]}"' in sentence
    assert holds("copy_span_idx", kwargs, span)
    assert kind.bind({}, "Hi") == {"prompt_to_repeat": "Hi", "n_start": 0, "n_end": 2}


# --- marks ------------------------------------------------------------------------------


def test_sentence_hyphens_joins_sentences_with_bare_hyphens():
    assert holds("detectable_format:sentence_hyphens", {}, "I like tea.-It is warm.-Try it.")
    assert holds("sentence_hyphens", {}, "A single sentence.")
    assert holds("sentence_hyphens", {}, "I like tea. It is warm.") is False
    assert holds("sentence_hyphens", {}, "I like tea.- It is warm.") is False  # space
    assert holds("sentence_hyphens", {}, "I like tea.\n-It is warm.") is False  # line break
    assert holds("sentence_hyphens", {}, "A well-known tea.-It is warm.") is False
    assert holds("sentence_hyphens", {}, "")  # ref: nothing to compare, so it holds


def test_square_brackets_wants_every_whitespace_token_bracketed():
    assert holds("detectable_format:square_brackets", {}, "[Hello,] [world.]")
    assert holds("square_brackets", {}, "[Hi]\n[there]\n")
    assert holds("square_brackets", {}, "[Hello], [world].") is False  # punctuation outside
    assert holds("square_brackets", {}, "[Hello world]") is False
    assert holds("square_brackets", {}, "")


def test_bigram_wrapping_wants_each_word_pair_in_double_angular_brackets():
    assert holds("detectable_format:bigram_wrapping", {}, "<<I am>> <<at home.>>")
    assert holds("bigram_wrapping", {}, "<<I am>> <<at home>> alone")  # ref: odd word is free
    assert holds("bigram_wrapping", {}, "<<I am at>> <<home now>>") is False
    assert holds("bigram_wrapping", {}, "<<I am>>. <<at home>>") is False
    assert holds("bigram_wrapping", {}, "")


def test_punctuation_dot_and_exclamation_forbid_the_ascii_mark_only():
    assert holds("punctuation:punctuation_dot", {}, "No dots here!")
    assert holds("punctuation_dot", {}, "Pi is 3.14") is False
    assert holds("punctuation_dot", {}, "Wait\u2026")  # ref: the ellipsis character is no dot
    assert holds("punctuation:punctuation_exclamation", {}, "Calm words.")
    assert holds("punctuation_exclamation", {}, "Wow!") is False
    assert holds("punctuation_exclamation", {}, "\u00a1Hola")


# --- layout -----------------------------------------------------------------------------


def test_paragraphs_wants_two_paragraphs_around_the_markdown_divider():
    assert holds("paragraphs:paragraphs", {}, "One.\n***\nTwo.")
    assert holds("paragraphs", {}, "***\nOne.\n***\nTwo.\n***\n")  # ref: empty edges ignored
    assert holds("paragraphs", {}, "One.\n***\n***\nTwo.") is False  # ref: empty middle fails
    assert holds("paragraphs", {}, "One.\n***\nTwo.\n***\nThree.") is False
    assert holds("paragraphs", {}, "One.\n\nTwo.") is False
    assert holds("paragraphs", {}, "One. * * * Two.") is False


def test_paragraphs2_wants_two_paragraphs_around_one_blank_line():
    assert holds("paragraphs:paragraphs2", {}, "One.\n\nTwo.")
    assert holds("paragraphs2", {}, "One.\n\nTwo.\n\n")
    assert holds("paragraphs2", {}, "One.\n\n\n\nTwo.") is False
    assert holds("paragraphs2", {}, "One.\nTwo.") is False
    assert holds("paragraphs2", {}, "One.\n\nTwo.\n\nThree.") is False
    assert holds("paragraphs2", {}, "") is False


# --- positions --------------------------------------------------------------------------


def test_first_word_sent_wants_every_sentence_to_open_with_the_word():
    kwargs = {"first_word": "then"}
    assert holds("first_word:first_word_sent", kwargs, "Then we eat. THEN we sleep!")
    assert holds("first_word_sent", kwargs, "Then we eat. We sleep.") is False
    # decif: the token's punctuation is dropped (ref compares "Then," with "then").
    assert holds("first_word_sent", kwargs, "Then, we eat. Then we sleep.")
    assert holds("first_word_sent", kwargs, "")  # ref: no sentence, nothing fails


def test_first_word_answer_wants_the_response_to_open_with_the_word():
    kwargs = {"first_word": "garden"}
    assert holds("first_word:first_word_answer", kwargs, "\n  Garden tips: water daily.")
    assert holds("first_word_answer", kwargs, "**Garden** tips")  # decif: punctuation dropped
    assert holds("first_word_answer", kwargs, "My garden") is False
    assert holds("first_word_answer", kwargs, "") is False


def test_last_word_sent_wants_every_sentence_to_close_with_the_word():
    kwargs = {"last_word": "today"}
    assert holds("last_word:last_word_sent", kwargs, "We plant today. We rest TODAY!")
    assert holds("last_word_sent", kwargs, 'We plant "today".')
    assert holds("last_word_sent", kwargs, "We plant today. We rest.") is False


def test_last_word_answer_wants_the_response_to_close_with_the_word():
    kwargs = {"last_word": "garden"}
    assert holds("last_word:last_word_answer", kwargs, "Welcome to the garden.")
    assert holds("last_word_answer", kwargs, "Welcome to the Garden!\n")
    assert holds("last_word_answer", kwargs, "garden is here") is False
    assert holds("last_word_answer", kwargs, "") is False  # ref: IndexError


def test_keyword_specific_position_counts_sentences_and_words():
    kwargs = {"keyword": "garden", "n": 2, "m": 3}
    assert holds("keywords:keyword_specific_position", kwargs, "We love it. The big garden grows.")
    assert holds("keyword_specific_position", kwargs, "We love it. The garden grows.") is False
    assert holds("keyword_specific_position", kwargs, "The big garden grows.") is False
    # decif: commas are no words (ref: NLTK makes "," the 2nd token here).
    assert holds("keyword_specific_position", kwargs, "We love it. Oh, my garden grows.")
    # decif: case is ignored (ref: "Garden" != "garden").
    first = {"keyword": "garden", "n": 1, "m": 1}
    assert holds("keyword_specific_position", first, "Garden beds grow well.")


def test_start_end_wants_the_same_first_and_last_word_and_nothing_after():
    assert holds("keywords:start_end", {}, "Hello there my friend hello")
    assert holds("start_end", {}, "Hello there HELLO\n")
    assert holds("start_end", {}, "Hello there hello.") is False  # ref: "." is the last token
    assert holds("start_end", {}, '"Hello there" Hello') is False  # ref: quote comes first
    assert holds("start_end", {}, '"Hello world"') is False
    assert holds("start_end", {}, "Hello") is False  # ref: at least two tokens


# --- word choice ------------------------------------------------------------------------


def test_word_once_wants_the_whole_word_exactly_once():
    kwargs = {"keyword": "garden"}
    assert holds("keywords:word_once", kwargs, "The GARDEN is lovely.")
    assert holds("word_once", kwargs, "A garden, a garden.") is False
    assert holds("word_once", kwargs, "No such word.") is False
    # decif: whole words (ref: substring counts, "gardens" is a second "garden" ...
    assert holds("word_once", kwargs, "Two gardens and one garden.")
    # ... and "gardener" alone includes it).
    assert holds("word_once", kwargs, "The gardener.") is False


def test_word_count_different_numbers_compares_whole_word_counts():
    at_least = {"keyword": "garden", "frequency": 2, "relation": "at least"}
    assert holds("keywords:word_count_different_numbers", at_least, "garden, Garden")
    assert holds("word_count_different_numbers", at_least, "garden") is False
    fewer = {**at_least, "relation": "less than"}
    assert holds("word_count_different_numbers", fewer, "garden")
    assert holds("word_count_different_numbers", fewer, "garden garden") is False
    assert holds("word_count_different_numbers", fewer, "gardening gardening")


def test_exclude_word_harder_forbids_the_word_in_any_case_or_position():
    kwargs = {"keyword": "garden"}
    assert holds("keywords:exclude_word_harder", kwargs, "The orchard is lovely.")
    # decif: ref only looks for " garden " in its exact case, so these pass there.
    assert holds("exclude_word_harder", kwargs, "Garden tips.") is False
    assert holds("exclude_word_harder", kwargs, "In my garden.") is False
    assert holds("exclude_word_harder", kwargs, "Gardening tips.")


def test_exclude_word_harder_binds_a_word_the_instruction_uses():
    kind = REGISTRY["keywords:exclude_word_harder"]
    assert kind.bind({"keyword": "garden"}, INSTRUCTION) == {"keyword": "garden"}
    bound = kind.bind({"keyword": "orchard"}, INSTRUCTION)
    assert bound["keyword"] in INSTRUCTION.lower()
    assert bound == kind.bind({"keyword": "orchard"}, INSTRUCTION)


def test_palindrome_wants_a_real_palindrome():
    assert holds("keywords:palindrome", {}, "We saw a racecar.")
    assert holds("palindrome", {}, "Level up.")
    assert holds("palindrome", {}, "Never odd or even.")  # decif: a sentence counts
    # decif: ref accepts any one-character token, so every "I" or "a" passes there.
    assert holds("palindrome", {}, "I am a cat.") is False
    assert holds("palindrome", {}, "") is False


def test_no_adjacent_consecutive_forbids_initials_in_alphabet_order():
    assert holds("keywords:no_adjacent_consecutive", {}, "Dogs chase balls outside.")
    assert holds("no_adjacent_consecutive", {}, "banana apple")  # ref: only a-then-b counts
    assert holds("no_adjacent_consecutive", {}, "Cats eat fish.") is False
    assert holds("no_adjacent_consecutive", {}, "Apple Banana") is False
    assert holds("no_adjacent_consecutive", {}, "1 2") is False  # ref: any characters
    # decif: the initial is past leading punctuation (ref: "(" and "(").
    assert holds("no_adjacent_consecutive", {}, "(apple) (banana)") is False
    assert holds("no_adjacent_consecutive", {}, "")


# --- counting ---------------------------------------------------------------------------


def test_lowercase_counting_caps_all_lowercase_words_in_the_whole_response():
    kwargs = {"N": 3}
    assert holds("count:lowercase_counting", kwargs, "The Cat Sat On The Mat.")
    assert holds("lowercase_counting", kwargs, "The cat sat on")  # 3 of them
    assert holds("lowercase_counting", kwargs, "the cat sat on") is False
    assert holds("lowercase_counting", kwargs, "Don't Stop Don't Stop Don't Stop Don't") is False
    assert holds("lowercase_counting", kwargs, "Caf\u00e9 caf\u00e9 caf\u00e9 caf\u00e9")


def test_letter_counting_counts_ascii_letters():
    assert holds("letters:letter_counting", {"N": 10, "relation": "at least"}, "abcde fghij")
    assert holds("letter_counting", {"N": 10, "relation": "at least"}, "abc 123 !!!") is False
    assert holds("letter_counting", {"N": 5, "relation": "less than"}, "abcd")
    assert holds("letter_counting", {"N": 5, "relation": "less than"}, "abcde") is False
    assert holds("letter_counting", {"N": 5, "relation": "less than"}, "\u00e9" * 9)


def test_letter_counting2_counts_one_letter_in_either_case():
    at_least = {"letter": "e", "let_frequency": 3, "let_relation": "at least"}
    assert holds("letters:letter_counting2", at_least, "Eee")
    assert holds("letter_counting2", at_least, "ee") is False
    fewer = {"letter": "Z", "let_frequency": 2, "let_relation": "less than"}
    assert holds("letter_counting2", fewer, "zebra")
    assert holds("letter_counting2", fewer, "Zizz") is False
    with pytest.raises(ValueError):
        holds("letter_counting2", {**at_least, "letter": "ab"}, "abc")


GRID = {"n_sent": 2, "n_words": 3}
GRID_TEXT = (
    "Birds sing loudly. Cats sleep soundly.\n***\n"
    "Rain falls gently. Winds don't stop.\n***\n"
    "Sun shines brightly. Days feel warm."
)


def test_counting_composition_wants_a_grid_of_paragraphs_sentences_and_words():
    assert holds("count:counting_composition", GRID, GRID_TEXT)
    assert holds("counting_composition", {**GRID, "n_words": 4}, GRID_TEXT) is False
    two_paragraphs = GRID_TEXT.rsplit("\n***\n", 1)[0]
    assert holds("counting_composition", GRID, two_paragraphs) is False
    assert holds("counting_composition", GRID, GRID_TEXT + "\n***\n") is False  # ref: edge
    three_sentences = GRID_TEXT.replace("Cats sleep soundly.", "Cats sleep soundly. Dogs run.")
    assert holds("counting_composition", GRID, three_sentences) is False


def test_counting_composition_accepts_the_divider_the_reference_states():
    # decif: ref states "* * *" but splits only on "***".
    assert holds("counting_composition", GRID, GRID_TEXT.replace("***", "* * *"))


def test_counting_composition_counts_words_not_punctuation():
    # decif: ref counts NLTK tokens, so "Birds sing." (two words and a dot) is its 3 words.
    short = "Birds sing. Cats sleep.\n***\nRain falls. Winds blow.\n***\nSun shines. Days pass."
    assert holds("counting_composition", GRID, short) is False
    assert holds("counting_composition", {**GRID, "n_words": 2}, short)


def test_count_unique_wants_no_word_twice_in_any_case():
    assert holds("count:count_unique", {}, "Every word here differs.")
    # decif: punctuation is no word (ref: the second "," fails), case is ignored (ref: case
    # matters, so "The ... the" passes there).
    assert holds("count_unique", {}, "Apples, pears, plums. Figs too.")
    assert holds("count_unique", {}, "The cat saw the dog.") is False
    assert holds("count_unique", {}, "")


def test_count_increment_word_wants_one_keyword_once_and_the_other_twice():
    kwargs = {"keyword1": "garden", "keyword2": "river"}
    assert holds("count:count_increment_word", kwargs, "A garden by the river, the River.")
    assert holds("count_increment_word", kwargs, "A river by the garden, the garden.") is False
    # decif: whole words (ref: "gardener" contains "garden").
    assert holds("count_increment_word", kwargs, "A gardener by the river, the river.") is False
