"""Listing missions is quick (issue 12): building the registry imports no science stack.

helioport's own plugins import only their product tables at the top; finding,
reading and derivation functions are imported at their first call. These
tests run in fresh interpreters (the suite has long since imported numpy), and
check that the deferred parts still work and fail clearly.
"""

from __future__ import annotations

import pytest
from fresh_python import run_fresh
from helioport.errors import PluginError
from helioport.schema import Derivation
from pydantic import ValidationError

HEAVY = ("numpy", "pandas", "xarray", "scipy", "dask", "cdflib", "pycdfpp", "requests")


def test_listing_missions_imports_no_numpy_pandas_or_xarray(tmp_path) -> None:
    """Every helioport plugin (the toy test plugin keeps the plain one-file form: left out)."""
    code = (
        "import sys, io, contextlib\n"
        "from importlib.metadata import entry_points\n"
        "from helioport.registry import Registry\n"
        "eps = [e for e in entry_points(group='helioport.plugins') if e.name != 'toy']\n"
        "reg = Registry([e.load() for e in eps], load_entry_points=False)\n"
        "names = sorted(reg.missions())\n"
        "derived = sorted(reg.derivations_for('mms')) + sorted(reg.derivations_for('themis_asi'))\n"
        "specs = [reg.mission(m).products for m in names]\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(';'.join([','.join(names), ','.join(derived), ','.join(heavy)]))\n"
    )
    names, derived, heavy = run_fresh(code, tmp_path).split(";")
    assert names.split(",") == ["cluster", "mms", "omni", "rego", "themis_asi"]
    assert {"j_curl", "mag_elev_angle", "i_beta", "e_beta", "keogram"} <= set(derived.split(","))
    assert heavy == ""


def test_the_missions_command_lists_them_without_the_science_stack(tmp_path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "import importlib.metadata as md\n"
        "import helioport.registry as registry\n"
        "every = md.entry_points\n"
        "def entry_points(**kw):\n"
        "    found = every(**kw)\n"
        "    return md.EntryPoints([e for e in found if e.name != 'toy'])\n"
        "registry.entry_points = entry_points\n"
        "from helioport.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    main(['missions'])\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(len(out.getvalue().splitlines()), ','.join(heavy))\n"
    )
    assert run_fresh(code, tmp_path) == "5"


def test_a_deferred_derivation_function_imports_at_its_first_call() -> None:
    d = Derivation(name="dist", inputs=["dc_mag"], function="math:hypot")
    assert d.function.__name__ == "hypot"
    assert "math:hypot" in repr(d.function)
    assert d.function(3.0, 4.0) == 5.0
    assert d.function.resolve() is __import__("math").hypot


def test_the_builtin_derivations_resolve_to_the_science_functions() -> None:
    import importlib

    from helioport.derive.plugin import helioport_derivations

    curlometer = importlib.import_module("helioport.derive.curlometer")
    elevation = importlib.import_module("helioport.derive.elevation")
    by_name = {d.name: d.function.resolve() for d in helioport_derivations()}
    assert by_name["j_curl"] is curlometer.j_curl
    assert by_name["mag_elev_angle"] is elevation.mag_elev_angle_product


@pytest.mark.parametrize(
    "target", ["helioport.derive.curlometer", "no colon:", ":f", "m:not a name"]
)
def test_a_malformed_function_text_is_refused_when_declared(target: str) -> None:
    with pytest.raises(ValidationError, match="package.module:function"):
        Derivation(name="x", inputs=["dc_mag"], function=target)


@pytest.mark.parametrize(
    ("target", "missing"),
    [("helioport_no_such_module:f", "ModuleNotFoundError"), ("math:no_such_fn", "AttributeError")],
)
def test_an_unimportable_function_fails_clearly_at_its_call(target: str, missing: str) -> None:
    d = Derivation(name="x", inputs=["dc_mag"], function=target)
    with pytest.raises(
        PluginError, match=rf"{target!s}.*{missing}.*reinstall the plugin that names it"
    ):
        d.function({}, None)


def test_the_lazy_packages_still_export_every_name() -> None:
    from helioport import derive, imaging, transport

    for package in (derive, imaging, transport):
        for name in package._LAZY:
            assert getattr(package, name) is not None, (package.__name__, name)
        assert set(package._LAZY) <= set(dir(package))
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            package.nope  # noqa: B018
    assert transport.Transport.__module__ == "helioport.transport.core"
    assert imaging.fixtures.__name__ == "helioport.imaging.fixtures"  # a submodule, on first use


@pytest.mark.parametrize(
    ("package", "name"),
    [("helioport", "align"), ("helioport.derive", "curlometer"), ("helioport.imaging", "keogram")],
)
@pytest.mark.parametrize("first", ["submodule", "name", "sibling"])
def test_a_submodule_never_replaces_the_function_of_its_name(
    tmp_path, package: str, name: str, first: str
) -> None:
    """Whatever is imported first, ``package.name`` is the function the package exports."""
    sibling = {"align": "load", "curlometer": "j_curl", "keogram": "meridian_path"}[name]
    before = {
        "submodule": f"import {package}.{name}\n",
        "name": f"from {package} import {name}\n",
        "sibling": f"from {package} import {sibling}\n",
    }[first]
    code = (
        "import importlib, inspect\n"
        + before
        + f"import {package}\n"
        + f"from {package} import {name} as f\n"
        + f"pkg = importlib.import_module({package!r})\n"
        + f"mod = importlib.import_module('{package}.{name}')\n"
        + f"print(inspect.isfunction(f), pkg.{name} is f is mod.{name})\n"
    )
    assert run_fresh(code, tmp_path) == "True True"


