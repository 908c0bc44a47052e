"""The plugin contract: registration checks, routing, validation from the specs, building blocks."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
import xarray as xr
from helioport import hookimpl
from helioport.api import load
from helioport.cdf import read_first
from helioport.config import Config
from helioport.dress import dress, from_columns, from_variable
from helioport.errors import DataNotFoundError, InvalidRequestError, PluginError
from helioport.registry import Registry, check_hooks
from helioport.schema import MissionSpec, OptionSpec, ProductSpec, Request, SourceSpec
from helioport.templates import FileTemplate, find_files, periods
from helioport.testing.cdfwriter import VarSpec, write_cdf
from helioport.transport import Transport
from helioport_toy.plugin import write_toy_archive

UTC = dt.timezone.utc


def _spec(name: str, **kw) -> MissionSpec:
    return MissionSpec(
        name=name,
        products=[ProductSpec(name="dc_mag", kind="vector", units="nT", components=["x"])],
        sources=[
            SourceSpec(key=name, url="https://x.invalid/", env=f"HELIOPORT_{name.upper()}_URL")
        ],
        **kw,
    )


class Misspelled:
    """``helioport_find_file``: without the check the mission would silently have no files."""

    @hookimpl
    def helioport_missions(self):
        return [_spec("typo")]

    @hookimpl
    def helioport_find_file(self, request, product, probe, ctx):  # the misspelling
        return []

    @hookimpl
    def helioport_load(self, request, product, probe, paths):
        return None


class NoLoad:
    @hookimpl
    def helioport_missions(self):
        return [_spec("noload")]

    @hookimpl
    def helioport_find_files(self, request, product, probe, ctx):
        return []


class WrongArgument:
    @hookimpl
    def helioport_missions(self):
        return [_spec("wrongarg")]

    @hookimpl
    def helioport_find_files(self, request, product, probe, ctx, extra):
        return []

    @hookimpl
    def helioport_load(self, request, product, probe, paths):
        return None


def _registry_with(*plugins) -> tuple[Registry, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg = Registry(plugins)
    return reg, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_misspelled_hook_is_reported_by_plugin_and_hook_and_skipped():
    reg, messages = _registry_with(Misspelled())
    text = "\n".join(messages)
    assert "helioport_find_file," in text and "did you mean helioport_find_files" in text
    assert "typo" not in reg.missions()
    assert any("PluginError" in v for v in reg.broken.values())


def test_plugin_without_load_hook_is_reported_and_skipped():
    reg, messages = _registry_with(NoLoad())
    text = "\n".join(messages)
    assert "serves noload but has no helioport_load hook" in text
    assert "noload" not in reg.missions()


def test_hook_with_an_argument_the_spec_lacks_is_reported():
    reg, messages = _registry_with(WrongArgument())
    text = "\n".join(messages)
    assert "wrongarg" not in reg.missions()
    assert "helioport_find_files" in text and "extra" in text


def test_check_hooks_accepts_a_correct_plugin_and_ignores_non_callables():
    class Fine:
        helioport_note = "not a function"

        def helioport_load(self, request, product, probe, paths): ...

    check_hooks(Fine(), "fine")  # no error
    with pytest.raises(PluginError, match="helioport_loads, which is not a helioport hook"):

        class Bad:
            def helioport_loads(self): ...

        check_hooks(Bad(), "bad")


def test_broken_plugins_do_not_stop_the_others_from_loading(tmp_path):
    reg, messages = _registry_with(Misspelled(), NoLoad())
    assert len(messages) == 2
    assert {"omni", "mms", "toy"} <= set(reg.missions())
    archive = tmp_path / "toy"
    write_toy_archive(archive, "t1", dt.date(2020, 1, 1), n=60)
    ds = load(
        "toy",
        "2020-01-01T00:00",
        "2020-01-01T00:30",
        products=["dc_mag"],
        probes=["t1"],
        base_url=str(archive),
        registry=reg,
    )
    assert ds["dc_mag_t1"].shape == (30, 3)
    np.testing.assert_allclose(ds["dc_mag_t1"].sel(component="x").values, np.arange(30) / 100)


class Recording:
    """A plugin that records every call: the core must refuse bad requests before any."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def helioport_missions(self):
        return [
            MissionSpec(
                name="rec",
                probes=["a", "b"],
                coords=["gse", "gsm"],
                default_coords="gse",
                modes=["slow", "fast"],
                default_mode="slow",
                options={
                    "source": OptionSpec(choices=["one", "two"], default="one"),
                    "frame": OptionSpec(),
                },
                products=[
                    ProductSpec(
                        name="b", kind="vector", units="nT", components=["x"], coords=["gse"]
                    ),
                    ProductSpec(name="n", units="cm^-3", modes=["fast"]),
                    ProductSpec(name="p", units="nPa", probes=["a"]),
                    ProductSpec(name="q", units="1", options={"source": ["two"]}),
                    ProductSpec(
                        name="att",
                        kind="vector",
                        units="1",
                        components=["x"],
                        coords=["gse", "bcs"],
                        frame_option="frame",
                    ),
                ],
                sources=[
                    SourceSpec(key="rec", url="https://rec.invalid/", env="HELIOPORT_REC_URL")
                ],
            )
        ]

    @hookimpl
    def helioport_find_files(self, request, product, probe, ctx):
        self.calls.append(f"find {product}")
        return []

    @hookimpl
    def helioport_load(self, request, product, probe, paths):
        self.calls.append(f"load {product}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"products": ["n"]}, r"product 'n' is not in mode 'slow'; it exists in: fast"),
        ({"products": ["b"], "coords": "gsm"}, r"product 'b' has no coords='gsm'.*valid: gse"),
        ({"products": ["p"], "probes": ["a", "b"]}, r"product 'p' has no data for probe b"),
        ({"products": ["q"]}, r"product 'q' exists only with source in \['two'\]"),
        ({"products": ["q"], "source": "three"}, r"source='three' is not valid.*valid: one, two"),
        ({"products": ["att"], "frame": "gsm"}, r"product 'att' has no frame='gsm'.*gse, bcs"),
    ],
)
def test_the_core_checks_product_specs_before_any_plugin_code(kwargs, message):
    plugin = Recording()
    reg, _ = _registry_with(plugin)
    with pytest.raises(InvalidRequestError, match=message):
        load("rec", "2020-01-01", "2020-01-02", registry=reg, **kwargs)
    assert plugin.calls == []


