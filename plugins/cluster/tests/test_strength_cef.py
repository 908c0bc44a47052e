"""The CEF reader (helioport_cluster.cef) on a small file that uses every part of the format.

Comments (and ``!`` inside quotes), metadata blocks of one and several entries,
``INCLUDE``, an end-of-record marker with records split over lines, every value
type, fill values, constants, multi-dimensional ``SIZES``, ``DEPEND_0`` and
time-range selection; and the errors for what is not a CEF file.
"""

from __future__ import annotations

import numpy as np
import pytest
from helioport.errors import CorruptFileError, DataNotFoundError
from helioport_cluster.cef import CefHeader, _strip_comment, _value, parse_header, read_cef

HEADER = """\
! a comment line
FILE_NAME = "C4_CP_TEST.cef"   ! trailing comment
FILE_FORMAT_VERSION = "CEF-2.0"
END_OF_RECORD_MARKER = "$"
include = "C4_CP_TEST.ceh"
START_META = LOGICAL_FILE_ID
   ENTRY = "C4_CP_TEST"
END_META = LOGICAL_FILE_ID
START_META = CAVEATS
   ENTRY = "first ! not a comment"
   ENTRY = "second"
END_META = CAVEATS
START_VARIABLE = time_tags
  VALUE_TYPE = ISO_TIME
  FILLVAL = 9999-12-31T23:59:59Z
  UNITS = "s"
END_VARIABLE = time_tags
START_VARIABLE = span
  VALUE_TYPE = ISO_TIME_RANGE
  DEPEND_0 = time_tags
END_VARIABLE = span
START_VARIABLE = B
  SIZES = 3
  VALUE_TYPE = FLOAT
  FILLVAL = -1.0E31
  UNITS = "nT"
  DEPEND_0 = time_tags
  LABEL_1 = "Bx", "By", "Bz"
END_VARIABLE = B
START_VARIABLE = count
  VALUE_TYPE = INT
  DEPEND_0 = time_tags
END_VARIABLE = count
START_VARIABLE = flag
  VALUE_TYPE = CHAR
  DEPEND_0 = time_tags
END_VARIABLE = flag
START_VARIABLE = grid
  SIZES = 2, 2
  VALUE_TYPE = FLOAT
  DEPEND_0 = time_tags
END_VARIABLE = grid
START_VARIABLE = names
  VALUE_TYPE = CHAR
  DATA = "x", "y", "z"
END_VARIABLE = names
START_VARIABLE = scale
  DATA = 2.5
END_VARIABLE = scale
DATA_UNTIL = "END_OF_DATA"
"""

RECORDS = """\
2001-07-06T21:16:07.000Z, 2001-07-06T21:16:07Z/2001-07-06T21:16:11Z, 1.5, -2.0, 3.25, 4, A,
  1, 2, 3, 4 $
2001-07-06T21:16:11.000Z, 2001-07-06T21:16:11Z/2001-07-06T21:16:15Z, -1.0E31, 0.5, 0.0, -7, "B", 5, 6, 7, 8 $
9999-12-31T23:59:59Z, 2001-07-06T21:16:15Z/2001-07-06T21:16:19Z, 7, 8, 9, 12, C, 9, 10, 11, 12 $
"""


@pytest.fixture
def cef(tmp_path):
    path = tmp_path / "C4_CP_TEST.cef"
    path.write_text(HEADER + RECORDS, encoding="latin-1")
    return path


def t(text: str) -> int:
    """A UTC time as datetime64[ns] integer, what ``tolist()`` of a datetime64[ns] array gives."""
    return int(np.datetime64(text, "ns").astype(np.int64))


