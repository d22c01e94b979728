"""The Hugging Face export: a folder `datasets` loads, with a card that says how the data
was made."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from click.testing import CliRunner
from test_export import GOOD, PLANS, scripted_run

from graph.cli import cli
from graph.export import export
from nodes.constraints import check


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    store = scripted_run(tmp_path_factory.mktemp("run"), PLANS)
    out = tmp_path_factory.mktemp("hub") / "decif-if"
    done = export(store.rows(), out, "hf", run_dir=store.path.parent)
    assert done.count == 4
    return out


def card_header(folder) -> dict:
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_the_folder_loads_with_datasets(folder, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    files = str(folder / "data" / "*.parquet")
    data = datasets.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path))["train"]
    assert data.num_rows == 4
    assert {r["response"] for r in data} == {GOOD}
    assert [m["role"] for m in data[0]["messages"]] == ["user", "assistant"]
    # the card's `configs` make the folder itself a dataset
    assert datasets.load_dataset(str(folder), cache_dir=str(tmp_path))["train"].num_rows == 4


def test_the_card_holds_the_model_settings_and_counts(folder):
    made = card_header(folder)["decif"]
    assert made["model"] == "scripted-model" and made["backend"] == "llamacpp"
    assert made["settings"]["max_attempts"] == 4
    assert made["counts"] == {"rows": 4, "samples": 5, "accepted": 4, "rejected": 1, "failed": 0}
    assert made["acceptance"] == 0.8
    text = (folder / "README.md").read_text()
    assert "Counts: rows 4, samples 5, accepted 4, rejected 1, failed 0; acceptance 0.8" in text


def test_the_card_gives_acceptance_and_pass_rate_by_constraint_type(folder):
    [figures] = card_header(folder)["decif"]["constraint_types"]
    assert figures["type"] == "punctuation:no_comma" and figures["checked_by"] == "code"
    assert (figures["stated"], figures["accepted"], figures["acceptance"]) == (5, 4, 0.8)
    assert 0 < figures["pass_rate"] < 1  # the comma answers failed it
    assert "| `punctuation:no_comma` | code | 5 | 4 | 0.8 |" in (folder / "README.md").read_text()


def test_each_row_keeps_its_constraints_to_recheck_its_response(folder):
    pq = pytest.importorskip("pyarrow.parquet")
    for row in pq.read_table(folder / "data").to_pylist():
        constraints = json.loads(row["constraints"])
        assert all(check(c["id"], c["kwargs"], row["response"]) for c in constraints)


def test_llamafactory_reads_the_folder_as_an_sft_dataset(folder):
    entry = json.loads((folder.parent / "dataset_info.json").read_text())["decif-if"]
    assert entry["file_name"] == "decif-if/data" and entry["formatting"] == "sharegpt"
    assert "stage: sft" in (folder.parent / "decif-if.sft.yaml").read_text()


def test_without_pyarrow_the_hf_export_stops_with_one_line(folder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    run = next(folder.parent.parent.glob("run*"))
    out = tmp_path / "hub"
    result = CliRunner().invoke(
        cli, ["export", "--run", str(run), "--format", "hf", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert result.output.strip().endswith("needs pyarrow: pip install 'decif[hf]'")
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
