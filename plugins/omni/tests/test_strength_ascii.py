"""Behaviours of helioport_omni.ascii that mutation testing found unpinned.

Both ``CorruptFileError`` branches, values next to a fill value, the writer's
handling of NaN in columns without a fill value, and the exact fixed-width
layout (line width, decimal points, Fortran ``Fw.0`` fields).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helioport.errors import CorruptFileError
from helioport_omni import ascii as A

NAMES = [c.name for c in A.COLUMNS[3:]]


def frame(rows: list[dict[str, float]], times: list[str]) -> pd.DataFrame:
    """Rows of physical values (1.0 where not given) at ``times``."""
    data = {name: [row.get(name, 1.0) for row in rows] for name in NAMES}
    return pd.DataFrame(data, index=pd.DatetimeIndex(times, name="time"))


def write(tmp_path, df: pd.DataFrame, name: str = "omni2_2012.dat"):
    return A.write_omni2(tmp_path / "sub" / name, df)


# -- the layout -----------------------------------------------------------------------
def test_layout() -> None:
    width, points, groups = A._layout()
    widths = [int(c.fmt[1:].partition(".")[0]) for c in A.COLUMNS]
    assert width == sum(widths) == 327
    assert points.dtype == np.intp and points[:3].tolist() == [34, 40, 46]
    floats = [c for c in A.COLUMNS if c.fmt.startswith("F")]
    assert len(points) == len(floats)
    line = A.format_omni2_rows(frame([{}], ["2012-01-01"]))[0]
    assert len(line) == width
    assert [i for i, ch in enumerate(line) if ch == "."] == points.tolist()
    # one group per Fortran format; every column exactly once; decimals from the format
    formats = list(dict.fromkeys(c.fmt for c in A.COLUMNS))
    assert len(groups) == len(formats)
    assert sorted(j for cols, _, _ in groups for j in cols.tolist()) == list(range(55))
    for (cols, positions, decimals), fmt in zip(groups, formats):
        assert all(A.COLUMNS[j].fmt == fmt for j in cols)
        assert decimals == (int(fmt.partition(".")[2]) if "." in fmt else 0)
        w = int(fmt[1:].partition(".")[0])
        assert positions.shape == (len(cols), w - (1 if fmt[0] == "F" else 0))
        assert all(line[p] != "." for p in positions.ravel())


def test_module_tables() -> None:
    assert A._WIDTH == 327 and len(A._NAMES) == 52 and A._NAMES[0] == "bartels_rotation"
    assert A._SCALED.tolist() == [NAMES.index("kp")] and A._SCALES.tolist() == [0.1]
    assert A._FILLS[NAMES.index("t_proton")] == 9999999.0
    assert np.isnan(A._FILLS[NAMES.index("magnetospheric_flag")])
    assert A.BY_NAME["year"] == 0 and A.BY_NAME["magnetosonic_mach"] == 54


# -- reading ------------------------------------------------------------------------
def test_round_trip_of_values_next_to_fills(tmp_path) -> None:
    near = {
        "b_mag_avg": 999.8,  # fill 999.9
        "bartels_rotation": 9998,  # fill 9999
        "t_proton": 9999998.0,  # fill 9999999.
        "na_np": 9.998,  # fill 9.999
        "flow_pressure": -99.99,  # fill 99.99: the sign matters
        "kp": 9.8,  # stored 98, fill 99
        "dst": -99999,  # fill 99999
        "proton_flux_1mev": 999999.98,  # fill 999999.99
    }
    fills = {
        "b_mag_avg": np.nan,
        "bartels_rotation": np.nan,
        "t_proton": np.nan,
        "na_np": np.nan,
        "flow_pressure": np.nan,
        "kp": np.nan,
        "dst": np.nan,
        "proton_flux_1mev": np.nan,
    }
    df = frame([near, fills], ["2012-02-29T23:00", "2012-12-31T00:00"])
    path = write(tmp_path, df)
    text = path.read_text()
    assert " 999.8" in text and " 999.9" in text and " 98" in text and " 99" in text
    got = A.read_omni2(path)
    assert list(got.columns) == NAMES and got.index.name == "time"
    assert got.index.tolist() == [pd.Timestamp("2012-02-29T23:00"), pd.Timestamp("2012-12-31")]
    for name, value in near.items():
        assert got[name].iloc[0] == pytest.approx(value, abs=1e-9), name
        assert np.isnan(got[name].iloc[1]), name


def test_whitespace_layout_reads_the_same(tmp_path) -> None:
    df = frame([{"bz_gsm": -3.5, "kp": 3.3}, {"bz_gsm": np.nan}], ["2010-01-01", "2010-01-01T01"])
    fixed = A.read_omni2(write(tmp_path, df, "fixed.dat"))
    # the same numbers with single spaces: not the fixed-width layout
    loose = tmp_path / "loose.dat"
    loose.write_text("\n".join(" ".join(line.split()) for line in A.format_omni2_rows(df)) + "\n")
    assert A.parse_fixed_width(loose.read_bytes()) is None
    pd.testing.assert_frame_equal(A.read_omni2(loose), fixed)
    assert fixed["bz_gsm"].iloc[0] == -3.5 and fixed["kp"].iloc[0] == pytest.approx(3.3)
    assert np.isnan(fixed["bz_gsm"].iloc[1])


def test_non_numeric_token_is_a_corrupt_file(tmp_path) -> None:
    path = tmp_path / "omni2_2010.dat"
    path.write_text(" ".join(["2010", "1", "0"] + ["abc"] * 52) + "\n")
    with pytest.raises(CorruptFileError) as err:
        A.read_omni2(path)
    assert str(err.value).startswith(
        "omni2_2010.dat is not an OMNI2 hourly file (55 numeric columns): "
    )


def test_html_page_is_a_corrupt_file(tmp_path) -> None:
    path = tmp_path / "omni2_2010.dat"
    path.write_text("<html><body>Service unavailable</body></html>\n")
    with pytest.raises(CorruptFileError, match="omni2_2010.dat"):
        A.read_omni2(path)


def test_empty_file_is_a_corrupt_file(tmp_path) -> None:
    path = tmp_path / "omni2_2010.dat"
    path.write_text("")
    with pytest.raises(CorruptFileError, match="not an OMNI2 hourly file"):
        A.read_omni2(path)


@pytest.mark.parametrize("ncols", [54, 56])
def test_wrong_column_count_is_a_corrupt_file(tmp_path, ncols: int) -> None:
    path = tmp_path / "omni2_2010.dat"
    path.write_text(" ".join(["2010", "1", "0"] + ["1.0"] * (ncols - 3)) + "\n")
    with pytest.raises(CorruptFileError) as err:
        A.read_omni2(path)
    assert str(err.value) == (
        f"omni2_2010.dat has {ncols} columns, an OMNI2 hourly file has 55; "
        "the download may be an error page or another format"
    )


# -- parse_fixed_width --------------------------------------------------------------
def line_of(**values: float) -> str:
    return A.format_omni2_rows(frame([values], ["2010-03-04T05:00"]))[0]


def test_parse_fixed_width_values() -> None:
    line = line_of(bz_gsm=-12.3, t_proton=123456.0, na_np=0.042, kp=0.7, dst=-456)
    out = A.parse_fixed_width((line + "\n" + line + "\n").encode())
    assert out.shape == (2, 55) and out.dtype == np.float64
    row = out[0]
    assert row[:3].tolist() == [2010.0, 63.0, 5.0]
    assert row[A.BY_NAME["bz_gsm"]] == -12.3
    assert row[A.BY_NAME["t_proton"]] == 123456.0
    assert row[A.BY_NAME["na_np"]] == 0.042
    assert row[A.BY_NAME["kp"]] == 7.0  # stored, not scaled
    assert row[A.BY_NAME["dst"]] == -456.0
    np.testing.assert_array_equal(out[0], out[1])
    # without the final newline too
    np.testing.assert_array_equal(A.parse_fixed_width(line.encode())[0], row)


def test_parse_fixed_width_decodes_as_text_parsing_does() -> None:
    line = line_of(flow_pressure=0.07, e_field=-0.29, proton_flux_1mev=12345.67)
    row = A.parse_fixed_width(line.encode())[0]
    assert row[A.BY_NAME["flow_pressure"]] == float("0.07")
    assert row[A.BY_NAME["e_field"]] == float("-0.29")
    assert row[A.BY_NAME["proton_flux_1mev"]] == float("12345.67")


def replace_at(line: str, at: int, text: str) -> bytes:
    return (line[:at] + text + line[at + len(text) :]).encode()


@pytest.mark.parametrize(
    "change",
    [
        lambda line: (line + " ").encode(),  # one character too many
        lambda line: line[:-1].encode(),  # one too few
        lambda line: (line + "\n" + line[:-1] + " x").encode(),  # a letter
        lambda line: replace_at(line, 34, "5"),  # a digit where the point is
        lambda line: replace_at(line, 30, "*****"),  # Fortran overflow
        lambda line: replace_at(line, 29, "1.0e1"),  # exponent
        lambda line: replace_at(line, 30, "    . "),  # a field with no digit
        lambda line: replace_at(line, 33, ":"),  # the character after "9" is no digit
        lambda line: b"",
        lambda line: b"\n",
    ],
)
def test_parse_fixed_width_refuses_other_text(change) -> None:
    assert A.parse_fixed_width(change(line_of())) is None


def test_parse_fixed_width_needs_newlines_between_lines() -> None:
    line = line_of()
    two = (line + "\r" + line).encode()
    assert len(two) % (A._WIDTH + 1) == A._WIDTH
    assert A.parse_fixed_width(two) is None
    assert A.parse_fixed_width((line + "\n" + line + "\n\n").encode()).shape == (2, 55)


# -- writing ------------------------------------------------------------------------
def test_writer_nan_in_columns_without_fill_is_zero() -> None:
    line = line_of(magnetospheric_flag=np.nan, imf_sc_id=np.nan)
    cols = dict(zip([c.name for c in A.COLUMNS], A.parse_fixed_width(line.encode())[0]))
    assert cols["magnetospheric_flag"] == 0.0  # no fill value: written as 0
    assert cols["imf_sc_id"] == 99.0  # fill 99


def test_writer_fields() -> None:
    year = A.Column("year", "I4", None, "", "")
    speed = A.Column("flow_speed", "F6.0", 9999.0, "km/s", "")
    bz = A.Column("bz_gsm", "F6.1", 999.9, "nT", "")
    assert A._field(2010.0, year) == "2010"
    assert A._field(-3.6, A.Column("x", "I3", 99, "", "")) == " -4"
    assert A._field(402.4, speed) == "  402."
    assert A._field(9999.0, speed) == " 9999."
    assert A._field(12.34, bz) == "  12.3"


def test_writer_scales_kp_and_writes_fills(tmp_path) -> None:
    df = frame([{"kp": 3.3, "dst": np.nan}], ["2011-07-01T12:00"])
    line = A.format_omni2_rows(df)[0]
    cols = dict(zip([c.name for c in A.COLUMNS], A.parse_fixed_width(line.encode())[0]))
    assert cols["kp"] == 33.0 and cols["dst"] == 99999.0
    assert cols["year"] == 2011 and cols["doy"] == 182 and cols["hour"] == 12


def test_write_omni2_is_atomic_and_ends_with_a_newline(tmp_path) -> None:
    df = frame([{}, {}], ["2010-01-01", "2010-01-01T01"])
    path = write(tmp_path, df)
    assert path == tmp_path / "sub" / "omni2_2012.dat"
    deep = A.write_omni2(tmp_path / "a" / "b" / "c.dat", df)  # missing folders are made
    assert deep.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["omni2_2012.dat"]
    text = path.read_bytes()
    assert text.endswith(b"\n") and text.count(b"\n") == 2
    assert len(text) == 2 * (A._WIDTH + 1)
    # writing again replaces the file
    A.write_omni2(path, df.iloc[:1])
    assert path.read_bytes().count(b"\n") == 1


def test_times() -> None:
    got = A._times(np.array([2012.0, 2013.0]), np.array([366.0, 1.0]), np.array([23.0, 0.0]))
    assert got.dtype == np.dtype("M8[ns]")
    assert got.tolist() == [
        np.datetime64("2012-12-31T23:00", "ns").astype(np.int64),
        np.datetime64("2013-01-01T00:00", "ns").astype(np.int64),
    ]


def test_parse_fixed_width_a_year_of_lines() -> None:
    times = pd.date_range("2012-01-01", periods=500, freq="h")
    df = frame([{"bz_gsm": (k % 200) / 10 - 10} for k in range(500)], list(times))
    text = ("\n".join(A.format_omni2_rows(df)) + "\n").encode()
    out = A.parse_fixed_width(text)
    assert out.shape == (500, 55)
    assert out[:, A.BY_NAME["hour"]].tolist() == [k % 24 for k in range(500)]
    np.testing.assert_allclose(out[:, A.BY_NAME["bz_gsm"]], df["bz_gsm"].to_numpy(), atol=1e-12)