def test_a_request_the_specs_allow_reaches_the_plugin():
    plugin = Recording()
    reg, _ = _registry_with(plugin)
    with pytest.raises(DataNotFoundError):  # the plugin lists nothing
        load("rec", "2020-01-01", "2020-01-02", products=["q"], source="TWO", registry=reg)
    assert plugin.calls == ["find q"]


def test_routing_calls_only_the_plugin_of_the_mission(tmp_path):
    plugin = Recording()
    reg, _ = _registry_with(plugin)
    archive = tmp_path / "toy"
    write_toy_archive(archive, "t1", dt.date(2020, 1, 1), n=10)
    load(
        "toy",
        "2020-01-01",
        "2020-01-01T00:05",
        products=["i_dens"],
        base_url=str(archive),
        registry=reg,
    )
    assert plugin.calls == []  # the recording plugin was never asked about toy


# -- building blocks --------------------------------------------------------------------------


def test_periods_cover_the_range_aligned():
    hours = list(periods(dt.datetime(2020, 1, 1, 23, 30), dt.datetime(2020, 1, 2, 1), "hour"))
    assert [a.hour for a, _ in hours] == [23, 0]
    halves = list(periods(dt.datetime(2010, 6, 30), dt.datetime(2010, 7, 1, 0, 0, 1), "halfyear"))
    assert [(a.month, b.month) for a, b in halves] == [(1, 7), (7, 1)]
    assert list(periods(dt.datetime(2010, 7, 1), dt.datetime(2010, 7, 1), "day")) == []


def _ctx(tmp_path, spec):
    cfg = Config.load(cache_dir=str(tmp_path / "cache"), offline=False, urls=None, progress=False)
    return Transport(cfg).context(spec, offline=False)


def test_find_files_lists_each_folder_once_and_returns_every_version(tmp_path, server_for):
    root = tmp_path / "archive"
    folder = root / "thg" / "gako" / "2020" / "01"
    folder.mkdir(parents=True)
    names = [
        "thg_l1_asf_gako_2020010203_v01.cdf",
        "thg_l1_asf_gako_2020010203_v02.cdf",
        "thg_l1_asf_gako_2020010204_v01.cdf",
        "thg_l1_asf_gako_2020010205_v01.cdf",  # outside the range
        "thg_l1_asf_gako_2020010203_v01.cdf.md5",  # not a data file
        "thg_l1_asf_fsmi_2020010203_v01.cdf",  # another site
    ]
    for n in names:
        (folder / n).write_bytes(b"x" * 10)
    server = server_for(root)
    spec = MissionSpec(
        name="asi",
        sources=[SourceSpec(key="asi", url=server.url, env="HELIOPORT_ASI_URL")],
    )
    template = FileTemplate(
        "asi", "thg/{site}/%Y/%m/thg_l1_asf_{site}_%Y%m%d%H_v{version}.cdf", "hour"
    )
    request = Request(mission="asi", start="2020-01-02T03:10", end="2020-01-02T05:00")
    n = len(server.log)
    files = find_files(template, request, _ctx(tmp_path, spec), site="gako")
    assert sorted((f.name, f.version) for f in files) == [
        ("thg_l1_asf_gako_2020010203_v01.cdf", "01"),
        ("thg_l1_asf_gako_2020010203_v02.cdf", "02"),
        ("thg_l1_asf_gako_2020010204_v01.cdf", "01"),
    ]
    assert len({f.key for f in files}) == 2  # two logical files, one with two versions
    first = next(f for f in files if f.version == "02")
    assert first.start == dt.datetime(2020, 1, 2, 3, tzinfo=UTC)
    assert first.end == dt.datetime(2020, 1, 2, 4, tzinfo=UTC)
    assert first.size == 10 and first.relpath == "thg/gako/2020/01/" + first.name
    assert len([e for e in server.log[n:] if e.path.endswith("/01/")]) == 1


