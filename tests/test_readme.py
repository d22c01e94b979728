"""The README's Python API snippet runs as written (on the real embedded model)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

README = Path(__file__).parent.parent / "README.md"


@pytest.mark.slow
def test_python_api_snippet_runs(tmp_path, monkeypatch, capsys):
    section = README.read_text().split("## Python API", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[0] in {"accepted", "rejected", "failed"}
    assert (tmp_path / "runs" / "notebook" / "checkpoints.db").exists()
    assert len(printed) > 3  # one line per checkpoint of the thread


def test_readme_test_command_is_what_ci_runs():
    command = re.search(
        r"Install with the test tools.*?```bash\n(.*?)\n```", README.read_text(), re.DOTALL
    )
    ci = (README.parent / ".ci" / "run").read_text()
    assert command and command.group(1) in ci


def synopsis() -> tuple[dict[str, str], dict[str, str]]:
    """The README's command synopsis: the text of each command (`decif inspect`'s three
    forms joined), and of each option group (`meta sizes:`, `vllm:` ...)."""
    block = README.read_text().split("## The command line\n\n```\n", 1)[1].split("```", 1)[0]
    commands: dict[str, str] = {}
    groups: dict[str, str] = {}
    current: tuple[dict[str, str], str] | None = None
    for line in block.splitlines():
        if not line.strip():
            continue
        if line.startswith("decif "):
            name = line.split()[1]
            current = (commands, name)
            line = line.split(None, 2)[2] if len(line.split()) > 2 else ""
        elif re.match(r"\s*[a-z ]+:\s", line):
            name, line = line.split(":", 1)
            current = (groups, name.strip())
        assert current is not None, line
        table, name = current
        table[name] = f"{table.get(name, '')} {line}"
    return commands, groups


def written_options(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))


def test_the_synopsis_is_every_command_with_exactly_its_options():
    from graph.cli import cli
    from nodes.llm import backends

    commands, groups = synopsis()
    assert set(commands) == set(cli.commands)
    references = {f"[{name}]": name for name in ("meta sizes", "sample options")}
    # backend options: the common ones and each registered backend's own
    assert set(groups) >= {"meta sizes", "sample options", "backend options"}
    for name, backend in backends().items():
        declared = {option.opts[0] for option in backend.options}
        assert written_options(groups.get(name, "")) == declared, name
    everything = {name: written_options(text) for name, text in groups.items()}
    backend_options = everything["backend options"].union(
        *(everything.get(name, set()) for name in backends())
    )
    for name, command in cli.commands.items():
        text = commands[name]
        written = written_options(text)
        for reference, group in references.items():
            if reference in text:
                written |= everything[group]
        if "[backend options]" in text:
            written |= backend_options
        real = {o for p in command.params for o in p.opts + p.secondary_opts if o.startswith("--")}
        real -= {f"--no-{o[2:]}" for o in real}  # a flag's --no- form: one of the two is written
        written = {o if o in real else f"--{o[5:]}" for o in written}
        assert written == real, name


def test_the_synopsis_lists_every_choice_as_the_command_line_takes_it():
    from graph.cli import cli

    commands, groups = synopsis()
    generating = [cli.commands[name] for name in ("pipeline", "run")]  # every group's options
    texts = [(text, [cli.commands[name]]) for name, text in commands.items()]
    texts += [(text, generating) for text in groups.values()]
    seen = set()
    for text, where in texts:
        for option, listed in re.findall(r"(--[a-z-]+) ([a-z0-9-]+(?:\|[a-z0-9-]+)+)", text):
            for command in where:
                for param in (p for p in command.params if option in p.opts):
                    metavar = param.type.get_metavar(param, click.Context(command))
                    assert listed.split("|") == metavar.strip("[]").split("|"), option
            seen.add(option)
    choosing = {"--backend", "--mode", "--phrasing", "--catalogue", "--status", "--format"}
    assert seen >= choosing | {"--graph", "--reviewer-kept"}


def test_the_differences_table_names_every_type_a_module_documents_a_difference_for():
    """Each checker module lists its deliberate differences from open-instruct; the README's
    table says, for each of those types, which side is stricter."""
    import ast

    from nodes.constraints import REGISTRY, known

    table = README.read_text().split("**Where decif's checkers and open-instruct's", 1)[1]
    table = table.split("\n\n", 2)[1]
    in_table = set(re.findall(r"`([a-z_]+:[a-z_0-9]+)`", table))
    assert in_table <= set(REGISTRY), in_table - set(REGISTRY)
    documented = set()
    for module in (README.parent / "nodes" / "constraints").glob("*.py"):
        doc = ast.get_docstring(ast.parse(module.read_text())) or ""
        if "Deliberate differences from open-instruct" in doc:
            section = doc.split("Deliberate differences from open-instruct", 1)[1]
            for names in re.findall(r"^- ([\w /,]+):", section, flags=re.MULTILINE):
                documented |= {known(n.strip()).id for n in re.split(r"[,/]", names)}
    assert len(documented) >= 15
    assert documented <= in_table, documented - in_table
