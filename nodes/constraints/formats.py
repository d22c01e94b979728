"""Output formats: IFEval's JSON, and decif's table, HTML, XML, LaTeX and Markdown.

`detectable_format:json_format` is IFEval's check: the stripped response, less one
leading "```json" / "```Json" / "```JSON" / "```" and one trailing "```", parses with
`json.loads` (so a bare number or string counts as JSON, as in IFEval).

`decif:output_format` takes `{"format": F}`; each check first strips surrounding
whitespace and, when the whole response is one fenced code block (```lang ... ```), the
fence. Then:

- `xml`: the text parses with `xml.etree.ElementTree` (one root element; an XML
  declaration and comments may surround it; no text outside the root).
- `html`: read with `html.parser`: every non-void element is closed in the order opened
  (void ones such as <br> and self-closing tags need no end tag), no text stands outside
  the elements (a doctype and comments may), and at least one tag is a standard HTML
  element, so plain XML does not pass as HTML.
- `markdown_table`: somewhere a header row of at least two cells between pipes, right
  after it a delimiter row with the same number of cells, each of dashes with optional
  colons (|---|:--:|), then at least one body row with pipes. Text around the table is
  allowed.
- `latex`: every \\begin{env} is closed by a matching \\end{env} in order, and there is
  at least one such pair or a \\documentclass (which then needs \\begin{document}); unescaped
  braces balance.
- `markdown`: an ATX heading ("# ..." to "###### ...") and at least one list item
  ("- ", "* ", "+ ", "1. ") or emphasis (**bold**, __bold__, *italic*).
"""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.ids import OUTPUT_FORMAT, all_but
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.values import Value, fmt, term

FORMAT_NAMES = {"html": "HTML", "xml": "XML", "latex": "LaTeX"}  # stated as documents

# -- detectable_format:json_format --------------------------------------------------------


def check_json(response: str, kw: Kwargs) -> bool:
    text = response.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):  # one after the other, as IFEval
        text = text.removeprefix(fence)
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # nested deeper than Python's parser goes
        return False
    return True


# -- decif:output_format ------------------------------------------------------------------

_FENCED = re.compile(r"\A```[\w+-]*[ \t]*\n(.*)\n[ \t]*```\Z", flags=re.DOTALL)


def unfenced(response: str) -> str:
    """The response without surrounding whitespace or one fence around all of it."""
    text = response.strip()
    match = _FENCED.match(text)
    return match.group(1).strip() if match else text


def is_xml(text: str) -> bool:
    try:
        ET.fromstring(text)
    except (ET.ParseError, ValueError):  # a lone surrogate cannot be encoded for the parser
        return False
    return True


VOID_ELEMENTS = frozenset((
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
))  # fmt: skip
HTML_ELEMENTS = frozenset((
    "html", "head", "body", "title", "meta", "link", "style", "script", "div", "span", "p",
    "a", "img", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "footer", "main", "nav", "section", "article",
    "aside", "strong", "em", "b", "i", "u", "br", "hr", "pre", "code", "blockquote", "form",
    "input", "button", "label", "select", "option", "textarea", "figure", "figcaption", "dl",
    "dt", "dd", "small", "sub", "sup",
))  # fmt: skip


