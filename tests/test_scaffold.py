"""``helioport plugin new``: a third-party plugin scaffolded, installed, tested, loaded, uninstalled.

The install test runs in a throwaway virtual environment that sees this
environment's packages (helioport included) through a ``.pth`` file, so
installing and uninstalling the scaffolded distribution never changes the
environment the rest of the suite runs in, even when the test fails halfway.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from helioport.cli import main
from helioport.errors import InvalidRequestError
from helioport.scaffold import new_plugin, plugin_names
from test_distributions import fresh_venv, run

EXPECTED_FILES = {
    "pyproject.toml",
    "README.md",
    "helioport_solar_probe/__init__.py",
    "helioport_solar_probe/plugin.py",
    "helioport_solar_probe/products.py",
    "helioport_solar_probe/sample.py",
    "tests/test_conformance.py",
    "tests/test_solar_probe.py",
}


def test_names_of_a_plugin():
    names = plugin_names("solar_probe")
    assert names["distribution"] == "helioport-solar-probe"
    assert names["package"] == "helioport_solar_probe"
    assert names["env"] == "HELIOPORT_SOLAR_PROBE_URL"


@pytest.mark.parametrize("bad", ["Solar", "solar-probe", "1sat", "x", "class", "a b", "sat_"])
def test_bad_names_are_refused(bad, tmp_path):
    with pytest.raises(InvalidRequestError, match="lowercase identifier"):
        new_plugin(bad, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()  # nothing written


def test_known_mission_and_existing_folder_are_refused(tmp_path):
    with pytest.raises(InvalidRequestError, match="already served by helioport-omni"):
        new_plugin("omni", tmp_path)
    new_plugin("solar_probe", tmp_path)
    with pytest.raises(InvalidRequestError, match="exists and is not empty"):
        new_plugin("solar_probe", tmp_path)


def test_scaffold_writes_a_complete_distribution(tmp_path):
    root = new_plugin("solar_probe", tmp_path)
    assert root == tmp_path / "helioport-solar-probe"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == EXPECTED_FILES
    text = "\n".join((root / f).read_text() for f in files)
    assert "{{" not in text  # every placeholder filled
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "helioport-solar-probe"' in pyproject
    assert 'solar_probe = "helioport_solar_probe.plugin"' in pyproject
    assert '"helioport>=' in pyproject
    assert "HELIOPORT_SOLAR_PROBE_URL" in (root / "helioport_solar_probe/products.py").read_text()
    # the scaffold is valid Python that ruff's defaults would not reject
    for f in files:
        if f.endswith(".py"):
            compile((root / f).read_text(), f, "exec")


def test_cli_plugin_new(tmp_path, capsys):
    assert main(["plugin", "new", "solar_probe", "--dest", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote the plugin distribution {tmp_path / 'helioport-solar-probe'}" in out
    assert "helioport_solar_probe/plugin.py" in out
    assert main(["plugin", "new", "Bad-Name", "--dest", str(tmp_path)]) == 2
    assert "lowercase identifier" in capsys.readouterr().err


#: run in the throwaway environment: load the sample through helioport.load over HTTP
LOAD_SAMPLE = """
import contextlib, io, json, tempfile, warnings
from pathlib import Path
import helioport
from helioport.cli import main
from helioport.naming import find_time_dim
from helioport.registry import get_registry
from helioport.testing import ArchiveServer

warnings.simplefilter("error")  # a broken plugin would warn: make it fail
root = Path(tempfile.mkdtemp()) / "archive"
sample = get_registry().call("helioport_sample_archive", "solar_probe", mission="solar_probe", root=root)
with ArchiveServer(root) as server:
    ds = helioport.load("solar_probe", base_url={sample.source: server.url},
                        cache_dir=str(root.parent / "cache"), **sample.load_kwargs())
b = ds["dc_mag"]
out = {"variables": sorted(ds.data_vars), "n_times": int(b.sizes[find_time_dim(b)]),
       "by": sorted(set(b.sel(component="y").values.tolist())),
       "bx_30": float(b.sel(component="x").values[30]),
       "dens_90": float(ds["i_dens"].values[90]), "files": b.attrs["files"]}
