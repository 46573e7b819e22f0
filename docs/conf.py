"""Sphinx configuration of pybilevel's documentation site (``make docs``; docs/about.md says why Sphinx)."""
from __future__ import annotations

project = "pybilevel"
author = "the pybilevel developers"
copyright = "pybilevel developers, BSD-3-Clause"

extensions = [
    "myst_parser",  # the Markdown pages, used as they are
    "sphinx.ext.autodoc",  # the API reference from the docstrings
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

html_theme = "alabaster"
html_title = "pybilevel"
html_theme_options = {"page_width": "1240px", "sidebar_width": "250px"}  # room for the examples' lines
html_static_path: list[str] = []
