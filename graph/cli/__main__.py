"""`python -m graph.cli`: the same as the `decif` script."""

from graph.cli import cli

cli()