for command in (["missions"], ["catalog"]):
    with contextlib.redirect_stdout(io.StringIO()) as text:
        out[command[0] + "_status"] = main(command)
    out[command[0]] = text.getvalue()
print(json.dumps(out))
"""

#: run in the throwaway environment after the uninstall, in a process that had loaded it before
AFTER_UNINSTALL = """
import json, subprocess, sys, warnings
import helioport
from helioport.intake import catalog
from helioport.registry import reset_registry

before = helioport.missions()
subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "helioport-solar-probe"],
               check=True)
reset_registry()  # the cached plugin manager is rebuilt from the entry points
with warnings.catch_warnings():
    warnings.simplefilter("error")
    after = helioport.missions()
    cat = catalog()
    try:
        helioport.products("solar_probe")
        error = None
    except helioport.UnknownMissionError as exc:
        error = str(exc)
print(json.dumps({"before": before, "after": after, "catalog": sorted(cat), "error": error}))
"""

#: a new process after the uninstall: the command line
CLI_AFTER = """
import contextlib, io, json
from helioport.cli import main

out = {}
for command in (["missions"], ["products", "solar_probe"], ["catalog"]):
    with contextlib.redirect_stdout(io.StringIO()) as o, contextlib.redirect_stderr(io.StringIO()) as e:
        status = main(command)
    out[command[0]] = [status, o.getvalue(), e.getvalue()]
print(json.dumps(out))
"""


def _last_json(proc) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_scaffolded_plugin_installs_passes_its_tests_loads_and_uninstalls(tmp_path):
    plugin = new_plugin("solar_probe", tmp_path / "src")
    python = fresh_venv(tmp_path / "venv", helioport_from_here=True)
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(plugin)])  # fmt: skip

    # its own tests, conformance suite included, pass straight after creation
    tests = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=plugin)
    assert "4 passed" in tests.stdout, tests.stdout

    loaded = _last_json(run([str(python), "-c", LOAD_SAMPLE]))
    assert loaded["variables"] == ["dc_mag", "i_dens", "mag_elev_angle"]
    assert loaded["n_times"] == 360  # 00:00-06:00 at 1 min
    assert loaded["by"] == [3.0]  # version 2 of the day (version 1 has by = 2)
    assert loaded["bx_30"] == pytest.approx(0.30)
    assert loaded["dens_90"] == pytest.approx(7.0)  # 5 + 2 sin(2 pi 90 / 360)
    assert "solar_probe_20200101_v2.csv" in loaded["files"]
    assert loaded["missions_status"] == 0 and loaded["catalog_status"] == 0
    assert "solar_probe  Solar Probe (scaffolded by helioport plugin new)" in loaded["missions"]
    assert "solar_probe" in loaded["catalog"] and "mag_elev_angle" in loaded["catalog"]

    after = _last_json(run([str(python), "-c", AFTER_UNINSTALL]))
    assert "solar_probe" in after["before"]
    assert "solar_probe" not in after["after"] and "omni" in after["after"]
    assert "solar_probe" not in after["catalog"] and "omni" in after["catalog"]
    assert "no installed plugin serves mission 'solar_probe'" in after["error"]

    # a new process: the command line has no trace of it and no warning
    cli = _last_json(run([str(python), "-c", CLI_AFTER]))
    status, out, err = cli["missions"]
    assert status == 0 and "solar_probe" not in out and "omni" in out and not err
    assert "failed to load" not in out
    status, out, err = cli["products"]
    assert status == 2 and "no installed plugin serves mission 'solar_probe'" in err
    status, out, err = cli["catalog"]
    assert status == 0 and "solar_probe" not in out and "omni" in out and not err
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    assert not [p.name for p in site.iterdir() if "solar_probe" in p.name]
    # the suite's own environment was never touched
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("helioport-solar-probe")
