"""`decif curate`, and the curation `decif export` and `decif pipeline` run first.

A run remembers how it was curated (the `curation` section of its config: settings and
evaluation files), so a later curation - by `decif curate` without options, or by an
export that finds new samples - compares the same way against the same files.
"""

from __future__ import annotations

import json
from typing import Any

import click

from checkpoints.protocols import Run
from graph.cli.common import BadInput, require_run
from graph.cli.options import run_dir_option, stack

SETTINGS = ("ngram", "num_perm", "threshold", "match_ngram", "match_threshold")


def parse_against(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    pairs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"{value!r} is not NAME=FILE (e.g. ifeval=input_data.jsonl)")
        pairs.append((name, path))
    return tuple(pairs)


against_options = stack(
    click.option(
        "--against",
        multiple=True,
        metavar="NAME=FILE",
        callback=parse_against,
        help="An evaluation set to decontaminate against (repeat for several): IFEval's "
        "input_data.jsonl, IFBench's IFBench_test.jsonl, or any JSONL, JSON array or parquet "
        "of prompts. Flags read contaminated:NAME:KEY. [default: the files the run was last "
        "curated against]",
    ),
    click.option(
        "--field",
        default="prompt",
        show_default=True,
        help="The field that holds the prompt in the evaluation files.",
    ),
)


@click.command("curate")
@run_dir_option
@against_options
@click.option(
    "--ngram",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Near-duplicates: word n-grams of the normalised instruction.",
)
@click.option(
    "--num-perm",
    type=click.IntRange(16, 1024),
    default=128,
    show_default=True,
    help="Near-duplicates: MinHash permutations.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.7,
    show_default=True,
    help="Near-duplicates: estimated Jaccard similarity at which a later sample is flagged.",
)
@click.option(
    "--match-ngram",
    type=click.IntRange(1),
    default=8,
    show_default=True,
    help="Contamination: n-gram size (open-instruct's --ngram_size).",
)
@click.option(
    "--match-threshold",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Contamination: flag when more than this share of a prompt's words lie in n-grams "
    "the sample shares with it (open-instruct's --match_threshold).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what curation found as JSON.")
def curate_command(
    run_dir: Run, against: tuple, field: str, as_json: bool, **settings: Any
) -> None:
    """Flag near-duplicate and contaminated samples, so exports leave them out.

    Near-duplicates: the accepted instructions are compared by MinHash LSH (datasketch);
    of samples that say nearly the same, the first by position is kept and each later one
    is flagged near_duplicate_of:ID with its estimated similarity (exact copies after
    normalising case, spacing and punctuation too). Contamination: each instruction and
    response is matched against every prompt of the --against files by open-instruct's
    n-gram score; a match is flagged contaminated:NAME:KEY with its score, the matched
    span, and how much of it lies in decif's own constraint sentences.

    Incremental: a rerun hashes only new samples and checks them, and only them (or a
    changed file), against the evaluation sets; flags are written in one transaction at
    the end, so a killed curation changes nothing. Works while a run is being written.
    """
    require_run(run_dir)
    ctx = click.get_current_context()
    given = {
        k: v
        for k, v in settings.items()
        if ctx.get_parameter_source(k) is not click.core.ParameterSource.DEFAULT
    }
    done = run_curation(run_dir, against or None, field, given)
    if as_json:
        click.echo(json.dumps(done.to_dict(), indent=2))
        return
    click.echo(f"{run_dir}: {describe(done)}")


def run_curation(run: Run, against: tuple | None, field: str = "prompt", given=None):
    """Curate `run` with the settings and evaluation files it was last curated with,
    overridden by what is given; every unusable file is one line (exit 2)."""
    from graph.curate import CurateSettings, EvalFileError, curate, read_eval_set

    recorded = run.read_config().get("curation") or {}
    settings = CurateSettings(**{k: recorded[k] for k in SETTINGS if k in recorded} | (given or {}))
    remembered = against is None
    if against is None:
        against = tuple((a["name"], a["file"]) for a in recorded.get("against", []))
    fields = {a["name"]: a["field"] for a in recorded.get("against", [])} if remembered else {}
    names = [name for name, _ in against]
    if len(set(names)) < len(names):
        raise BadInput(f"--against names must differ: {', '.join(names)}")
    try:
        evalsets = [read_eval_set(name, path, fields.get(name, field)) for name, path in against]
    except EvalFileError as err:
        hint = (
            f" (the run was curated against it: give it again, or another, with decif curate "
            f"--run {run} --against NAME=FILE)"
            if remembered
            else ""
        )
        raise BadInput(f"{err}{hint}") from None
    return curate(run, settings, evalsets)


def curate_new_samples(run: Run):
    """Before an export: curate the samples accepted since the last curation (all of
    them, the first time), as the run was curated before. What it did, or None."""
    return run_curation(run, None) if run.store().uncurated() else None


def describe(done) -> str:
    checked = "".join(f"; {n} checked against {name}" for name, n in done.checked.items())
    lines = [
        f"{done.samples} accepted samples curated ({done.hashed} hashed{checked}, "
        f"{done.changed} records changed, {done.seconds:.1f} s); exports leave out: "
        f"{', '.join(f'{n} {why}' for why, n in done.left_out.most_common()) or 'nothing'}"
    ]
    for name, f in done.contamination.items():
        lines.append(
            f"  {name}: {f['samples']} samples match a prompt ({f['in_instruction']} in the "
            f"instruction, {f['in_response']} in the response; {f['template_hits']} of them "
            f"template hits); {f['template_words']} of the {f['overlap_words']} words shared "
            "in n-grams with it are decif's own constraint sentences"
        )
    return "\n".join(lines)
