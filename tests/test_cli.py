"""The command line: listing, loading to files, cache, clear one-line errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport import errors as helioport_errors
from helioport.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_missions_and_products(capsys):
    code, out, _ = run(capsys, "missions")
    assert code == 0 and "omni" in out and "helioport-omni" in out
    code, out, _ = run(capsys, "products", "omni")
    assert code == 0
    assert "dc_mag" in out and "nT" in out and "mag_elev_angle" in out and "L3" in out


def test_load_writes_netcdf_csv_and_plot(capsys, omni_root, tmp_path):
    nc, csv, png = tmp_path / "o.nc", tmp_path / "o.csv", tmp_path / "o.png"
    args = [
        "load",
        "omni",
        "2010-01-01",
        "2010-01-01T02:00",
        "-p",
        "dc_mag",
        "i_dens",
        "--mode",
        "1min",
        "--coords",
        "gsm",
        "--base-url",
        str(omni_root),
    ]
    code, _out, err = run(capsys, *args, "-o", str(nc), "--plot", str(png))
    assert code == 0, err
    ds = xr.open_dataset(nc)
    assert ds["dc_mag"].shape == (120, 3)  # x, y, z; the magnitude is dc_mag_tot
    assert ds["dc_mag"].attrs["units"] == "nT" and ds.attrs["mission"] == "omni"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, *args, "-o", str(csv))
    assert code == 0, err
    df = pd.read_csv(csv, index_col=0)
    assert list(df.columns) == ["dc_mag_x", "dc_mag_y", "dc_mag_z", "dc_mag_tot", "i_dens"]
    np.testing.assert_allclose(
        df["dc_mag_z"].to_numpy(), ds["dc_mag"].sel(component="z").values, rtol=1e-6
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (["load", "nomission", "2010-01-01", "2010-01-02", "-p", "dc_mag"], "installed missions"),
        (["load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_magg"], "valid products"),
        (
            ["load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_mag", "--coords", "xyz"],
            "valid: gse, gsm",
        ),
        (
            ["load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_mag", "--mode", "3s"],
            "valid modes",
        ),
        (["load", "omni", "2010-01-02", "2010-01-01", "-p", "dc_mag"], "not before"),
        (["load", "omni", "not-a-date", "2010-01-01", "-p", "dc_mag"], "cannot parse"),
        (["products", "nomission"], "installed missions"),
        (
            ["load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_mag", "--version", "latest-ish"],
            "not understood",
        ),
        (
            ["load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_mag", "--option", "bogus=1"],
            "valid options",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, args, needle):
    code, _out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("helioport: error: ") and needle in lines[0]
    assert "Traceback" not in err


def test_no_data_error_in_cli(capsys, omni_root):
    code, _, err = run(
        capsys,
        "load",
        "omni",
        "1999-01-01",
        "1999-01-02",
        "-p",
        "dc_mag",
        "--base-url",
        str(omni_root),
    )
    assert code == 2 and "has no file" in err


def test_offline_warning_is_one_line(capsys, omni_root, server_for):
    srv = server_for(omni_root)
    args = ["load", "omni", "2010-01-01", "2010-01-01T03:00", "-p", "i_dens", "--base-url", srv.url]
    assert run(capsys, *args)[0] == 0
    srv.stop()
    code, out, err = run(capsys, *args, "--offline")
    assert code == 0 and "i_dens" in out
    assert err.strip().splitlines() == [
        (
            "helioport: warning: offline: omni loaded from the cache, newest cached versions "
            "(omni_hro_1min_20100101_v01.cdf); the archive may hold newer ones. Go online "
            "(without --offline) to check."
        )
    ]


def test_cache_info_and_clear(capsys, omni_root, cache_dir):
    run(
        capsys,
        "load",
        "omni",
        "2010-01-01",
        "2010-01-01T01:00",
        "-p",
        "i_dens",
        "--base-url",
        str(omni_root),
    )
    assert list(cache_dir.rglob("*.cdf"))
    code, out, _ = run(capsys, "cache", "info")
    assert code == 0 and str(cache_dir) in out
    code, out, _ = run(capsys, "cache", "clear", "--mission", "omni", "--yes")
    assert code == 0 and "removed" in out
    assert not list(cache_dir.rglob("*.cdf"))


def test_console_script_is_installed(tmp_path):
    exe = shutil.which("helioport") or str(
        __import__("pathlib").Path(sys.executable).parent / "helioport"
    )
    proc = subprocess.run(
        [exe, "load", "omni", "2010-01-02", "2010-01-01", "-p", "dc_mag"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("helioport: error:") and "Traceback" not in proc.stderr


def test_bad_config_value_is_one_line(capsys, monkeypatch, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('max_workers = "many"\nretries = -1\n')
    monkeypatch.setenv("HELIOPORT_CONFIG", str(cfg))
    code, _, err = run(capsys, "load", "omni", "2010-01-01", "2010-01-02", "-p", "dc_mag")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert str(cfg) in err and "max_workers" in err and "'many'" in err and "retries" in err
    assert "errors.pydantic.dev" not in err


@pytest.mark.parametrize("mission", ["mms", "toy"])
def test_demo_switches_to_the_newly_published_version(mission, tmp_path, capsys):
    pytest.importorskip(f"helioport_{mission}")
    from helioport.demo import publish_new_version, run_demo

    assert run_demo(workdir=str(tmp_path), missions=[mission]) == 0
    out = capsys.readouterr().out
    published = re.search(rf"\[{mission}\] server publishes (\S+) \(newer than (\S+)\)", out)
    used = re.search(rf"\[{mission}\] files used now: (.*)", out).group(1).split(", ")
    assert published and published.group(1) in used and published.group(2) not in used
    assert (
        "second load: " in out
        and "0 file download(s)" in out.split("second load: ")[1].splitlines()[0]
    )
    assert (tmp_path / "output" / f"{mission}.nc").stat().st_size > 0
    # a file in use is bumped, never an older version the loads ignore
    root = tmp_path / "bump"
    (root / "a").mkdir(parents=True)
    for name in ("x_v4.17.0.cdf", "x_v4.18.1.cdf"):
        (root / "a" / name).write_bytes(b"x")
    old, new = publish_new_version(root, {"x_v4.18.1.cdf"})
    assert (old.name, new.name) == ("x_v4.18.1.cdf", "x_v4.18.2.cdf") and new.is_file()


@pytest.mark.parametrize("flag", ["-o", "--plot"])
def test_unwritable_outputs_are_one_line_and_exit_2(capsys, omni_root, flag):
    target = "/nonexistent/dir/out.nc" if flag == "-o" else "/nonexistent/dir/x.png"
    code = main(
        ["load", "omni", "2010-01-01", "2010-01-01T03:00", "-p", "dc_mag"]
        + ["--base-url", str(omni_root), flag, target]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("helioport: error:") and "/nonexistent/dir" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- first contact: every mistake one line naming the command line's own options -----------------
LOAD = ["load", "omni", "2010-01-01", "2010-01-01T03:00", "-p", "dc_mag"]


def one_error_line(capsys, *args) -> str:
    code, _out, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("helioport: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_cache_clear_of_an_unknown_mission_lists_the_missions(capsys, omni_root, cache_dir):
    assert run(capsys, *LOAD, "--base-url", str(omni_root))[0] == 0
    line = one_error_line(capsys, "cache", "clear", "--mission", "omnii", "--yes")
    assert "no mission 'omnii'" in line and "installed missions are" in line and "omni" in line
    assert "missions with cached files: omni" in line
    assert list(cache_dir.rglob("*.cdf"))  # nothing deleted


def test_a_config_file_that_is_not_there_is_an_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HELIOPORT_CONFIG", str(tmp_path / "typo.toml"))
    line = one_error_line(capsys, *LOAD)
    assert f"HELIOPORT_CONFIG='{tmp_path / 'typo.toml'}' names nothing" in line
    monkeypatch.setenv("HELIOPORT_CONFIG", str(tmp_path))
    assert "names a folder" in one_error_line(capsys, "cache", "info")
    import os

    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)  # the way to say: no config file
    assert run(capsys, "cache", "info")[0] == 0


def test_a_mirror_folder_that_does_not_exist_says_so(capsys, tmp_path):
    line = one_error_line(capsys, *LOAD, "--base-url", str(tmp_path / "no-such-mirror"))
    assert f"mirror folder {tmp_path / 'no-such-mirror'} (source 'omni') does not exist" in line
    assert "--base-url" in line


def test_a_version_for_files_without_versions_is_an_error(capsys, omni_root):
    args = [*LOAD, "--mode", "hourly", "--base-url", str(omni_root), "--version", "4.18"]
    line = one_error_line(capsys, *args)
    assert "--version '4.18' was asked" in line and "carry no version (omni2_2010.dat)" in line


@pytest.mark.parametrize("value", ["2", "0", "most"])
def test_a_bad_require_names_the_require_option(capsys, value):
    line = one_error_line(
        capsys,
        "events",
        "omni",
        "2010-01-01",
        "2010-01-02",
        "--criteria",
        "dc_mag_tot > 1",
        "--require",
        value,
    )
    assert f"--require {value!r} is not understood" in line and "fraction in (0, 1]" in line
    assert "mode" not in line


def test_offline_hints_name_the_offline_flag(capsys, omni_root, server_for):
    srv = server_for(omni_root)
    line = one_error_line(capsys, *LOAD, "--base-url", srv.url, "--offline")
    assert "--offline" in line and "offline=True" not in line and "offline=False" not in line
    srv.stop()
    line = one_error_line(capsys, *LOAD, "--base-url", srv.url)
    assert "cannot reach 127.0.0.1" in line and "(--offline)" in line and "--base-url" in line
    assert "offline=True" not in line and "base_url=" not in line


def test_demo_of_an_unknown_mission_leaves_no_folder(capsys, tmp_path, monkeypatch):
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    line = one_error_line(capsys, "demo", "--mission", "bogus")
    assert "bogus" in line and "omni" in line
    assert list(temp.iterdir()) == []


def test_cache_info_does_not_count_an_interrupted_downloads_leftovers(capsys, omni_root, cache_dir):
    assert run(capsys, *LOAD, "--base-url", str(omni_root))[0] == 0
    folder = next(cache_dir.rglob("*.cdf")).parent
    (folder / ".omni_hro_1min_20100201_v01.cdf.part-k1ll3d").write_bytes(b"x" * 5000)
    code, out, _ = run(capsys, "cache", "info")
    assert code == 0 and "'omni': {'files': 1," in out


def test_debug_shows_the_traceback_instead_of_one_line(capsys, tmp_path, omni_root):
    with pytest.raises(helioport_errors.ConfigError, match="does not exist"):
        main(["--debug", *LOAD, "--base-url", str(tmp_path / "no-such-mirror")])
    with pytest.raises(FileNotFoundError):  # not helioport's own: raised as well
        main(["--debug", *LOAD, "--base-url", str(omni_root), "-o", "/nonexistent/dir/o.nc"])
