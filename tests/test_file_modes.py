"""Files decif writes are readable as any other file in their directory: a new one gets the
mode the umask gives, a rewritten one keeps its own (atomic writes once made every file
0600, the temporary file's mode surviving the rename)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from test_export import PLANS, scripted_run

from checkpoints.files import atomic_open, write_atomic
from graph.export import export


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test (restored after)."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return scripted_run(tmp_path_factory.mktemp("run"), PLANS)


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_files_get_the_mode_the_umask_gives(tmp_path, umask, mask, expected):
    umask(mask)
    write_atomic(tmp_path / "a.json", "{}\n")
    with atomic_open(tmp_path / "b.bin", "wb") as file:
        file.write(b"\0")
    assert mode(tmp_path / "a.json") == mode(tmp_path / "b.bin") == expected


@pytest.mark.parametrize("fmt", ["llamafactory", "alpaca", "dpo", "rlvr", "hf"])
def test_every_file_an_export_writes_is_readable_by_others_under_umask_022(
    fmt, store, tmp_path, umask
):
    if fmt == "hf":
        pytest.importorskip("pyarrow")
    umask(0o022)
    out = tmp_path / "export" / ("hf" if fmt == "hf" else "data.jsonl")
    done = export(store.rows(), out, fmt, run_dir=store.path.parent)
    written = [p for p in (tmp_path / "export").rglob("*") if p.is_file()]
    assert set(done.files) <= set(written) and written
    assert {p.name: oct(mode(p)) for p in written} == {p.name: "0o644" for p in written}


def test_a_rewritten_file_keeps_its_mode(tmp_path, umask):
    umask(0o077)  # would make a new file 0600
    shared = tmp_path / "dataset_info.json"
    shared.write_text(json.dumps({"theirs": {"file_name": "theirs.json"}}))
    shared.chmod(0o664)
    private = tmp_path / "secret.txt"
    private.write_text("old")
    private.chmod(0o600)
    write_atomic(shared, "{}\n")
    write_atomic(private, "new")
    assert (mode(shared), mode(private)) == (0o664, 0o600)
    assert private.read_text() == "new"


def test_an_export_beside_llamafactorys_dataset_info_keeps_that_files_mode(store, tmp_path, umask):
    umask(0o077)
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}))
    info.chmod(0o644)
    export(store.rows(), tmp_path / "decif.jsonl", "llamafactory")
    assert mode(info) == 0o644
    assert set(json.loads(info.read_text())) == {"alpaca_en_demo", "decif"}
    assert mode(tmp_path / "decif.jsonl") == 0o600  # new, under umask 077


def test_no_temporary_file_is_left_when_a_write_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "x.txt") as file:
        file.write("half")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
