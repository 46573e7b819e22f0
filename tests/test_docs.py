"""The documentation's examples run as written and assert their answers (docs/about.md).

Every ```python block of the pages in EXECUTED is executed, the blocks of a page in order in one
namespace, as a reader pastes them; a failing assert names the page and its line.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXECUTED = sorted(
    [DOCS / "getting_started.md", DOCS / "guide.md", DOCS / "model_files.md", *DOCS.glob("methods/*.md"), *DOCS.glob("domains/*.md")]
)
FENCE = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """(line of the block's first code line, code) for every ```python block of the page."""
    text = page.read_text()
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1)) for match in FENCE.finditer(text)]


@pytest.mark.parametrize("page", EXECUTED, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run_and_assert_their_answers(page: Path):
    blocks = python_blocks(page)
    if page.parent.name == "domains" and page.stem == "index":
        assert not blocks  # the index only lists the families
        return
    assert blocks, f"{page.name}: a tutorial page without a runnable example"
    assert any("assert" in code for _, code in blocks), f"{page.name}: no example asserts its answer"
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for line, code in blocks:
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)


def test_the_model_file_of_the_contract_page_runs_from_the_command_line(tmp_path, capsys):
    from pybilevel.io.cli import main

    page = DOCS / "model_files.md"
    (tmp_path / "two_roads.py").write_text(python_blocks(page)[0][1])
    data = tmp_path / "data"
    data.mkdir()
    csv_blocks = re.findall(r"^```\n((?:road|trips)\b.*?)^```", page.read_text(), flags=re.S | re.M)
    file_of_header = {"road": "roads.csv", "trips": "trips.csv"}
    assert len(csv_blocks) == 2
    for text in csv_blocks:
        (data / file_of_header[text.split(",")[0].split()[0]]).write_text(text)
    assert main(["solve", str(tmp_path / "two_roads.py"), "--data", str(data)]) == 0
    assert "revenue 30 with tolls road1 3, road2 0" in capsys.readouterr().out


def test_the_transformation_block_names_in_the_guide_are_right():
    blocks = [code for _, code in python_blocks(DOCS / "guide.md") if "_pybilevel_" in code and "TransformationFactory" in code]
    assert len(blocks) == 1
    exec(compile(blocks[0], "guide.md", "exec"), {})


def test_every_registered_transformation_is_named_in_the_guide():
    from pyomo.core.base.transformation import TransformationFactory

    import pybilevel  # noqa: F401  (registers the transformations)

    text = (DOCS / "guide.md").read_text()
    names = [n for n in TransformationFactory if str(n).startswith("bilevel.")]
    assert names
    for name in names:
        method = str(name).split(".", 1)[1]
        assert f"m._pybilevel_{method}`" in text, method
