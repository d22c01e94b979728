"""Drawing a graph: Mermaid and ASCII text, PNG and SVG pictures made locally."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from graph import build_sample_graph
from graph.cli import cli
from graph.drawing import draw
from graph.layout import loopback_edges

NODES = [
    "make_instruction",
    "check_consistency",
    "refine",
    "restate",
    "answer",
    "decompose",
    "judge",
    "accept",
    "reject",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample_graph():
    return build_sample_graph()


def test_mermaid_lists_every_node_and_labels_both_loopbacks(sample_graph):
    mermaid = draw(sample_graph, "mermaid")
    for node in NODES:
        assert f"\t{node}(" in mermaid
    assert "refine -. &nbsp;check again&nbsp; .-> check_consistency;" in mermaid
    assert "judge -. &nbsp;resample&nbsp; .-> answer;" in mermaid


def test_ascii_draws_every_node(sample_graph):
    ascii_art = draw(sample_graph, "ascii")
    assert all(f"| {node} |" in ascii_art for node in NODES)


def test_loopbacks_are_the_edges_back_into_the_loops():
    nodes = ["start", "write", "check", "fix", "end"]
    edges = [("start", "write"), ("write", "check"), ("check", "fix"), ("fix", "check")]
    edges += [("check", "end")]
    assert loopback_edges(nodes, edges) == {("fix", "check")}


def test_png_is_a_real_picture(sample_graph):
    png = draw(sample_graph, "png")
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(png))
    height, width = pixels.shape[:2]
    assert width > 400 and height > 600  # nine layers of boxes
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 20  # not blank


def test_svg_is_xml_naming_every_node_and_edge_label(sample_graph):
    svg = draw(sample_graph, "svg")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(NODES) | {"START", "END", "check again", "resample", "conflict"} <= texts


def test_same_graph_gives_the_same_svg(sample_graph):
    assert draw(sample_graph, "svg") == draw(sample_graph, "svg")


def test_graph_command_writes_a_png(tmp_path):
    out = tmp_path / "g.png"
    result = CliRunner().invoke(cli, ["graph", "--format", "png", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    assert str(out) in result.output


def test_graph_command_prints_text_formats():
    result = CliRunner().invoke(cli, ["graph", "--format", "mermaid"])
    assert result.exit_code == 0
    assert result.output.startswith("---\nconfig:")
    assert "judge -. &nbsp;resample&nbsp; .-> answer;" in result.output


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_picture_without_out_is_a_one_line_error(fmt):
    result = CliRunner().invoke(cli, ["graph", "--format", fmt])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: --format {fmt} is a picture: give --out FILE to write it to"
    ]