def test_find_files_unversioned_yearly_files(tmp_path):
    root = tmp_path / "archive" / "low_res_omni"
    root.mkdir(parents=True)
    for year in (2009, 2010, 2011):
        (root / f"omni2_{year}.dat").write_text("x")
    (root / "omni2_2010.dat.bak").write_text("x")
    spec = MissionSpec(
        name="o",
        sources=[SourceSpec(key="o", url=str(tmp_path / "archive"), env="HELIOPORT_O_URL")],
    )
    request = Request(mission="o", start="2009-12-31T12:00", end="2010-06-01")
    files = find_files(
        FileTemplate("o", "low_res_omni/omni2_%Y.dat", "year"), request, _ctx(tmp_path, spec)
    )
    assert sorted(f.name for f in files) == ["omni2_2009.dat", "omni2_2010.dat"]
    assert all(f.version is None for f in files)


def test_template_needs_its_fields():
    with pytest.raises(PluginError, match="needs the field 'site'"):
        FileTemplate("x", "{site}/%Y/a_v{version}.cdf").relpath(dt.datetime(2020, 1, 1))


def _two_files(tmp_path):
    t0 = np.datetime64("2020-01-01T00:00", "ns")
    paths = []
    for i, name in enumerate(["b_new", "b_old"]):
        t = t0 + np.arange(3).astype("timedelta64[m]") + np.timedelta64(3 * i, "m")
        path = tmp_path / f"f{i}.cdf"
        write_cdf(
            path,
            {
                "Epoch": VarSpec(t, cdf_type="CDF_TIME_TT2000"),
                name: VarSpec(
                    np.arange(3, dtype=np.float32) + 10 * i,
                    attrs={"DEPEND_0": "Epoch", "UNITS": "nT", "FILLVAL": np.float32(-1e31)},
                ),
            },
        )
        paths.append(path)
    return paths


def test_read_first_takes_each_files_first_known_name(tmp_path):
    paths = _two_files(tmp_path)
    var = read_first(paths, ["b_new", "b_old"])
    np.testing.assert_array_equal(var.data, [0, 1, 2, 10, 11, 12])
    assert var.time[3] == np.datetime64("2020-01-01T00:03", "ns")
    with pytest.raises(DataNotFoundError):
        read_first(paths, ["b_new"])


def test_dress_from_variable_and_from_columns(tmp_path):
    var = read_first(_two_files(tmp_path)[:1], ["b_new"])
    spec = ProductSpec(name="i_dens", units="cm^-3", description="density", instrument="fpi")
    da = from_variable(var, spec, dataset="DS", data_rate="fast")
    assert da.name == "i_dens" and da.dims == ("time",)
    assert da.attrs["units"] == "nT"  # the file's units win over the spec's
    assert da.attrs["source_variable"] == "b_new" and da.attrs["data_rate"] == "fast"
    with pytest.raises(PluginError, match="needs \\[N, <= 3\\]"):
        from_variable(var, ProductSpec(name="v", kind="vector", components=["x", "y", "z"]))
    vec = ProductSpec(name="v", kind="vector", units="km/s", components=["x", "y", "z", "tot"])
    t = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")
    da = from_columns(vec, t, [np.ones(2), 2 * np.ones(2), 3 * np.ones(2)], frame="gse")
    assert list(da["component"].values) == ["x", "y", "z"]
    assert da.sel(component="y").values.tolist() == [2.0, 2.0]
    assert da.attrs["coords"] == "gse" and da.attrs["units"] == "km/s"
    with pytest.raises(PluginError, match="give one column"):
        from_columns(spec, t, [np.ones(2), np.ones(2)])
    plain = dress(xr.DataArray([1.0], dims="time"), spec, source_variable=["a", "b"])
    assert plain.attrs["source_variable"] == "a, b" and plain.attrs["units"] == "cm^-3"


def test_a_derivation_cannot_silently_replace_a_stored_variable(tmp_path):
    """A derivation whose Dataset names a variable after a stored product is refused."""
    from helioport.schema import Derivation

    def clobber(inputs, request):
        b = inputs["dc_mag"]
        return xr.Dataset({"dc_mag": b * 0}, attrs={"product": "clobber"})

    class Clobbering:
        @hookimpl
        def helioport_derivations(self):
            return [Derivation(name="clobber", inputs=["dc_mag"], function=clobber)]

    reg, _ = _registry_with(Clobbering())
    archive = tmp_path / "toy"
    write_toy_archive(archive, "t1", dt.date(2020, 1, 1), n=10)
    kw = {"products": ["dc_mag", "clobber"], "base_url": str(archive), "registry": reg}
    with pytest.raises(PluginError, match="'dc_mag' and 'clobber' both give a variable named"):
        load("toy", "2020-01-01", "2020-01-01T00:05", **kw)
