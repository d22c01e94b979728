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


IMPORT_ALONE = """
import importlib, os, pkgutil, sys, traceback

packages = sys.argv[1:]
modules = []
for package in packages:
    path = importlib.util.find_spec(package).submodule_search_locations
    found = [m.name for m in pkgutil.walk_packages(path, package + ".")]
    modules += [package] + [m for m in found if not m.endswith(".__main__")]  # runs the CLI
for module in modules:
    child = os.fork()
    if child == 0:  # a fresh interpreter as far as decif goes: nothing of it is imported
        try:
            importlib.import_module(module)
        except BaseException:
            print(f"import {module}: {traceback.format_exc(limit=-3)}", flush=True)
            os._exit(1)
        os._exit(0)
    os.waitpid(child, 0)
print(len(modules), "modules", flush=True)
"""


def test_every_module_imports_on_its_own():
    """A library user may import any module first, of any subpackage; none may hit a
    circular import. Each is imported in a child forked from an interpreter that has
    imported nothing of decif."""
    import subprocess
    import sys

    packages = ["graph", "nodes", "checkpoints", "prompts"]
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, *packages], capture_output=True, text=True
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines, result.stderr[-500:]
    assert lines[:-1] == [], "\n".join(lines[:-1])
    assert int(lines[-1].split()[0]) > 90  # subpackages included: graph.cli.*, nodes.llm.*


def test_no_module_imports_itself_through_others():
    """No import cycle among decif's modules, imports inside functions included (a cycle
    that only works because one side imports late is still one)."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent.parent
    files = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for package in ("graph", "nodes", "checkpoints", "prompts")
        for path in (root / package).rglob("*.py")
    }
    imports: dict[str, set[str]] = {}
    for module, path in files.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        # a module's own packages are imported before it anyway: no edge back to them
        imports[module] = {
            name for name in found if name in files and not f"{module}.".startswith(f"{name}.")
        }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for name in imports[start] - seen:
            seen.add(name)
            if name == goal or reaches(name, goal, seen):
                return True
        return False

    cycles = sorted(m for m in imports if reaches(m, m, set()))
    assert cycles == []
