"""Scenario files: what the sample graph runs on.

JSONL, one `{"domain"?, "request", "scenario", "personas"?}` per line, a JSON array of such
objects,
or the reference's JSON `{request: [scenario, ...]}`. Every scenario gets a stable id
from its content, so a rerun of the same file maps each line to the same LangGraph thread.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from graph.jsonl import jsonl_records
from nodes.state import SampleState


class ScenarioError(ValueError):
    """The scenarios file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Scenario:
    id: str
    request: str
    scenario: str
    domain: str = ""
    personas: tuple[str, ...] = ()  # who might be asking, when the file says

    def as_input(self) -> SampleState:
        start = SampleState(domain=self.domain, request=self.request, scenario=self.scenario)
        if self.personas:
            start["personas"] = list(self.personas)
        return start

    def to_dict(self) -> dict[str, str]:
        """The scenario as a row (queue, samples): its personas travel in the graph's state."""
        return {k: v for k, v in asdict(self).items() if k != "personas"}


def _records_from_reference_json(data: object, path: Path) -> list[dict]:
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: JSON must be an object {{request: [scenario, ...]}}")
    records = []
    for request, scenarios in data.items():
        if not isinstance(scenarios, list):
            raise ScenarioError(f"{path}: the value of {request!r} must be a list of scenarios")
        records += [{"request": request, "scenario": s} for s in scenarios]
    return records


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and validate a scenarios file (JSONL, or one JSON object)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenarios file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"cannot read scenarios file {path}: {err}") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # not one JSON document: read it as JSONL
    if isinstance(whole, dict) and not {"domain", "request", "scenario"} & whole.keys():
        records = _records_from_reference_json(whole, path)
    elif isinstance(whole, list):  # a JSON array of {"request", "scenario"} objects
        records = whole
    else:
        records = jsonl_records(text, path, ScenarioError)
    scenarios, seen = [], set()
    for number, record in enumerate(records, 1):
        scenario = _scenario(record, f"{path} record {number}")
        if scenario.id not in seen:  # an exact repeat is the same sample
            seen.add(scenario.id)
            scenarios.append(scenario)
    if not scenarios:
        raise ScenarioError(f"{path} holds no scenarios")
    return scenarios


def _scenario(record: object, where: str) -> Scenario:
    if not isinstance(record, dict):
        raise ScenarioError(f"{where}: expected an object with 'request' and 'scenario'")
    fields: dict[str, Any] = {k: record.get(k) for k in ("domain", "request", "scenario")}
    for key in ("request", "scenario"):
        if not isinstance(fields[key], str) or not fields[key].strip():
            raise ScenarioError(f"{where}: '{key}' must be a non-empty string")
    if not isinstance(fields["domain"], str):
        fields["domain"] = ""
    for key, value in fields.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800" in the JSON
            raise ScenarioError(f"{where}: '{key}' is not valid Unicode text") from None
    personas = record.get("personas", [])
    if not (isinstance(personas, list) and all(isinstance(p, str) for p in personas)):
        raise ScenarioError(f"{where}: 'personas' must be a list of strings")
    scenario = make_scenario(fields["request"], fields["scenario"], fields["domain"])
    return replace(scenario, personas=tuple(p.strip() for p in personas if p.strip()))


def digest(scenarios: list[Scenario]) -> str:
    """A fingerprint of a scenario set (order and repeats aside): a run records it, so a
    rerun with another file is caught instead of silently mixed in."""
    ids = "\n".join(sorted({s.id for s in scenarios}))
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


def make_scenario(request: str, scenario: str, domain: str = "") -> Scenario:
    request, scenario, domain = request.strip(), scenario.strip(), domain.strip()
    digest = hashlib.sha1(f"{domain}\x1f{request}\x1f{scenario}".encode()).hexdigest()
    return Scenario(id=digest[:12], request=request, scenario=scenario, domain=domain)


def write_scenarios(scenarios: list[Scenario], path: str | Path) -> None:
    """Write JSONL (what `decif run --scenarios` reads) and, beside it with a .json
    suffix, the reference's {request: [scenario, ...]} shape."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        for s in scenarios:
            record = {"domain": s.domain, "request": s.request, "scenario": s.scenario}
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    by_request: dict[str, list[str]] = {}
    for s in scenarios:
        by_request.setdefault(s.request, []).append(s.scenario)
    reference = path.with_suffix(".json")
    reference.write_text(json.dumps(by_request, indent=2, ensure_ascii=False) + "\n")
