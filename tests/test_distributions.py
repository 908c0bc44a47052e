"""Per-mission installs, as users will do them from PyPI (helioport issue 16).

Every distribution (the core and each plugin) builds as a wheel and an sdist
with ``python -m build`` and complete metadata; a fresh virtual environment
holding only the core wheel and the OMNI wheel serves OMNI alone (CLI, Intake
catalog, demo).

No test touches the internet: the builds run without isolation (``setuptools``
and ``wheel`` come from the test extra), and the fresh environment's
third-party dependencies (numpy, xarray, ...) are the running environment's,
seen through a folder of links that leaves every ``helioport*`` distribution
out, so the only helioport code in it is the wheels'. ``pip check`` there
proves the wheels' declared requirements are met.

These tests are marked ``slow`` (about a minute): ``python -m pytest -q -m slow``.
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: the plugins whose distributions are checked
PLUGINS = ["omni", "mms", "cluster", "themis_asi", "rego"]

pytestmark = pytest.mark.slow


# -- helpers (also used by tests/test_scaffold.py) ------------------------------------------------
def site_dirs() -> list[str]:
    """The running environment's site-packages folders (purelib, platlib)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def fresh_venv(path: Path, *, helioport_from_here: bool) -> Path:
    """A new virtual environment at ``path`` whose python sees this one's packages; its python.

    With ``helioport_from_here=False`` every ``helioport*`` entry of this
    environment (distributions, editable finders, ``.pth`` files) is left
    out, so helioport is only what gets installed into the new one. The new
    environment has no pip of its own: ``python -m pip`` runs this
    environment's pip, which installs into the new one (``sys.prefix``).
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120
    )
    python = path / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = []
    for i, site in enumerate(site_dirs()):
        if not helioport_from_here:
            links = path / f"deps{i}"
            links.mkdir()
            for entry in Path(site).iterdir():
                if "helioport" not in entry.name.lower():
                    (links / entry.name).symlink_to(entry)
            site = str(links)
        lines.append(f"import site; site.addsitedir({site!r})")
    Path(own, "_outer_environment.pth").write_text("\n".join(lines) + "\n")
    return python


def attempt(
    cmd: list[str], *, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run ``cmd`` without any HELIOPORT_* setting or PYTHONPATH of ours; its result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELIOPORT_")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run(
    cmd: list[str], *, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run ``cmd`` without any HELIOPORT_* setting of ours; fail with its output on error."""
    proc = attempt(cmd, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def build(source: Path, out: Path) -> tuple[Path, Path]:
    """``python -m build`` of ``source`` (offline: no isolation); the (wheel, sdist)."""
    before = set(out.glob("*")) if out.exists() else set()
    run([sys.executable, "-m", "build", "--no-isolation", "-o", str(out), str(source)])
    new = set(out.glob("*")) - before
    wheels = [p for p in new if p.suffix == ".whl"]
    sdists = [p for p in new if p.name.endswith(".tar.gz")]
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in new)
    return wheels[0], sdists[0]


def wheel_metadata(wheel: Path) -> tuple[email.message.Message, str]:
    """The METADATA and entry_points.txt of a wheel."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        eps = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        return (
            email.parser.Parser().parsestr(zf.read(meta).decode()),
            zf.read(eps).decode() if eps else "",
        )


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Wheel and sdist of the core and of every plugin, built once for this module."""
    out = tmp_path_factory.mktemp("dist")
    built = {"helioport": build(ROOT, out)}
    for name in PLUGINS:
        built[name] = build(ROOT / "plugins" / name, out)
    return built


