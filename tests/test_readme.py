"""The README fits one screen, its example runs and asserts its answer, its commands are the ones
CI runs, and every page it links to exists (the rest of the old README is in docs/, tests/test_docs.py)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_the_readme_fits_one_screen():
    assert len(README.read_text().splitlines()) <= 60


def test_the_readme_example_runs_and_asserts_its_answer():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1 and "assert" in blocks[0]
    exec(compile(blocks[0], "README.md", "exec"), {})


def test_the_readme_commands_are_the_ones_ci_runs():
    text, ci = README.read_text(), (ROOT / ".ci" / "run").read_text()
    for command in ("make run", "make test", "make docs"):
        assert re.search(rf"^{command}\b", text, flags=re.M), command
    assert re.search(r"^make test$", ci, flags=re.M) and re.search(r"^make docs$", ci, flags=re.M)
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test", "docs"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_every_page_the_readme_links_to_exists():
    links = re.findall(r"\]\(([^)#]+)", README.read_text())
    assert len(links) >= 15
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, missing
