"""Sphinx configuration of helioport's documentation.

Build (offline, strict): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
``tests/test_docs.py`` runs that build and every example of the pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import helioport

project = "helioport"
author = "helioport developers"
copyright = "2026, helioport developers"
release = version = helioport.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "helioport_docs",  # the sample archives and the executed gallery (docs/_ext)
]

# offline: no intersphinx, no remote images
exclude_patterns = ["_build", "gallery/generated/*/*"]
templates_path: list[str] = []
html_static_path: list[str] = []  # no local assets
html_theme = "alabaster"
html_title = f"helioport {release}"

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autosummary_generate = False
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# examples in docstrings are shown as they are (doctest flags trimmed)
trim_doctest_flags = True
suppress_warnings: list[str] = []
