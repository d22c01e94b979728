"""The dataset as a whole in the report: what curation flagged, and how varied the
accepted data is (`checkpoints/curation.py`, `checkpoints/diversity.py`)."""

from __future__ import annotations

from typing import Any

from graph.report.diversity_plots import groups_plot, heatmap_plot, lengths_plot, nearest_plot
from graph.report.format import or_dash
from graph.report.plots import plot

TOP_PAIRS = 10


def curation_text(stats: dict[str, Any]) -> list[str]:
    curation = stats.get("curation")
    if not curation or not curation["accepted"]:
        return []
    if not curation["curated"]:
        return ["", "curation: not run yet (decif curate; decif export runs it first)"]
    left_out = ", ".join(f"{n} {why}" for why, n in curation["left_out"].items()) or "nothing"
    lines = [
        "",
        f"curation: {curation['curated']} of {curation['accepted']} accepted samples curated;"
        f" exports leave out {left_out}",
        f"  near-duplicates {curation['near_duplicates']} (exact copies"
        f" {curation['exact_duplicates']})",
    ]
    if curation["uncurated"]:
        lines.append(f"  {curation['uncurated']} accepted since: decif curate checks them")
    for name, f in curation["contamination"].items():
        lines.append(
            f"  {name}: {f['samples']} samples match ({f['in_instruction']} instruction,"
            f" {f['in_response']} response, {f['template_hits']} template hits);"
            f" {f['template_words']}/{f['overlap_words']} overlapping words are decif's"
            " constraint sentences"
        )
    return lines


def diversity_text(stats: dict[str, Any]) -> list[str]:
    d = stats.get("diversity")
    if not d or not d["samples"]:
        return []
    lines = ["", f"diversity of the {d['samples']} accepted samples"]
    for field, figures in d["distinct_n"].items():
        values = "  ".join(f"{n}: {or_dash(v)}" for n, v in figures.items())
        lines.append(f"  distinct-n {field:<12} {values}  (over {d['distinct_n_sample']})")
    bins = "  ".join(f"{k}: {v}" for k, v in d["nearest_neighbour"].items())
    lines.append(f"  nearest neighbour similarity  {bins}")
    for name in ("domain", "request"):
        s = d[f"per_{name}"]
        lines.append(
            f"  per {name:<8} {s['groups']} {name}s, most {s['max']}, median {or_dash(s['median'])}"
        )
    for field, f in d["lengths"].items():
        lines.append(
            f"  {field} words  mean {or_dash(f['mean'])}, p10 {or_dash(f['p10'])}, median"
            f" {or_dash(f['median'])}, p90 {or_dash(f['p90'])}, max {or_dash(f['max'])}"
        )
    pairs = d["co_occurrence"]["pairs"][:TOP_PAIRS]
    if pairs:
        lines.append(
            "  constraint types drawn together most: "
            + ", ".join(f"{p['a']} + {p['b']} ({p['samples']})" for p in pairs)
        )
    return lines


def dataset_sections(stats: dict[str, Any], section, table) -> str:
    """The HTML sections, built with the page's own section and table helpers."""
    d = stats.get("diversity")
    if not d or not d["samples"]:
        return ""
    curation = stats["curation"]
    contamination = [
        (
            name,
            f["samples"],
            f["in_instruction"],
            f["in_response"],
            f["template_hits"],
            f["overlap_words"],
            f["template_words"],
        )
        for name, f in curation["contamination"].items()
    ]
    parts = [
        section(
            "Curation: what exports leave out",
            table(["reason", "samples"], list(curation["left_out"].items())),
            table(
                [
                    "evaluation set",
                    "samples matched",
                    "in instruction",
                    "in response",
                    "template hits",
                    "overlapping words",
                    "of them decif's sentences",
                ],
                contamination,
            )
            + table(
                ["figure", "value"],
                [
                    (
                        "accepted samples curated",
                        f"{curation['curated']} of {curation['accepted']}",
                    ),
                    ("near-duplicates", curation["near_duplicates"]),
                    ("exact copies among them", curation["exact_duplicates"]),
                ],
            ),
        ),
        section(
            "Nearest-neighbour similarity of instructions",
            plot(nearest_plot, d["nearest_neighbour"], height=2.6),
            table(["similarity", "instructions"], list(d["nearest_neighbour"].items())),
        ),
        section(
            "Distinct n-grams",
            "",
            table(
                ["text", *(f"distinct-{n}" for n in d["distinct_n"]["instruction"])],
                [(f, *(or_dash(v) for v in fig.values())) for f, fig in d["distinct_n"].items()],
            ),
        ),
        section(
            "Lengths",
            plot(lengths_plot, d["lengths"], height=2.4, width=9),
            table(
                ["text", "mean", "p10", "median", "p90", "max"],
                [
                    (f, *(or_dash(v[k]) for k in ("mean", "p10", "median", "p90", "max")))
                    for f, v in d["lengths"].items()
                ],
            ),
            wide=True,
        ),
        section(
            "Samples per domain and request",
            plot(
                groups_plot,
                [("domain", d["per_domain"]), ("request", d["per_request"])],
                height=0.8 + 0.3 * max(len(d["per_domain"]["top"]), 1),
                width=10,
            ),
            "",
            wide=True,
        ),
        section(
            "Constraint types drawn together",
            plot(heatmap_plot, d["co_occurrence"], height=7, width=8),
            table(
                ["type", "type", "samples"],
                [(p["a"], p["b"], p["samples"]) for p in d["co_occurrence"]["pairs"][:20]],
            ),
        ),
    ]
    return "".join(parts)
