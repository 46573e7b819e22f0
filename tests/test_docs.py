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
    [DOCS / "getting_started.md", DOCS / "guide.md", *DOCS.glob("methods/*.md"), *DOCS.glob("domains/*.md")]
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
