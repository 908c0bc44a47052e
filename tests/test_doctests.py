"""The docstring examples of every helioport module and installed plugin module run as doctests.

A normal test per module (no pytest option needed), so the default test command
runs them. Examples marked ``# doctest: +SKIP`` (network, files, plots) stay
skipped; the others must print exactly what their docstring shows.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.metadata
import importlib.util
import io
import pkgutil
import warnings

import pytest


def _packages() -> list[str]:
    """helioport and the top-level packages of the installed helioport plugins."""
    names = {"helioport"}
    for ep in importlib.metadata.entry_points(group="helioport.plugins"):
        names.add(ep.value.split(":")[0].split(".")[0])
    return sorted(names)


def _modules() -> list[str]:
    found = []
    for package in _packages():
        pkg = importlib.import_module(package)
        found.append(package)
        found += [
            m.name
            for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.")
            if not m.name.rpartition(".")[2].startswith("test_")
        ]
    return found


def _has_examples(name: str) -> bool:
    """Whether the module's source holds a ``>>>`` (read, not imported)."""
    spec = importlib.util.find_spec(name)
    origin = getattr(spec, "origin", None)
    if not origin or not origin.endswith(".py"):
        return True
    with open(origin, encoding="utf-8") as f:
        return ">>>" in f.read()


ALL_MODULES = _modules()
#: the modules with docstring examples (the others have nothing to run)
MODULES = [m for m in ALL_MODULES if _has_examples(m)]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_every_package_is_searched() -> None:
    assert "helioport" in ALL_MODULES and "helioport.epochs" in MODULES
    assert "helioport_omni.ascii" in ALL_MODULES  # a plugin's modules too
    assert len(MODULES) > 40


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecations of third-party imports
            module = importlib.import_module(name)
    except ImportError as exc:  # an optional dependency (cartopy, imageio-ffmpeg) is missing
        pytest.skip(f"{name} cannot be imported without an optional dependency: {exc}")
    # the finder keeps what the module defines, not what it imports from elsewhere
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    if not tests:
        pytest.skip(f"{name} has no docstring examples")
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test, out=out.write)
    assert runner.failures == 0, (
        f"{runner.failures} of {runner.tries} docstring examples of {name} fail:\n{out.getvalue()}"
    )