# -- metadata --------------------------------------------------------------------------------------
def _check_common(meta, wheel: Path, sdist: Path, source: Path) -> None:
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    assert meta["Name"] == project["name"]
    assert meta["Version"] == project["version"]
    assert meta["Summary"] == project["description"]
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().lstrip().startswith("# ")  # the README is the long description
    classifiers = meta.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3" in classifiers
    assert any(c.startswith("Topic :: Scientific/Engineering") for c in classifiers)
    for req in meta.get_all("Requires-Dist") or []:
        name = re.match(r"[A-Za-z0-9_.\-\[\]]+", req).group(0)
        assert ">=" in req, f"{wheel.name}: requirement {req!r} has no lower bound ({name})"
    with tarfile.open(sdist) as tf:
        members = {m.split("/", 1)[1] for m in tf.getnames() if "/" in m}
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= members, sorted(members)[:20]


def test_core_distribution_metadata(dists):
    wheel, sdist = dists["helioport"]
    meta, eps = wheel_metadata(wheel)
    assert meta["Name"] == "helioport"
    _check_common(meta, wheel, sdist, ROOT)
    requires = meta.get_all("Requires-Dist")
    assert any(r.startswith("xarray>=") for r in requires)
    assert any(r.startswith("sphinx>=") and 'extra == "test"' in r for r in requires)
    assert "helioport = helioport.cli:main" in eps
    assert "helioport-derive = helioport.derive.plugin" in eps
    assert "helioport = helioport.testing.pytest_plugin" in eps
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    # the templates of `helioport plugin new` ship in the wheel
    assert "helioport/scaffold_templates/package/plugin.py.tmpl" in names
    assert "helioport/scaffold_templates/pyproject.toml.tmpl" in names


@pytest.mark.parametrize("plugin", PLUGINS)
def test_plugin_distribution_metadata(dists, plugin):
    wheel, sdist = dists[plugin]
    meta, eps = wheel_metadata(wheel)
    assert meta["Name"] == "helioport-" + plugin.replace("_", "-")
    _check_common(meta, wheel, sdist, ROOT / "plugins" / plugin)
    assert any(r.startswith("helioport>=") for r in meta.get_all("Requires-Dist"))
    assert f"{plugin} = helioport_{plugin}.plugin" in eps
    assert "[helioport.plugins]" in eps
    with zipfile.ZipFile(wheel) as zf:
        assert f"helioport_{plugin}/plugin.py" in zf.namelist()


# -- a fresh environment serving OMNI alone --------------------------------------------------------
def test_core_and_omni_wheels_serve_omni_alone(dists, tmp_path):
    python = fresh_venv(tmp_path / "venv", helioport_from_here=False)
    bin_ = python.parent
    # nothing of helioport before the wheels go in
    probe = attempt([str(python), "-c", "import helioport"])
    assert probe.returncode != 0 and "No module named 'helioport'" in probe.stderr
    wheels = [str(dists["helioport"][0]), str(dists["omni"][0])]
    run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", "-q", *wheels])
    run([str(python), "-m", "pip", "check"])  # every declared requirement is met
    where = run(
        [str(python), "-c", "import helioport, helioport_omni; print(helioport.__file__)"]
    ).stdout
    assert str(tmp_path / "venv") in where  # the wheel's code, not the source tree's

    missions = run([str(bin_ / "helioport"), "missions"]).stdout
    assert re.search(r"^omni\s", missions, re.MULTILINE), missions
    assert [ln.split()[0] for ln in missions.splitlines() if ln.strip()] == ["omni"], missions
    unknown = attempt([str(bin_ / "helioport"), "products", "mms"])
    assert unknown.returncode == 2
    assert "installed missions: omni" in unknown.stderr
    assert "pip install helioport-mms" in unknown.stderr

    catalog = run([str(bin_ / "helioport"), "catalog", "-o", str(tmp_path / "cat.yaml")]).stdout
    assert "omni" in catalog and "mms" not in catalog and "toy" not in catalog
    assert "dc_mag" in catalog

    demo = run(
        [
            str(bin_ / "helioport"),
            "demo",
            "--mission",
            "omni",
            "--workdir",
            str(tmp_path / "demo"),
        ]
    ).stdout
    assert "[omni] second load" in demo and "done (1 mission(s))" in demo, demo
    assert (tmp_path / "demo" / "output" / "omni_quicklook.png").stat().st_size > 10_000
