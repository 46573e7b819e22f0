"""The README's code snippets run as written: the block names each transformation adds."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_transformation_block_names_in_the_readme_are_right():
    blocks = [b for b in _python_blocks() if "_pybilevel_" in b and "TransformationFactory" in b]
    assert len(blocks) == 1
    exec(compile(blocks[0], "README.md", "exec"), {})


def test_every_registered_transformation_is_named_in_the_readme():
    import pybilevel  # noqa: F401  (registers the transformations)
    from pyomo.core.base.transformation import TransformationFactory

    text = README.read_text()
    names = [n for n in TransformationFactory if str(n).startswith("bilevel.")]
    assert names
    for name in names:
        method = str(name).split(".", 1)[1]
        assert f"m._pybilevel_{method}`" in text, method
