"""The documentation: a strict offline build, and every example of it executed.

- every ``>>>`` example of every page runs (stdlib :mod:`doctest`, one test
  per page) against the sample archives of the installed plugins, served on
  127.0.0.1 and reached through the ordinary settings
  (``HELIOPORT_<SOURCE>_URL``), as the docs' own Sphinx extension does;
- every ``$ helioport ...`` line of a ``console`` block runs through the CLI
  and must exit 0 and print the lines the page shows;
- no page holds Python code that is not executed (no ``code-block:: python``);
- ``sphinx-build -W --keep-going`` (warnings are errors) builds the HTML
  offline, the executed gallery included, and the API reference is generated
  from the docstrings.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

from helioport_docs import SampleEnvironment

#: the hand-written pages (generated gallery pages and build output excluded)
PAGES = sorted(
    p for p in DOCS.rglob("*.rst") if "_build" not in p.parts and "generated" not in p.parts
)
GALLERY = sorted(p.stem for p in (DOCS / "gallery").glob("*.py"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _rel(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """The sample archives of OMNI, MMS, Cluster and THEMIS ASI, served for this module."""
    with SampleEnvironment(workdir=tmp_path_factory.mktemp("docs_samples")) as env:
        yield env


@pytest.fixture
def in_samples(samples, clean_env, monkeypatch, tmp_path):
    """This test's settings point at the samples; its working folder is ``tmp_path``."""
    for key, value in samples.environ(tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return samples


def test_pages_are_found():
    names = {_rel(p) for p in PAGES}
    assert {"index.rst", "user/load.rst", "plugins/hooks.rst", "api/index.rst"} <= names
    assert {
        "plot_omni_quicklook",
        "plot_event_summary",
        "plot_curlometer",
        "plot_asi_keogram",
        "plot_asi_fisheye",
        "plot_asi_map",
    } <= set(GALLERY)


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_no_python_that_is_not_executed(page):
    text = page.read_text()
    assert not re.search(r"\.\. code(-block)?:: *(python|py|pycon)\b", text), (
        f"{_rel(page)}: write Python examples as >>> doctest blocks (they are executed) "
        "or literalinclude a tested file"
    )


@pytest.mark.parametrize("page", [p for p in PAGES if ">>> " in p.read_text()], ids=_rel)
def test_page_examples_run(page, in_samples):
    import matplotlib

    matplotlib.use("Agg", force=True)
    test = doctest.DocTestParser().get_doctest(page.read_text(), {}, _rel(page), str(page), 0)
    assert test.examples, f"{_rel(page)} has no example"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=True)
    assert runner.failures == 0, report.getvalue()


def console_commands(text: str) -> list[tuple[str, list[str]]]:
    """The ``$ helioport`` lines of the page's console blocks, each with the lines shown below it."""
    commands: list[tuple[str, list[str]]] = []
    for block in re.finditer(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", text):
        current: tuple[str, list[str]] | None = None
        for line in block.group(1).splitlines():
            line = line.removeprefix("   ")
            if line.startswith("$ "):
                current = (line[2:].strip(), [])
                commands.append(current)
            elif current is not None and line.strip():
                current[1].append(line.strip())
    return commands


CONSOLE_PAGES = [p for p in PAGES if ".. code-block:: console" in p.read_text()]


@pytest.mark.parametrize("page", CONSOLE_PAGES, ids=_rel)
def test_console_examples_run(page, in_samples, capsys):
    from helioport.cli import main

    commands = console_commands(page.read_text())
    assert commands, f"{_rel(page)}: a console block without a $ command"
    for command, shown in commands:
        argv = shlex.split(command)
        assert argv[0] == "helioport", f"{_rel(page)}: console blocks hold helioport commands"
        status = main(argv[1:])
        out = capsys.readouterr()
        assert status == 0, f"{_rel(page)}: `{command}` exited {status}: {out.err}"
        lines = [ln.strip() for ln in out.out.splitlines()]
        for expected in shown:
            if expected == "...":
                continue
            pattern = re.escape(expected).replace(re.escape("..."), ".*")
            assert any(re.fullmatch(pattern, ln) for ln in lines), (
                f"{_rel(page)}: `{command}` did not print {expected!r}; it printed:\n{out.out}"
            )


def test_console_parser():
    text = (
        "x\n\n.. code-block:: console\n\n   $ helioport missions\n   omni  OMNI ...\n\n"
        "   $ helioport products omni\n\nafter\n"
    )
    assert console_commands(text) == [
        ("helioport missions", ["omni  OMNI ..."]),
        ("helioport products omni", []),
    ]


# sphinx 9's napoleon uses an autodoc interface sphinx itself deprecates (not our docstrings)
@pytest.mark.filterwarnings("ignore:The mapping interface for autodoc options")
def test_strict_offline_build(in_samples, tmp_path):
    from sphinx.cmd.build import build_main

    out = tmp_path / "html"
    argv = ["-W", "--keep-going", "-q", "-b", "html", "-d", str(tmp_path / "doctrees")]
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        status = build_main([*argv, str(DOCS), str(out)])
    assert status == 0, warnings.getvalue()
    # the API reference is generated from the docstrings
    api = (out / "api" / "core.html").read_text()
    assert "Load products of a mission over" in api  # helioport.load's docstring
    hooks = (out / "api" / "plugins.html").read_text()
    assert "helioport_find_files" in hooks and "List the archive files holding" in hooks
    # every gallery script ran and its figures are in the build
    for name in GALLERY:
        page = out / "gallery" / "generated" / f"{name}.html"
        assert page.is_file(), name
        images = re.findall(r'<img [^>]*src="([^"]+\.png)"', page.read_text())
        assert images, f"gallery page {name} shows no figure"
        for src in images:
            png = (page.parent / src).resolve()
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # nothing in the pages points at a remote inventory or asset
    index = (out / "index.html").read_text()
    assert "objects.inv" not in index