def test_header(cef) -> None:
    head = parse_header(cef.read_text().splitlines(), str(cef))
    assert isinstance(head, CefHeader)
    assert head.marker == "$"
    assert head.includes == ["C4_CP_TEST.ceh"]
    assert head.meta["FILE_NAME"] == "C4_CP_TEST.cef"
    assert head.meta["FILE_FORMAT_VERSION"] == "CEF-2.0"
    assert head.meta["LOGICAL_FILE_ID"] == "C4_CP_TEST"  # one entry: the value itself
    assert head.meta["CAVEATS"] == ["first ! not a comment", "second"]
    assert "ENTRY" not in head.meta
    assert list(head.variables) == [
        "time_tags",
        "span",
        "B",
        "count",
        "flag",
        "grid",
        "names",
        "scale",
    ]
    assert head.variables["B"]["LABEL_1"] == ["Bx", "By", "Bz"]
    assert head.variables["grid"]["SIZES"] == ["2", "2"]
    assert head.columns() == [
        ("time_tags", 1),
        ("span", 1),
        ("B", 3),
        ("count", 1),
        ("flag", 1),
        ("grid", 4),
    ]
    assert head.data_line == HEADER.count("\n")


def test_every_value_type(cef) -> None:
    v = read_cef(cef)
    assert sorted(v) == sorted(
        ["time_tags", "span", "B", "count", "flag", "grid", "names", "scale"]
    )
    times = v["time_tags"].data
    assert times.dtype == np.dtype("M8[ns]")
    assert times[:2].tolist() == [t("2001-07-06T21:16:07"), t("2001-07-06T21:16:11")]
    assert np.isnat(times[2])  # the fill value
    assert v["span"].data.tolist() == [
        t("2001-07-06T21:16:07"),
        t("2001-07-06T21:16:11"),
        t("2001-07-06T21:16:15"),
    ]
    b = v["B"]
    assert b.data.shape == (3, 3) and b.cdf_type == "CDF_FLOAT"
    np.testing.assert_array_equal(b.data, [[1.5, -2.0, 3.25], [np.nan, 0.5, 0.0], [7, 8, 9]])
    assert b.attrs["units"] == "nT" and b.attrs["UNITS"] == "nT"
    assert b.labels == {1: ["Bx", "By", "Bz"]}
    assert b.depend_0 == "time_tags"
    np.testing.assert_array_equal(b.time, times)
    assert v["count"].data.tolist() == [4, -7, 12] and v["count"].data.dtype == np.int64
    assert v["count"].cdf_type == "CDF_INT4"
    assert v["flag"].data.tolist() == ["A", "B", "C"] and v["flag"].cdf_type == "CDF_CHAR"
    assert v["grid"].data.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert v["time_tags"].cdf_type == "CDF_EPOCH" and v["time_tags"].attrs["units"] == "s"


def test_constants(cef) -> None:
    v = read_cef(cef, ["names", "scale"])
    assert sorted(v) == ["names", "scale"]  # no DEPEND_0: nothing else
    assert v["names"].data.tolist() == ["x", "y", "z"] and not v["names"].record_varying
    assert v["scale"].data.tolist() == ["2.5"] and not v["scale"].record_varying
    assert v["names"].time is None


def test_names_bring_their_time_but_return_only_what_was_asked(cef) -> None:
    v = read_cef(cef, ["count"])
    assert list(v) == ["count"]
    assert v["count"].time[:2].tolist() == [t("2001-07-06T21:16:07"), t("2001-07-06T21:16:11")]
    assert v["count"].depend_0 == "time_tags"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2001-07-06T21:16:08", None, [-7, 12]),
        (None, "2001-07-06T21:16:11", [4]),
        ("2001-07-06T21:16:07", "2001-07-06T21:16:12", [4, -7]),
        (None, None, [4, -7, 12]),
    ],
)
def test_time_range(tmp_path, start, end, expected) -> None:
    path = tmp_path / "x.cef"
    # a fill time would not sort: a file with three ordered times
    path.write_text(HEADER + RECORDS.replace("9999-12-31T23:59:59Z,", "2001-07-06T21:16:15Z,"))
    v = read_cef(path, ["count", "names"], start=start, end=end)
    assert v["count"].data.tolist() == expected
    assert len(v["count"].time) == len(expected)
    assert v["names"].data.tolist() == ["x", "y", "z"]  # constants are not cut