def test_functions_using_the_packages_still_pickle_for_dask_workers() -> None:
    """cloudpickle (dask, distributed) pickles the packages by name, as it does plain modules."""
    import pickle

    import cloudpickle
    import helioport
    import helioport.derive
    import helioport.imaging

    def task() -> tuple[str, str, str]:
        return helioport.__name__, helioport.derive.j_curl.__name__, helioport.imaging.__name__

    assert cloudpickle.loads(cloudpickle.dumps(task))() == (
        "helioport",
        "j_curl",
        "helioport.imaging",
    )
    for package in (helioport, helioport.derive, helioport.imaging, helioport.transport):
        assert pickle.loads(pickle.dumps(package)) is package


def test_a_plugin_whose_reading_code_cannot_be_imported_fails_with_a_plugin_error(
    monkeypatch, tmp_path
) -> None:
    """Plugins import their code at the first call: a broken installation is named there."""
    import helioport
    import helioport_toy.plugin as toy

    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'toy_reader'", name="toy_reader")

    monkeypatch.setattr(toy, "find_files", missing)
    with pytest.raises(PluginError) as err:
        helioport.load("toy", "2020-01-01", "2020-01-02", products="dc_mag", base_url=str(tmp_path))
    text = str(err.value)
    assert "mission 'toy'" in text and "helioport_find_files" in text
    assert "No module named 'toy_reader'" in text
    assert "pip install --force-reinstall helioport-toy" in text
    assert isinstance(err.value.__cause__, ModuleNotFoundError)


def test_a_derivation_whose_function_cannot_be_imported_fails_before_any_fetch(
    tmp_path,
) -> None:
    import helioport
    import helioport_toy.plugin as toy
    from helioport.hookspecs import hookimpl
    from helioport.registry import Registry

    class Broken:
        @hookimpl
        def helioport_derivations(self):
            return [Derivation(name="b_x", inputs=["dc_mag"], function="helioport_gone.mod:f")]

    reg = Registry([toy, Broken()], load_entry_points=False)
    empty = tmp_path / "archive"  # nothing there: a fetch would fail with DataNotFoundError
    with pytest.raises(PluginError, match=r"'helioport_gone.mod:f' cannot be imported"):
        helioport.load(
            "toy", "2020-01-01", "2020-01-02", products="b_x", base_url=str(empty), registry=reg
        )


def test_deferred_functions_compare_by_target_and_follow_dotted_attributes() -> None:
    a = Derivation(name="x", inputs=["dc_mag"], function="math:hypot")
    b = Derivation(name="x", inputs=["dc_mag"], function="math:hypot")
    assert a == b and a.function == b.function and hash(a.function) == hash(b.function)
    assert a.function != Derivation(name="x", inputs=["dc_mag"], function="math:sqrt").function
    d = Derivation(name="x", inputs=["dc_mag"], function="datetime:datetime.fromisoformat")
    assert d.function.__name__ == "fromisoformat"
    assert d.function("2020-01-02").day == 2


def test_first_use_of_the_lazy_packages_from_many_threads_at_once(tmp_path) -> None:
    """Reads run on threads: names, plugin hooks and derivation functions reached for the first
    time by several threads at once all resolve to the right objects."""
    code = (
        "import threading, types, inspect\n"
        "import helioport, helioport.derive as d, helioport.imaging as im, helioport.transport as t\n"
        "from helioport.derive.plugin import helioport_derivations\n"
        "ders = helioport_derivations()\n"
        "pkgs = [helioport, d, im, t]\n"
        "names = [(p, n) for p in pkgs for n in p._LAZY]\n"
        "errors, barrier = [], threading.Barrier(16)\n"
        "def work(k):\n"
        "    try:\n"
        "        barrier.wait()\n"
        "        for p, n in names[k % 7 :] + names[: k % 7]:\n"
        "            v = getattr(p, n)\n"
        "            if isinstance(v, types.ModuleType):\n"
        "                errors.append((p.__name__, n))\n"
        "        for x in ders:\n"
        "            assert inspect.isfunction(x.function.resolve())\n"
        "    except BaseException as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]\n"
        "[th.start() for th in threads]; [th.join() for th in threads]\n"
        "print(len(names), errors)\n"
    )
    count, errors = run_fresh(code, tmp_path).split(" ", 1)
    assert int(count) > 40 and errors == "[]"


def test_reading_hooks_import_their_functions_at_the_first_call(tmp_path) -> None:
    """The hooks the mission plugins declare with reading_hooks: named, imported when called."""
    code = (
        "import sys\n"
        "import helioport_mms.plugin as p\n"
        "before = 'helioport_mms.loading' in sys.modules, 'helioport_mms.sources' in sys.modules\n"
        "import inspect\n"
        "print(before, list(inspect.signature(p.helioport_load).parameters),"
        " list(inspect.signature(p.helioport_find_files).parameters))\n"
    )
    assert run_fresh(code, tmp_path) == (
        "(False, False) ['request', 'product', 'probe', 'paths'] "
        "['request', 'product', 'probe', 'ctx']"
    )


def test_a_reading_hook_whose_module_is_missing_raises_a_plugin_error() -> None:
    from helioport.hookspecs import reading_hooks

    find, load = reading_hooks("helioport_gone.sources:find_files", "math:no_such_fn")
    with pytest.raises(PluginError, match=r"'helioport_gone.sources:find_files' cannot be"):
        find(None, "dc_mag", None, None)
    with pytest.raises(PluginError, match=r"'math:no_such_fn' cannot be imported.*AttributeError"):
        load(None, "dc_mag", None, [])
