"""An HTML table of figures, every cell escaped; numbers aligned right."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape


def table(header: Sequence[str], body: Iterable[Sequence[object]]) -> str:
    body = list(body)
    if not body:
        return '<p class="empty">no samples</p>'
    numeric = [all(numberlike(row[i]) for row in body) for i in range(len(header))]

    def cells(tag: str, values: Sequence[object]) -> str:
        return "".join(
            f"<{tag}{' class=num' if right else ''}>{escape(str(value))}</{tag}>"
            for value, right in zip(values, numeric, strict=True)
        )

    rows = "".join(f"<tr>{cells('td', row)}</tr>" for row in body)
    return f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{rows}</tbody></table>"


def numberlike(value: object) -> bool:
    """Numbers, percentages and the '-' of a missing figure line up on the right."""
    if isinstance(value, int | float):
        return True
    text = str(value).rstrip("%")
    return text == "-" or text.replace(".", "", 1).isdigit()
