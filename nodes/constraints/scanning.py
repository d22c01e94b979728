"""IFEval's placeholder, bullet and title patterns, counted in time linear in the response.

IFEval finds these with `re.findall`, and on some texts those patterns take time
quadratic in the length: `\\[.*?\\]` on a run of "[", `^\\s*-.*$` on a run of blank lines,
`<<[^\\n]+>>` on a run of "<" each rescan the rest of the line or text from every start
(30,000 "[" took 7 s; a 1 MB run, hours). A response the model wrote - or a policy under
RL - must not be able to stall its own check, so decif counts the same matches with one
pass each. The regular expressions stay the specification: the tests compare both on
random texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NOT_SPACE = re.compile(r"\S")


def count_placeholders(text: str) -> int:
    """`len(re.findall(r"\\[.*?\\]", text))`: per line, each "[" with a "]" after it,
    the next search starting after that "]"."""
    count = 0
    for line in text.split("\n"):
        start = line.find("[")
        while start != -1:
            end = line.find("]", start + 1)
            if end == -1:  # no "]" later on this line: no later "[" can close either
                break
            count += 1
            start = line.find("[", end + 1)
    return count


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end == -1 else end


def count_line_items(text: str, item_end: Callable[[str, int], int | None]) -> int:
    """Non-overlapping matches of a MULTILINE `^\\s*ITEM` pattern: from a line start, the
    whitespace run (which may cross line breaks) ends at q; `item_end(text, q)` is where a
    match ends, or None. Backing off inside the run only lands on more whitespace, so a
    failed line start fails for every line start up to q too, and the scan goes on after q.
    """
    count, pos = 0, 0
    while pos <= len(text):
        found = _NOT_SPACE.search(text, pos)
        first = found.start() if found else len(text)
        end = item_end(text, first)
        if end is None:
            newline = text.find("\n", first)
        else:
            count += 1
            newline = end - 1 if text[end - 1 : end] == "\n" else text.find("\n", end)
        if newline == -1:
            break
        pos = newline + 1
    return count


def star_bullet_end(text: str, at: int) -> int | None:
    """`^\\s*\\*[^\\*].*$`: a "*", one character that is not "*" (a line break too), then
    the rest of that line."""
    if text[at : at + 1] == "*" and at + 1 < len(text) and text[at + 1] != "*":
        return _line_end(text, at + 2)
    return None


def dash_bullet_end(text: str, at: int) -> int | None:
    """`^\\s*-.*$`: a "-", then the rest of the line."""
    return _line_end(text, at + 1) if text[at : at + 1] == "-" else None


def titles(text: str) -> list[str]:
    """`re.findall(r"<<[^\\n]+>>", text)`: on each line at most one, from its first "<<"
    to its last ">>" with at least one character between."""
    found = []
    for line in text.split("\n"):
        start, end = line.find("<<"), line.rfind(">>")
        if start != -1 and end >= start + 3:
            found.append(line[start : end + 2])
    return found
