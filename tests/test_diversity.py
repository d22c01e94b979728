"""The dataset-wide figures of `decif stats`: distinct-n, nearest-neighbour similarity,
samples per domain and request, constraint types drawn together, lengths - in the JSON,
the text and the offline HTML report."""

from __future__ import annotations

import json

from click.testing import CliRunner
from curated_runs import BASE, NO_COMMA, accepted_state

from checkpoints import SampleStore
from checkpoints.diversity import distinct_n
from checkpoints.stats import run_stats
from graph.cli import cli

LOWER = {"id": "change_case:english_lowercase", "kwargs": {}}
WORDS = {
    "id": "length_constraints:number_words",
    "kwargs": {"relation": "less than", "num_words": 90},
}
SAMPLES = [  # instruction, response, constraints, domain, request
    (BASE, "one two three four", [NO_COMMA, LOWER], "home", "write a note"),
    (BASE.upper(), "one two five", [NO_COMMA, LOWER], "home", "write a note"),
    ("Plan a picnic <b>now</b>.", "six", [NO_COMMA, WORDS], "leisure", "plan an outing"),
]


def make_run(run_dir):
    store = SampleStore(run_dir)
    for i, (instruction, response, constraints, domain, request) in enumerate(SAMPLES):
        sample = {"id": f"s{i}", "position": i, "domain": domain, "request": request,
                  "scenario": "x"}  # fmt: skip
        store.record(sample, accepted_state(instruction, response, constraints))
    return run_dir


def test_distinct_n_is_distinct_over_all_n_grams():
    figures = distinct_n([["a", "b", "c"], ["a", "b", "d"]])
    assert figures == {"1": round(4 / 6, 4), "2": 0.75, "3": 1.0, "4": None}


def test_the_figures_of_a_small_run(tmp_path):
    run_dir = make_run(tmp_path / "run")
    assert CliRunner().invoke(cli, ["curate", "--run", str(run_dir)]).exit_code == 0

    d = run_stats(run_dir)["diversity"]

    assert d["samples"] == 3
    assert d["distinct_n"]["response"]["1"] == round(6 / 8, 4)
    assert d["nearest_neighbour"]["1.0"] == 2  # the two copies are each other's nearest
    assert d["nearest_neighbour"]["none"] == 1
    assert d["per_domain"]["groups"] == 2 and d["per_domain"]["top"][0] == {
        "name": "home",
        "samples": 2,
    }
    assert d["per_request"]["max"] == 2
    pairs = {(p["a"], p["b"]): p["samples"] for p in d["co_occurrence"]["pairs"]}
    assert pairs == {(LOWER["id"], NO_COMMA["id"]): 2, (WORDS["id"], NO_COMMA["id"]): 1}
    assert d["co_occurrence"]["types"][NO_COMMA["id"]] == 3
    assert d["lengths"]["response"]["max"] == 4 and d["lengths"]["response"]["mean"] == 2.7


def test_stats_show_curation_and_diversity_in_text_and_an_offline_page(tmp_path):
    run_dir = make_run(tmp_path / "run")
    runner = CliRunner()
    text = runner.invoke(cli, ["stats", "--run", str(run_dir)]).output
    assert "curation: not run yet" in text
    assert "distinct-n instruction" in text and "nearest neighbour similarity" in text

    assert runner.invoke(cli, ["curate", "--run", str(run_dir)]).exit_code == 0
    page = tmp_path / "report.html"
    result = runner.invoke(cli, ["stats", "--run", str(run_dir), "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    headings = [
        "Curation: what exports leave out",
        "Nearest-neighbour similarity of instructions",
        "Distinct n-grams",
        "Lengths",
        "Samples per domain and request",
        "Constraint types drawn together",
    ]
    for heading in headings:
        assert f"<h2>{heading}</h2>" in html
    assert "<b>now</b>" not in html  # text a model wrote is never markup
    assert 'src="http' not in html and "<link" not in html and "<script" not in html
    assert json.loads(runner.invoke(cli, ["stats", "--run", str(run_dir), "--json"]).output)[
        "curation"
    ]["left_out"] == {"near_duplicate": 1}