def test_time_variable_itself_is_cut(tmp_path) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER + RECORDS.replace("9999-12-31T23:59:59Z,", "2001-07-06T21:16:15Z,"))
    v = read_cef(path, ["time_tags"], start="2001-07-06T21:16:10")
    assert v["time_tags"].data.tolist() == [t("2001-07-06T21:16:11"), t("2001-07-06T21:16:15")]
    np.testing.assert_array_equal(v["time_tags"].time, v["time_tags"].data)


def test_records_without_marker_end_at_the_line(tmp_path) -> None:
    head = HEADER.replace('END_OF_RECORD_MARKER = "$"\n', "")
    rows = RECORDS.replace(" $", "").replace(",\n  1, 2", ", 1, 2")
    path = tmp_path / "x.cef"
    path.write_text(head + rows)
    assert read_cef(path, ["count"])["count"].data.tolist() == [4, -7, 12]


def test_unknown_name(cef) -> None:
    with pytest.raises(DataNotFoundError) as err:
        read_cef(cef, ["count", "nope", "neither"])
    assert str(err.value) == (
        "C4_CP_TEST.cef has no variable nope, neither; it holds: "
        "time_tags, span, B, count, flag, grid, names, scale"
    )


def test_wrong_number_of_values(tmp_path) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER + RECORDS.replace("9, 10, 11, 12 $", "9, 10, 11, 12, 13 $"))
    with pytest.raises(CorruptFileError, match="x.cef: its records cannot be read"):
        read_cef(path)
    path.write_text(HEADER.replace("SIZES = 2, 2", "SIZES = 2, 3") + RECORDS)
    with pytest.raises(CorruptFileError) as err:
        read_cef(path)
    assert str(err.value) == "x.cef: records have 11 values, the header declares 13"


def test_a_short_record_among_full_ones_is_refused(tmp_path) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER + RECORDS.replace("9, 10, 11, 12 $", "9, 10, 11 $"))
    with pytest.raises(CorruptFileError) as err:
        read_cef(path, ["grid"])
    assert str(err.value) == "x.cef: record 3 has 10 values, the header declares 11"


def test_a_comment_line_between_records_keeps_the_next_record(tmp_path) -> None:
    path = tmp_path / "x.cef"
    rows = RECORDS.replace("$\n2001-07-06T21:16:11", "$\n! a comment\n2001-07-06T21:16:11")
    path.write_text(HEADER + rows)
    assert read_cef(path, ["count"])["count"].data.tolist() == [4, -7, 12]


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [(" 0.5,", " half,", "B are not FLOAT"), (" -7,", " 7.5,", "count are not INT")],
)
def test_values_that_are_not_numbers(tmp_path, old, new, what) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER + RECORDS.replace(old, new))
    with pytest.raises(CorruptFileError, match=f"x.cef: values of {what}"):
        read_cef(path)


def test_not_a_cef_file(tmp_path) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER.replace('DATA_UNTIL = "END_OF_DATA"\n', ""))
    with pytest.raises(CorruptFileError) as err:
        read_cef(path)
    assert str(err.value) == f"{path}: no DATA_UNTIL line; this is not a complete CEF file"
    with pytest.raises(CorruptFileError, match="cannot read the CEF file"):
        read_cef(tmp_path / "missing.cef")


def test_empty_records(tmp_path) -> None:
    path = tmp_path / "x.cef"
    path.write_text(HEADER)
    with pytest.raises(CorruptFileError, match="records cannot be read"):
        read_cef(path)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('A = "x ! y" ! z', 'A = "x ! y"'),
        ("A = 1 !", "A = 1"),
        ("! all", ""),
        ('"!"!', '"!"'),
        ("no comment   ", "no comment"),
    ],
)
def test_strip_comment(line: str, expected: str) -> None:
    assert _strip_comment(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a", "b"', ["a", "b"]),
        ('"a"', "a"),
        ("abc", "abc"),
        ("1, 2 ,3", ["1", "2", "3"]),
        ('""', ""),
        ('"a, b"', "a, b"),
    ],
)
def test_value(text: str, expected) -> None:
    assert _value(text) == expected
