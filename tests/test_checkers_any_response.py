"""A checker gives a verdict for any response: `check()` returns True or False for every
string, and raises only for malformed kwargs, always as ValueError.

As an RL reward, a raise fails a training step; as decif's own filter, a response the
model wrote must never be able to crash a sample. The fuzz below is seeded and bounded:
every code-checked type, with kwargs drawn as a run draws them, against random unicode
(letters whose case mapping changes length, control characters, lone surrogates),
markup fragments, deep nesting, an empty text and a 1 MB text.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nodes.constraints import REGISTRY, DrawContext, check
from nodes.constraints.scanning import (
    count_line_items,
    count_placeholders,
    dash_bullet_end,
    star_bullet_end,
    titles,
)

ROOT = Path(__file__).parent.parent
CONTEXT = DrawContext(
    request="write a garden newsletter",
    scenario="A retired teacher tells neighbours about the community garden harvest festival",
)
INSTRUCTION = "Write a short newsletter for the community garden about the harvest festival."
# Letters whose lower or upper case is longer or shorter than themselves, or special.
CASE_TRAPS = "İıßẞﬁﬀŉǰΐΰσςǅǈẖ"
CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\ufeff\u200b\u200d\r\t"
SURROGATES = "\ud800\udbff\udc00\udfff"
FRAGMENTS = (
    "***", "* * *", "******", "<<", ">>", "[", "]", "```", "```json", "P.S.", "P.P.S",
    "Section 1", "SECTION 2", "\n\n", "\n- ", "\n* ", '"', "{", "}", "<p>", "</p>", "...",
    "?!", "\u2014", "-", "İstanbul", "Then", "garden", "level", "Ada", "{\"a\": [1, 2]}",
)  # fmt: skip
BLOCKS = ((0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x52F), (0x590, 0x6FF), (0x3040, 0x30FF),
          (0x4E00, 0x4FFF), (0x1F300, 0x1F64F), (0x0300, 0x036F))  # fmt: skip


def random_text(rng: random.Random, pieces: int) -> str:
    out = []
    for _ in range(pieces):
        roll = rng.random()
        if roll < 0.35:
            low, high = rng.choice(BLOCKS)
            out.append("".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 8))))
        elif roll < 0.55:
            out.append(rng.choice(FRAGMENTS))
        elif roll < 0.7:
            out.append(rng.choice(CASE_TRAPS) + rng.choice(["stanbul", "", "a", "B"]))
        elif roll < 0.8:
            out.append(rng.choice(CONTROLS))
        elif roll < 0.85:
            out.append(rng.choice(SURROGATES))
        else:
            out.append(rng.choice(["the", "a", "b", "and", "Now", "i", "j"]))
        out.append(rng.choice([" ", " ", "", "\n", ". ", ", "]))
    return "".join(out)


def one_megabyte(rng: random.Random) -> str:
    """1 MB of the same material, in long runs between spaces and full stops."""
    chunks, size = [], 0
    while size < 1_000_000:
        chunk = random_text(rng, 400).replace(" ", "")  # long tokens: few for NLTK to walk
        chunks.append(chunk)
        size += len(chunk) + 2
    return ". ".join(chunks)[:1_000_000]


FIXED = [
    "",
    " ",
    "\n\n",
    "İ",
    "İstanbul jam is a treat",
    "Ä°stanbul",
    "[" * 100_000,
    '{"a":' * 50_000,
    "<a>" * 50_000 + "</a>" * 50_000,
    "<r>\ud800</r>",
    "\x00" * 50,
    ". " * 5_000,
]
CODE_CHECKED = [kind for kind in REGISTRY.values() if kind.verifiable]


def drawn_kwargs(kind, seed: int) -> dict:
    kwargs = kind.draw(random.Random(seed), CONTEXT)
    return kind.bind(kwargs, INSTRUCTION) if kind.bind else kwargs


@pytest.mark.parametrize("kind", CODE_CHECKED, ids=lambda kind: kind.id)
def test_every_response_string_gets_a_verdict(kind):
    rng = random.Random(f"fuzz/{kind.id}")
    texts = FIXED + [random_text(rng, rng.choice([1, 3, 10, 60, 250])) for _ in range(24)]
    for seed in (0, 1):
        kwargs = drawn_kwargs(kind, seed)
        for text in texts:
            assert check(kind.id, kwargs, text) in (True, False), (kwargs, text[:80])


def test_a_one_megabyte_response_gets_a_verdict_from_every_type():
    text = one_megabyte(random.Random(14))
    assert len(text) == 1_000_000
    for kind in CODE_CHECKED:
        assert check(kind.id, drawn_kwargs(kind, 0), text) in (True, False), kind.id


def test_a_word_starting_with_a_letter_that_lower_cases_to_two_code_points():
    """ "İ" lower-cases to "i" and a combining dot: its initial is "i"."""
    rule = "keywords:no_adjacent_consecutive"
    assert check(rule, {}, "İstanbul is lovely") is True
    assert check(rule, {}, "İstanbul jam") is False  # i, then j
    assert check(rule, {}, "Hİ there") is True


FRESH_LIMIT = """
from nltk import redos
redos.DEFAULT_TIMEOUT = 1e-9  # every match would time out
from nodes.constraints import check
kwargs = {"capital_relation": "at least", "capital_frequency": 2}
print(check("change_case:capital_word_frequency", kwargs, "BIG NEWS. It is HERE."))
print(redos.DEFAULT_TIMEOUT)
"""


def test_nltks_regex_time_limit_does_not_decide_a_verdict(tmp_path):
    """Recent NLTK raises TimeoutError past a wall-clock limit on its own patterns, so a long
    response could fail on a busy machine; decif lifts that limit when it loads NLTK (once
    per process: so in a fresh one, with the limit set before)."""
    pytest.importorskip("nltk.redos")
    script = tmp_path / "limit.py"
    script.write_text(FRESH_LIMIT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "None"]


# -- malformed kwargs: ValueError, and only then -------------------------------------------

ONE_ITEM_LISTS = [
    ("first_word:first_word_sent", {"first_word": ["then"]}, "Then we go. Then we stop."),
    ("first_word:first_word_answer", {"first_word": ["garden"]}, "Garden news today."),
    ("last_word:last_word_sent", {"last_word": ["today"]}, "We rest today. They sing today!"),
    ("last_word:last_word_answer", {"last_word": ["today"]}, "We rest today."),
    (
        "keywords:keyword_specific_position",
        {"keyword": ["garden"], "n": 1, "m": 2},
        "Our garden grows.",
    ),
    (
        "count:count_increment_word",
        {"keyword1": ["rain"], "keyword2": ["sun"]},
        "Rain, then sun and more sun.",
    ),
]


@pytest.mark.parametrize("type_id,kwargs,response", ONE_ITEM_LISTS)
def test_one_item_list_kwargs_as_open_instruct_writes_them_are_read(type_id, kwargs, response):
    as_words = {k: v[0] if isinstance(v, list) else v for k, v in kwargs.items()}
    assert check(type_id, kwargs, response) is True
    assert check(type_id, kwargs, response) == check(type_id, as_words, response)
    assert check(type_id, kwargs, "Something else entirely.") is False


@pytest.mark.parametrize(
    "type_id,kwargs",
    [
        ("keywords:keyword_specific_position", {"keyword": ["a", "b"], "n": 1, "m": 1}),
        ("keywords:keyword_specific_position", {"keyword": 7, "n": 1, "m": 1}),
        ("count:count_increment_word", {"keyword1": ["a", "b"], "keyword2": "c"}),
        ("count:count_increment_word", {"keyword1": None, "keyword2": "c"}),
        ("first_word:first_word_answer", {"first_word": ["a", "b"]}),
        ("last_word:last_word_sent", {"last_word": 3}),
        ("first_word:first_word_answer", {"first_word": "```"}),
        ("last_word:last_word_answer", {"last_word": "..."}),
        ("keywords:word_once", {"keyword": "  "}),
        (
            "keywords:letter_frequency",
            {"letter": "ab", "let_frequency": 2, "let_relation": "at least"},
        ),
    ],
)
def test_malformed_kwargs_are_a_value_error(type_id, kwargs):
    with pytest.raises(ValueError, match=type_id.split(":")[0]):
        check(type_id, kwargs, "Some response, with words and ``` marks ... here.")


def test_an_all_punctuation_word_never_matches_punctuation_in_the_response():
    """'```' compared without punctuation is "", which every punctuation-only token is too:
    such a word is refused rather than matched."""
    for type_id, key in [("first_word:first_word_answer", "first_word"),
                         ("last_word:last_word_answer", "last_word")]:  # fmt: skip
        with pytest.raises(ValueError):
            check(type_id, {key: "```"}, "``` code ```")


def test_a_response_that_is_not_a_string_is_refused_as_such():
    with pytest.raises(TypeError, match="string"):
        check("punctuation:no_comma", {}, None)  # type: ignore[arg-type]


# -- IFEval's quadratic patterns, counted in linear time ------------------------------------

SPECS = {
    "placeholders": (re.compile(r"\[.*?\]"), count_placeholders),
    "star bullets": (
        re.compile(r"^\s*\*[^\*].*$", flags=re.MULTILINE),
        lambda text: count_line_items(text, star_bullet_end),
    ),
    "dash bullets": (
        re.compile(r"^\s*-.*$", flags=re.MULTILINE),
        lambda text: count_line_items(text, dash_bullet_end),
    ),
    "titles": (re.compile(r"<<[^\n]+>>"), lambda text: len(titles(text))),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_linear_counts_find_what_ifevals_patterns_find(name):
    pattern, count = SPECS[name]
    rng = random.Random(name)
    alphabet = ["[", "]", "*", "-", "<", ">", " ", "\t", "\n", "\u00a0", "a", "b", "**", "<<"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert count(text) == len(pattern.findall(text)), repr(text)
    assert titles("<<a>> x <<b>>\n<<>> <<  >>") == ["<<a>> x <<b>>", "<<>> <<  >>"]


def test_the_postscript_search_finds_what_ifevals_patterns_find():
    from nodes.constraints.detectable import postscript_pattern

    rng = random.Random("postscript")
    alphabet = ["p", ".", "s", " ", "\n", "\t", "x", "note:", "p.s."]
    for marker, spec in [
        ("P.P.S", r"\s*p\.\s?p\.\s?s.*$"),
        ("P.S.", r"\s*p\.\s?s\..*$"),
        ("Note:", r"\s*note:.*$"),
    ]:
        ifeval = re.compile(spec, flags=re.MULTILINE)
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
            found = postscript_pattern(marker).search(text) is not None
            assert found == (ifeval.search(text) is not None), (marker, text)


@pytest.mark.parametrize(
    "type_id,kwargs,text",
    [
        ("detectable_content:number_placeholders", {"num_placeholders": 1}, "[" * 1_000_000),
        ("detectable_format:number_bullet_lists", {"num_bullets": 1}, "\n" * 1_000_000),
        ("detectable_format:number_bullet_lists", {"num_bullets": 1}, " \n" * 500_000 + "- x"),
        ("detectable_content:postscript", {"postscript_marker": "P.S."}, "\n" * 1_000_000),
        ("detectable_format:title", {}, "<" * 1_000_000),
    ],
)
def test_texts_that_are_quadratic_for_ifevals_patterns_are_checked_at_once(type_id, kwargs, text):
    assert check(type_id, kwargs, text) in (True, False)  # hours with IFEval's patterns
