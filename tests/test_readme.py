"""The README's Python API snippet runs as written (on the real embedded model)."""

from __future__ import annotations

import re
from pathlib import Path

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
