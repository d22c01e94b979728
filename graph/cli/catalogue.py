"""`decif constraints`: the constraint catalogue a run draws from."""

from __future__ import annotations

import json

import click

from nodes.state import CATALOGUES


@click.command("constraints")
@click.option(
    "--catalogue",
    type=click.Choice(list(CATALOGUES)),
    default="all",
    show_default=True,
    help="decif: DecIF's own catalogue; all: also open-instruct's IF-RLVR training types.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def constraints(catalogue: str, as_json: bool) -> None:
    """List the constraint types: id, short name, where the type comes from, and how it is
    verified (code: a deterministic checker; judge: a yes/no question to the LLM judge).
    With --json, also each type's phrasings: the template per style that decif appends
    when a constraint is not woven into the request ({field} marks where values go), and
    the scopes it may have in a conversation (turn, from_now_on, system).

    Ids and names are what --constraint-types takes, and what `nodes.constraints.check`
    takes in Python (IFEval's ids and kwargs work as IFEval writes them).
    """
    from nodes.constraints import types_of
    from nodes.constraints.scopes import scopes_of

    kinds = types_of(CATALOGUES[catalogue])
    if as_json:
        rows = [
            {
                "id": k.id,
                "name": k.name,
                "source": k.source,
                "verified_by": "code" if k.verifiable else "judge",
                "description": k.description,
                "conflicts": sorted(k.conflicts),
                "phrasings": k.phrasings.templates(),
                "scopes": scopes_of(k),
            }
            for k in kinds
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for k in kinds:
        by = "code" if k.verifiable else "judge"
        click.echo(f"{k.id:<46} {k.name:<28} {k.source:<8} {by:<6} {k.description}")
    click.echo(f"{len(kinds)} types")
