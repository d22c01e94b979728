"""Curation: near-duplicates found and kept first by position, instructions that contain an
evaluation prompt flagged and paraphrases not, incremental and idempotent reruns, kills
that change no flag, and evaluation files that cannot be read refused in one line."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from curated_runs import BASE, EVAL_PROMPT, NO_COMMA, accepted_state, bulk_run, planted_run

from checkpoints import SampleStore
from checkpoints.runs import open_run
from checkpoints.words import words
from graph.cli import cli
from nodes.constraints.stating import sentence

COMMAS = " " + sentence(NO_COMMA)  # as decif states the constraint
SENTENCES = BASE.split(". ")  # two sentences, for reordering
UNRELATED = [
    "Plan a three day trip to Lisbon for a student who loves museums and cheap food.",
    "Explain how vaccines train the immune system to a curious ten year old.",
    "Write a cover letter for a junior data analyst position at a logistics company.",
]


def curate(run_dir, *options: str):
    return CliRunner().invoke(cli, ["curate", "--run", str(run_dir), *map(str, options)])


def records(run) -> dict[str, dict]:
    return {row["id"]: row["curation"] for row in open_run(run).store().rows()}


def flags(run_dir) -> dict[str, list[str]]:
    return {sample: record["flags"] for sample, record in records(run_dir).items()}


def eval_file(path, prompts: dict[str, str]):
    path.write_text("".join(json.dumps({"key": k, "prompt": p}) + "\n" for k, p in prompts.items()))
    return path


def test_near_duplicates_by_edits_reordering_and_case_are_found_and_unrelated_texts_are_not(
    tmp_path,
):
    edited = BASE.replace("Tuesday", "Wednesday").replace("friendly", "polite")
    reordered = f"{SENTENCES[1]} {SENTENCES[0]}."  # the two sentences swapped
    shouting = BASE.upper().replace(".", "!!")
    instructions = [BASE + COMMAS, edited + COMMAS, reordered + COMMAS, shouting + COMMAS]
    planted_run(tmp_path, instructions + [u + COMMAS for u in UNRELATED])

    result = curate(tmp_path)

    assert result.exit_code == 0, result.output
    found = records(tmp_path)
    assert [found[f"s{i}"]["flags"] for i in range(1, 4)] == [["near_duplicate_of:s0"]] * 3
    assert found["s3"]["near_duplicate"] == {"of": "s0", "similarity": 1.0}  # equal once normalised
    assert 0.7 <= found["s1"]["near_duplicate"]["similarity"] < 1.0
    assert found["s0"]["flags"] == [] and "near_duplicate" not in found["s0"]
    assert all(found[f"s{i}"]["flags"] == [] for i in range(4, 7))  # share a sentence, no more
    assert "exports leave out: 3 near_duplicate" in result.output


def test_the_first_by_position_is_kept_when_an_earlier_sample_is_added_later(tmp_path):
    store = SampleStore(tmp_path)
    later = {"id": "late", "position": 5, "domain": "d", "request": "r", "scenario": "x"}
    store.record(later, accepted_state(BASE, "An answer"))
    assert curate(tmp_path).exit_code == 0
    assert flags(tmp_path) == {"late": []}

    early = {**later, "id": "early", "position": 1}
    store.record(early, accepted_state(BASE.replace("Tuesday", "Monday"), "Another answer"))
    assert curate(tmp_path).exit_code == 0

    assert flags(tmp_path) == {"early": [], "late": ["near_duplicate_of:early"]}


def test_an_instruction_that_contains_an_evaluation_prompt_is_flagged_and_a_paraphrase_is_not(
    tmp_path,
):
    paraphrase = (
        "Could you put together a brief travel blog entry on visiting Japan, under three "
        "hundred words, that brings up Kyoto's cherry blossoms twice?"
    )
    planted_run(
        tmp_path,
        [f"My teacher gave us this task: {EVAL_PROMPT}", paraphrase, UNRELATED[0], UNRELATED[1]],
        responses=["A post", "A post", "A plan", f"You asked me to {EVAL_PROMPT.lower()}"],
    )
    evals = eval_file(tmp_path / "eval.jsonl", {"1001": EVAL_PROMPT, "1002": UNRELATED[2]})

    result = curate(tmp_path, "--against", f"ifeval={evals}")

    assert result.exit_code == 0, result.output
    found = records(tmp_path)
    assert found["s0"]["flags"] == ["contaminated:ifeval:1001"]
    [match] = found["s0"]["contaminated"]
    assert match["field"] == "instruction" and match["score"] == 1.0
    assert "cherry blossoms in kyoto" in match["span"]
    assert found["s1"]["flags"] == []  # a paraphrase shares no 8 words in a row
    assert found["s2"]["flags"] == []
    assert [m["field"] for m in found["s3"]["contaminated"]] == ["response"]
    assert "2 samples match a prompt (1 in the instruction, 1 in the response" in result.output


def test_overlap_that_is_decif_s_own_constraint_sentence_is_told_apart(tmp_path):
    """An evaluation prompt that states a constraint as decif does: the match is flagged
    (the score is the score) and reported as a template hit."""
    planted_run(tmp_path, ["Write a limerick about a cat that hates Mondays." + COMMAS])
    evals = eval_file(tmp_path / "eval.jsonl", {"7": "Write a haiku about autumn." + COMMAS})

    result = curate(tmp_path, "--against", f"ifeval={evals}")

    [match] = records(tmp_path)["s0"]["contaminated"]
    assert match["template_share"] == 1.0
    assert "1 of them template hits" in result.output
    stats = json.loads(CliRunner().invoke(cli, ["stats", "--run", str(tmp_path), "--json"]).output)
    figures = stats["curation"]["contamination"]["ifeval"]
    assert figures["template_hits"] == 1
    assert figures["template_words"] == figures["overlap_words"] == len(words(COMMAS))


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("missing.jsonl", None, "evaluation file {path} not found"),
        ("broken.jsonl", '{"prompt": "fine"}\n{"prompt": \n', "{path} line 2: not valid JSON"),
        ("fields.jsonl", '{"text": "a prompt"}\n', "{path}: record 1 has no text field 'prompt'"),
        ("object.json", '{"prompt": "one"}', "{path} is not a JSON array of prompt records"),
        ("empty.jsonl", "\n", "evaluation file {path} holds no prompts"),
        ("prompts.txt", "a prompt\n", "{path}: an evaluation file must be JSONL, JSON or parquet"),
    ],
)
def test_an_unusable_evaluation_file_is_one_line_and_exit_2(tmp_path, name, content, expected):
    planted_run(tmp_path / "run", [BASE])
    path = tmp_path / name
    if content is not None:
        path.write_text(content)

    result = curate(tmp_path / "run", "--against", f"ifeval={path}")

    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {expected.format(path=path)}")
    assert len(result.output.strip().splitlines()) == 1
    assert records(tmp_path / "run") == {"s0": None}  # nothing was curated


def test_a_rerun_hashes_and_checks_only_what_is_new_and_writes_nothing_when_nothing_is(tmp_path):
    store = planted_run(tmp_path, [BASE, *UNRELATED])
    evals = eval_file(tmp_path / "eval.jsonl", {"1": EVAL_PROMPT})
    first = json.loads(curate(tmp_path, "--against", f"a={evals}", "--json").output)
    assert (first["hashed"], first["checked"], first["changed"]) == (4, {"a": 4}, 4)

    again = json.loads(curate(tmp_path, "--json").output)  # the run remembers its files
    assert (again["hashed"], again["checked"], again["changed"]) == (0, {}, 0)

    sample = {"id": "new", "position": 9, "domain": "d", "request": "r", "scenario": "x"}
    store.record(sample, accepted_state(BASE.upper(), "An answer"))
    more = json.loads(curate(tmp_path, "--json").output)
    assert (more["hashed"], more["checked"]) == (1, {"a": 1})
    assert more["left_out"] == {"near_duplicate": 1}
    assert more["changed"] == 2  # the copy, and its original (whose nearest neighbour it is)
    assert records(tmp_path)["s0"]["nearest"] == {"id": "new", "similarity": 1.0}

    other = eval_file(tmp_path / "other.jsonl", {"9": UNRELATED[0]})
    both = json.loads(curate(tmp_path, "--against", f"a={evals}", "--against", f"b={other}",
                             "--json").output)  # fmt: skip
    assert both["hashed"] == 0 and both["checked"] == {"a": 0, "b": 5}
    assert both["left_out"] == {"near_duplicate": 1, "contaminated:b": 1}


KILL_SAMPLES = 8_000


def test_a_killed_curation_changes_no_flag_and_its_rerun_hashes_only_the_rest(tmp_path):
    run_dir = tmp_path / "run"
    bulk_run(run_dir, KILL_SAMPLES)
    db = sqlite3.connect(run_dir / "samples.db")
    hashed = "select count(*) from curation_signatures"
    process = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "curate", "--run", str(run_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not 0 < db.execute(hashed).fetchone()[0] < KILL_SAMPLES:  # hashing, part-way
        assert process.poll() is None and time.monotonic() < deadline, "never seen part-way"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()

    kept = db.execute(hashed).fetchone()[0]
    assert 0 < kept < KILL_SAMPLES
    curated = "select count(*) from samples where curation is not null"
    assert db.execute(curated).fetchone()[0] == 0  # all the old records: none
    rerun = json.loads(curate(run_dir, "--json").output)
    assert rerun["hashed"] == KILL_SAMPLES - kept
    assert db.execute(curated).fetchone()[0] == KILL_SAMPLES
    resumed = records(run_dir)

    # the same flags as a curation that was never killed
    db.execute("delete from curation_signatures")
    db.execute("update samples set curation = null")
    db.commit()
    assert json.loads(curate(run_dir, "--json").output)["hashed"] == KILL_SAMPLES
    assert records(run_dir) == resumed


def test_a_run_in_postgresql_is_curated_as_a_directory_is_and_an_old_one_gets_the_column(
    postgres_run, tmp_path
):
    import psycopg

    from checkpoints.postgres import PostgresStore

    instructions = [BASE, BASE.upper(), f"Do this: {EVAL_PROMPT}", *UNRELATED]
    store = PostgresStore(postgres_run)
    with psycopg.connect(postgres_run, autocommit=True) as conn:  # as a run made before
        conn.execute("alter table samples drop column curation")
        conn.execute("drop table curation_signatures")
    store.close()
    store = PostgresStore(postgres_run)  # opening a run adds what it lacks
    for i, instruction in enumerate(instructions):
        sample = {"id": f"s{i}", "position": i, "domain": "d", "request": "r", "scenario": "x"}
        store.record(sample, accepted_state(instruction, "An answer"))
    planted_run(tmp_path / "dir", instructions)
    evals = eval_file(tmp_path / "eval.jsonl", {"1001": EVAL_PROMPT})

    for run in (postgres_run, tmp_path / "dir"):
        result = curate(run, "--against", f"ifeval={evals}")
        assert result.exit_code == 0, result.output

    assert flags(postgres_run) == flags(tmp_path / "dir") == {
        "s0": [], "s1": ["near_duplicate_of:s0"], "s2": ["contaminated:ifeval:1001"],
        "s3": [], "s4": [], "s5": [],
    }  # fmt: skip
    again = json.loads(curate(postgres_run, "--json").output)
    assert (again["hashed"], again["changed"]) == (0, 0)


def test_the_viewer_filters_samples_by_what_curation_flagged(tmp_path):
    from checkpoints.browse import Filters, reader

    planted_run(tmp_path, [BASE, BASE.upper(), f"Do this: {EVAL_PROMPT}", UNRELATED[0]])
    evals = eval_file(tmp_path / "eval.jsonl", {"1001": EVAL_PROMPT})
    assert curate(tmp_path, "--against", f"ifeval={evals}").exit_code == 0
    view = reader(open_run(tmp_path))

    def shown(curation: str) -> list[str]:
        return [row["id"] for row in view.page(Filters(curation=curation)).rows]

    assert shown("flagged") == ["s1", "s2"]
    assert shown("unflagged") == ["s0", "s3"]  # curated, with no flag
    assert shown("near_duplicate") == ["s1"] and shown("contaminated") == ["s2"]
