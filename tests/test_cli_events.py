"""``helioport events`` and the demo's event search, on the OMNI sample archive."""

from __future__ import annotations

import helioport
import pytest
from helioport.cli import main
from helioport.events import EventCatalog, find_events

CRITERIA = "dc_mag_z < -8 and i_dens > 0"
PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "criteria,needle",
    [
        ("dc_mag_z.__class__ < 0", "attribute access '.__class__' at column 9"),
        ("__import__('os').system('true') > 0", "attribute access '.system'"),
        ("open('x') > 0", "call to function 'open' at column 1"),
        ("dc_mag_z < -8 and", "invalid syntax at the end"),
    ],
)
def test_bad_criteria_is_one_line_and_exit_2(capsys, tmp_path, criteria, needle):
    out_file = tmp_path / "events.txt"
    # no --base-url: the criteria fail before anything is loaded or fetched
    code, _out, err = run(
        capsys,
        "events",
        "omni",
        "2010-01-01",
        "2010-01-02",
        "--criteria",
        criteria,
        "-o",
        str(out_file),
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("helioport: error: criteria ")
        and needle in lines[0]
    )
    assert "Traceback" not in err and not out_file.exists()


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--require", "most"], "--require 'most' is not understood: use any, all, or a fraction"),
        (["--window", "soon"], "window: cannot read 'soon' as a duration"),
        (
            ["--criteria", "dc_mag_q < 1"],
            "a component is written dc_mag_x, dc_mag_y, dc_mag_z or dc_mag_tot",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2(capsys, omni_root, extra, needle):
    code, _, err = run(
        capsys,
        "events",
        "omni",
        "2010-01-01",
        "2010-01-02",
        "--criteria",
        CRITERIA,
        "--base-url",
        str(omni_root),
        *extra,
    )
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err


@pytest.mark.parametrize("via", ["server", "folder"])
def test_events_writes_aidapy_list_and_plot(capsys, omni_root, server_for, tmp_path, via):
    base = server_for(omni_root).url if via == "server" else str(omni_root)
    txt, png = tmp_path / "events.txt", tmp_path / "events.png"
    code, out, err = run(
        capsys,
        "events",
        "omni",
        "2010-01-01",
        "2010-01-03",
        "--criteria",
        CRITERIA,
        "--window",
        "10min",
        "--step",
        "5min",
        "--mode",
        "1min",
        "--coords",
        "gse",
        "--chunk",
        "1D",
        "--base-url",
        base,
        "-o",
        str(txt),
        "--plot",
        str(png),
    )
    assert code == 0, err
    cat = EventCatalog.read(txt)
    # the same search on the loaded Dataset: the CLI's chunked request gives the same events
    ds = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-03",
        products=["dc_mag", "i_dens", "sc_pos"],
        mode="1min",
        coords="gse",
        base_url=base,
    )
    ref = find_events(ds, CRITERIA, window="10min", step="5min", progress=False)
    assert len(ref) >= 1 and [(e.start, e.stop) for e in cat] == [(e.start, e.stop) for e in ref]
    assert [e.values for e in cat] == [e.values for e in ref]
    z = ds["dc_mag"].sel(component="z").to_series()
    for e in cat:  # the criterion really holds at both ends of each event
        assert z[e.start.replace(tzinfo=None)] < -8 and z[e.stop.replace(tzinfo=None)] < -8
        assert e.values["dc_mag_z_max"] < -8
        assert e.location is not None and abs(e.location[0]) > 1e4  # OMNI's Re turned into km
    text = txt.read_text()
    assert "Mission: omni" in text and f"Criteria: {CRITERIA}" in text and "Tint (UTC)" in text
    assert cat.settings["chunk"] == "86400s" and cat.provenance["data_mode"] == "1min"
    assert f"{len(cat)} event(s)" in out and f"wrote {txt}" in out
    assert png.read_bytes()[:8] == PNG and png.stat().st_size > 5000


def test_events_other_formats_from_cli(capsys, omni_root, tmp_path):
    for ext in ("csv", "json", "xml"):
        path = tmp_path / f"events.{ext}"
        code, _, err = run(
            capsys,
            "events",
            "omni",
            "2010-01-01",
            "2010-01-03",
            "--criteria",
            CRITERIA,
            "--window",
            "10min",
            "--step",
            "5min",
            "--base-url",
            str(omni_root),
            "-o",
            str(path),
        )
        assert code == 0, err
        assert len(EventCatalog.read(path)) >= 1


def test_demo_writes_the_event_search(tmp_path, capsys):
    from helioport.demo import run_demo

    assert run_demo(workdir=str(tmp_path), missions=["omni"]) == 0
    out = capsys.readouterr().out
    txt = tmp_path / "output" / "omni_events.txt"
    assert "[omni] event search 'dc_mag_z < -8'" in out and str(txt) in out
    cat = EventCatalog.read(txt)
    assert len(cat) >= 1 and cat.settings["criteria"] == "dc_mag_z < -8"
    assert all(e.values["dc_mag_z_max"] < -8 for e in cat)
    assert (tmp_path / "output" / "omni_events.png").read_bytes()[:8] == PNG


def test_bare_number_window_is_seconds(capsys, omni_root, tmp_path):
    out = tmp_path / "ev.json"
    code, _, err = run(
        capsys,
        "events",
        "omni",
        "2010-01-01",
        "2010-01-03",
        "--criteria",
        CRITERIA,
        "--window",
        "600",
        "--step",
        "300",
        "--base-url",
        str(omni_root),
        "-o",
        str(out),
    )
    assert code == 0, err
    from helioport.events import EventCatalog

    settings = EventCatalog.read(out).settings
    assert (settings["window"], settings["step"]) == ("600s", "300s")
