from __future__ import annotations

import json

from graph.scenarios import load_scenarios


def test_reference_json_shape_is_read(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps({"plan a trip": ["A student...", "A family..."], "fix a bug": ["A dev..."]})
    )
    scenarios = load_scenarios(path)
    assert [(s.request, s.scenario) for s in scenarios] == [
        ("plan a trip", "A student..."),
        ("plan a trip", "A family..."),
        ("fix a bug", "A dev..."),
    ]


def test_ids_are_stable_and_exact_repeats_collapse(tmp_path):
    path = tmp_path / "s.jsonl"
    line = json.dumps({"domain": "Travel", "request": "plan a trip", "scenario": "A student."})
    other = json.dumps({"request": "plan a trip", "scenario": "A family."})
    path.write_text(f"{line}\n\n{other}\n{line}\n")
    first = load_scenarios(path)
    assert len(first) == 2
    assert first[0].domain == "Travel"
    assert [s.id for s in first] == [s.id for s in load_scenarios(path)]
    assert first[0].id != first[1].id


def test_every_module_imports_on_its_own():
    """A library user may import any module first; none may hit a circular import."""
    import importlib
    import pkgutil
    import subprocess
    import sys

    for package in ("graph", "nodes", "checkpoints", "prompts"):
        modules = [package] + [
            f"{package}.{m.name}"
            for m in pkgutil.iter_modules(importlib.import_module(package).__path__)
        ]
        for module in modules:
            result = subprocess.run(
                [sys.executable, "-c", f"import {module}"], capture_output=True, text=True
            )
            assert result.returncode == 0, f"import {module}: {result.stderr[-300:]}"
