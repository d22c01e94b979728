"""Turn a list-shaped model reply into clean items, and say what was dropped and why.

Structured output ({"items": [...]}) is asked for where the backend has it; a reply that is
not that JSON is read line by line (hyphen, bullet or number prefixed), so a model or
server without grammars still yields items, and prose, think blocks and junk yield none.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from nodes.llm import LLM, Completion, Sampling, ask, parse_json, strip_think

_PREFIX = re.compile(r"^\s*(?:[-*\u2022]+|\d+[.)]|\(\d+\))\s*")
_WRAPPING = "\"'`*“”‘’ \t"


ITEM_PATTERN = r"^[^\"\\\n]{3,80}$"


def items_schema(max_items: int, pattern: str = ITEM_PATTERN) -> dict:
    """Exactly `max_items` one-line strings: small models otherwise return an empty list,
    or break out of a string into prose."""
    return {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "string", "pattern": pattern},
                "minItems": max_items,
                "maxItems": max_items,
            }
        },
        "required": ["items"],
    }


def raw_items(text: str) -> tuple[list[str], Counter]:
    """The reply's items before any stage rule: JSON items, else prefixed lines."""
    dropped: Counter = Counter()
    try:
        data = parse_json(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return [str(item) for item in data["items"]], dropped
    items = []
    for line in strip_think(text).splitlines():
        if not line.strip():
            continue
        if _PREFIX.match(line):
            items.append(_PREFIX.sub("", line, count=1))
        else:
            dropped["not_a_list_item"] += 1
    return items, dropped


def clean(item: str) -> str:
    """Strip quotes, markdown emphasis, a trailing colon and surrounding space."""
    return " ".join(item.strip(_WRAPPING).rstrip(":").strip(_WRAPPING).split())


def dedup_key(item: str) -> str:
    return " ".join(item.lower().split())


Rule = Callable[[str], str | None]  # the reason to drop an item, or None to keep it


def parse_items(
    text: str, rule: Rule, seen: set[str] | None = None, transform: Callable[[str], str] = str
) -> tuple[list[str], dict[str, int]]:
    """Items that pass `rule` and are new against `seen` (updated in place), and the
    count of dropped items per reason."""
    seen = set() if seen is None else seen
    candidates, dropped = raw_items(text)
    kept = []
    for candidate in candidates:
        item = transform(clean(candidate))
        reason = "empty" if not item else rule(item)
        if reason is None and dedup_key(item) in seen:
            reason = "duplicate"
        if reason:
            dropped[reason] += 1
            continue
        seen.add(dedup_key(item))
        kept.append(item)
    return kept, dict(dropped)


def at_most_words(limit: int) -> Rule:
    return lambda item: f"over_{limit}_words" if len(item.split()) > limit else None


def scenario_rule(item: str) -> str | None:
    """1-2 sentences with some substance."""
    if len(item.split()) < 5:
        return "too_short"
    if len(re.findall(r"[.!?](?:\s|$)", item + " ")) > 2:
        return "over_2_sentences"
    return None


def ask_items(
    llm: LLM,
    prompt: str,
    sampling: Sampling,
    key: object,
    max_items: int,
    rule: Rule,
    transform: Callable[[str], str] = str,
    pattern: str = ITEM_PATTERN,
    **values: object,
) -> tuple[dict, Completion]:
    """One list-generating call for fan-out task `key`: its batch (the kept items and a
    record of what was dropped and why) and the completion, for its accounting."""
    completion = ask(llm, prompt, sampling, items_schema(max_items, pattern), **values)
    items, dropped = parse_items(completion.text, rule, transform=transform)
    return {"key": key, "items": items, "kept": len(items), "dropped": dropped}, completion
