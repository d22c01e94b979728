"""Prompt templates as editable text files, one per node.

A file holds `[system]` and `[user]` sections; `$name` placeholders are filled by
`render` (string.Template, so JSON braces in a prompt need no escaping).
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from string import Template

_SECTION = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)


@cache
def load(name: str) -> list[tuple[str, Template]]:
    """The (role, template) sections of `prompts/<name>.txt`."""
    text = (importlib.resources.files(__package__) / f"{name}.txt").read_text(encoding="utf-8")
    parts = _SECTION.split(text)[1:]
    if not parts:
        raise ValueError(f"prompt {name!r} has no [system]/[user] section")
    return [
        (role, Template(body.strip())) for role, body in zip(parts[::2], parts[1::2], strict=True)
    ]


def render(name: str, **values: object) -> list[dict[str, str]]:
    """Chat messages for prompt `name`; a missing placeholder value raises KeyError."""
    return [{"role": role, "content": template.substitute(values)} for role, template in load(name)]


def names() -> list[str]:
    """Every prompt file's name."""
    files = importlib.resources.files(__package__).iterdir()
    return sorted(f.name.removesuffix(".txt") for f in files if f.name.endswith(".txt"))