class _TagBalance(HTMLParser):
    """Walks HTML, recording whether tags nest and close properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ok = True
        self.known = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.known |= tag in HTML_ELEMENTS
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.known |= tag in HTML_ELEMENTS

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if not self.open or self.open.pop() != tag:
            self.ok = False

    def handle_data(self, data: str) -> None:
        if not self.open and data.strip():
            self.ok = False  # text outside every element


def is_html(text: str) -> bool:
    parser = _TagBalance()
    parser.feed(text)
    parser.close()
    return parser.ok and parser.known and not parser.open and text.startswith("<")


_ROW = re.compile(r"^\s*\|?(.+?)\|?\s*$")
_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")


def table_cells(line: str) -> list[str] | None:
    """The cells of a pipe-table row, or None when the line is no such row."""
    if "|" not in line:
        return None
    match = _ROW.match(line)
    return match.group(1).split("|") if match else None


def is_markdown_table(text: str) -> bool:
    lines = text.splitlines()
    for i in range(len(lines) - 2):
        header, delimiter, body = (table_cells(line) for line in lines[i : i + 3])
        if (
            header
            and delimiter
            and body
            and len(header) >= 2
            and len(delimiter) == len(header)
            and all(_DELIMITER_CELL.match(cell) for cell in delimiter)
        ):
            return True
    return False


_LATEX_ENV = re.compile(r"\\(begin|end)\s*\{([^{}]+)\}")


def braces_balance(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"(?<!\\)[{}]", text):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def is_latex(text: str) -> bool:
    stack: list[str] = []
    pairs = 0
    for kind, env in _LATEX_ENV.findall(text):
        if kind == "begin":
            stack.append(env.strip())
        elif not stack or stack.pop() != env.strip():
            return False
        else:
            pairs += 1
    if stack or not braces_balance(text):
        return False
    if "\\documentclass" in text:
        return re.search(r"\\begin\s*\{document\}", text) is not None
    return pairs > 0


_HEADING = re.compile(r"^#{1,6}[ \t]+\S", flags=re.MULTILINE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S", flags=re.MULTILINE)
_EMPHASIS = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|(?<![\w*])\*[^*\s][^*\n]*\*")


def is_markdown(text: str) -> bool:
    return bool(_HEADING.search(text)) and bool(_LIST_ITEM.search(text) or _EMPHASIS.search(text))


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "markdown_table": is_markdown_table,
    "html": is_html,
    "xml": is_xml,
    "latex": is_latex,
    "markdown": is_markdown,
}


def format_of(kw: Kwargs) -> str:
    name = str(kw["format"])
    if name not in FORMAT_CHECKS:
        raise ValueError(f"format must be one of {sorted(FORMAT_CHECKS)}, not {name!r}")
    return name


def check_output_format(response: str, kw: Kwargs) -> bool:
    return FORMAT_CHECKS[format_of(kw)](unfenced(response))


def document(kw: Kwargs) -> str:
    """The format as a phrase: "a Markdown table with a header row"."""
    name = format_of(kw)
    if name == "markdown_table":
        return "a Markdown table with a header row"
    if name == "markdown":
        return "Markdown, with at least one heading and at least one list or bold phrase"
    return f"a well-formed {FORMAT_NAMES[name]} document"


def format_values(kw: Kwargs) -> list[Value]:
    """The format's name; a table's both words; Markdown's heading too."""
    name = format_of(kw)
    if name == "markdown_table":
        return [fmt("Markdown"), fmt("table")]
    if name == "markdown":
        return [fmt("Markdown"), term("heading", "headings", "header", "headers")]
    return [fmt(FORMAT_NAMES[name], *(["TeX"] if name == "latex" else []))]


def draw_output_format(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"format": rng.choice(list(FORMAT_CHECKS))}


register(
    ConstraintType(
        id="detectable_format:json_format",
        name="json_format",
        source="ifeval",
        description="the whole answer in JSON",
        draw=lambda rng, context: {},
        phrasings=Phrasings(
            plain="The entire output must be valid JSON; markdown code fences (```) around it "
            "are allowed.",
            imperative="Return the whole answer as JSON, optionally inside ``` fences.",
            make_sure="Make sure everything you output is JSON (a ``` code fence around it is "
            "fine).",
            parenthetical="(Output JSON only, fenced with ``` if you like.)",
            item="the whole output in JSON (``` fences allowed)",
        ),
        values=lambda kw: [fmt("JSON")],
        check=check_json,
        # open-instruct: all but forbidden words and keywords (decif's own types included).
        conflicts=all_but("keywords:forbidden_words", "keywords:existence"),
    ),
    ConstraintType(
        id=OUTPUT_FORMAT,
        name="output_format",
        source="decif",
        description="the answer as a Markdown table, HTML, XML, LaTeX or Markdown",
        draw=draw_output_format,
        phrasings=Phrasings(
            plain="The answer must be formatted as {document}.",
            imperative="Present the whole answer as {document}.",
            make_sure="Make sure your reply is written as {document}.",
            parenthetical="(Format: {document}.)",
            item="formatted as {document}",
            fields=lambda kw: {"document": document(kw)},
        ),
        values=format_values,
        check=check_output_format,
        # Text that must stand outside the document (a title, postscript, end phrase,
        # quotes, dividers, a first word) breaks XML and HTML; a bullet list cannot live
        # in a table, HTML, XML or LaTeX; upper-casing LaTeX commands breaks them.
        conflicts=frozenset(
            {
                "startend:quotation",
                "startend:end_checker",
                "detectable_format:title",
                "detectable_content:postscript",
                "detectable_format:number_bullet_lists",
                "length_constraints:number_paragraphs",
                "length_constraints:nth_paragraph_first_word",
                "change_case:english_capital",
                "decif:start_phrase",
            }
        ),
    ),
)
