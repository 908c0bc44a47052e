"""EventCatalog: lossless round trips through every format, set operations, filters."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from helioport.errors import InvalidRequestError
from helioport.events import Event, EventCatalog, find_events
from test_events_search import CRIT, MMS_EVENTS, mms_dataset

UTC = dt.timezone.utc
FORMATS = ["txt", "csv", "json", "xml", "vot"]


def t(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def searched() -> EventCatalog:
    """A real search result: two probes, locations, min/max values, settings and provenance."""
    return find_events(mms_dataset(), CRIT, window="20s", step="8s", progress=False)


def tricky() -> EventCatalog:
    """Times to the microsecond, NaN/inf/tiny values, missing values, locations and probes."""
    return EventCatalog(
        events=[
            Event(
                start=t(2020, 1, 1, 0, 0, 0, 123456),
                stop=t(2020, 1, 1, 0, 0, 0, 123457),
                values={"b_min": float("nan"), "b_max": float("inf"), "v": 1e-300},
                location=(1.0, float("nan"), -2.5),
            ),
            Event(
                start=t(2020, 1, 1, 1),
                stop=t(2020, 1, 1, 2, 0, 0, 999999),
                probe="mms3",
                values={"b_min": -0.1, "b_max": 0.30000000000000004},
            ),
            Event(
                start=t(2020, 1, 1, 3),
                stop=t(2020, 1, 1, 3),
                location=(-96743.35, 16839.555, 30637.818),
            ),
        ],
        settings={
            "criteria": 'b_min < 5 & v > "q"',
            "mode": 0.5,
            "window_s": 120.0,
            "nested": {"a": [1, 2]},
            "none": None,
            "padded": "  x ",
            "numeric_text": "123",
        },
        provenance={
            "mission": "mms",
            "probes": ["mms1", "mms3"],
            "empty": "",
            "start": "2020-01-01T00:00:00Z",
        },
    )


def same(a: EventCatalog, b: EventCatalog) -> None:
    """Equal catalogs, NaN equal to NaN (pydantic's == says NaN != NaN)."""
    assert a.model_dump_json() == b.model_dump_json()
    assert [(e.start, e.stop) for e in a] == [(e.start, e.stop) for e in b]


@pytest.mark.parametrize("ext", FORMATS)
def test_search_result_round_trips_exactly(searched, tmp_path, ext):
    assert len(searched) == 2 * len(MMS_EVENTS) and searched[0].location is not None
    path = searched.write(tmp_path / f"events.{ext}")
    back = EventCatalog.read(path)
    assert back == searched  # plain equality: no NaN in a search result
    assert back.settings["criteria"] == CRIT and back.provenance["probes"] == ["mms1", "mms2"]
    assert back[0].values["e_bulkv_x_min"] == 6000.0 and back[0].probe == "mms1"


@pytest.mark.parametrize("ext", FORMATS)
def test_tricky_catalog_round_trips_to_the_microsecond(tmp_path, ext):
    cat = tricky()
    back = EventCatalog.read(cat.write(tmp_path / f"tricky.{ext}"))
    same(back, cat)
    assert back[0].start.microsecond == 123456 and back[0].stop.microsecond == 123457
    assert back[1].stop == t(2020, 1, 1, 2, 0, 0, 999999) and back[1].probe == "mms3"
    assert math.isnan(back[0].values["b_min"]) and back[0].values["b_max"] == math.inf
    assert back[0].values["v"] == 1e-300 and back[1].values["b_max"] == 0.30000000000000004
    assert "v" not in back[1].values and back[2].values == {} and back[1].location is None
    assert back.settings["padded"] == "  x " and back.settings["numeric_text"] == "123"
    assert back.settings["none"] is None and back.settings["nested"] == {"a": [1, 2]}


def test_empty_catalog_round_trips(tmp_path):
    cat = EventCatalog(settings={"criteria": "i_dens > 30"}, provenance={"mission": "omni"})
    for ext in FORMATS:
        back = EventCatalog.read(cat.write(tmp_path / f"empty.{ext}"))
        assert (
            len(back) == 0 and back.settings == cat.settings and back.provenance == cat.provenance
        )


def test_aidapy_list_layout_and_default_name(searched, tmp_path):
    path = searched.write(tmp_path)  # a folder: AIDApy's file name
    assert path.name == "Output_list_events_mms_20200101T000000_20200101T055956.txt"  # last sample
    lines = path.read_text().splitlines()
    assert lines[:7] == [
        "Scientific process:",
        "Mission: mms",
        "Probes: mms1, mms2",
        "Coordinates:",
        f"Criteria: {CRIT}",
        "Time window (s): 20.0",
        "Time step (s): 8.0",
    ]
    i = lines.index("List of events found:")
    header = lines[i + 1]
    assert header.split()[:5] == ["Tint", "(UTC)", "S/C", "location", "(km)"]
    assert header.index("Tint (UTC)") < header.index("S/C location (km)")
    first = lines[i + 2].split()
    assert first[0] == "2020-01-01T00:20:00.000000000/2020-01-01T00:20:40.000000000"
    assert first[1] == "-60000.0/305.0/0.0" and first[2] == "mms1"


def test_reads_a_genuine_aidapy_list(tmp_path):
    """The two-column list AIDApy writes (from its documentation)."""
    path = tmp_path / "Output_list_events_dc_mag_5_timewindow_120_step_120.txt"
    path.write_text(
        "Scientific process: edr\n"
        "Mission: mms\n"
        "Probes: 1\n"
        "Coordinates: gse\n"
        "Criteria: dc_mag_tot < 5, e_bulkv_x > 4000\n"
        "List of events found:\n"
        "            Tint (UTC)                                         S/C location (km)\n"
        "2017-08-10T12:18:31.728287000/2017-08-10T12:19:41.208817000    -96743.35/16839.555/30637.818\n"
    )
    cat = EventCatalog.read(path)
    assert len(cat) == 1
    assert cat[0].start == t(2017, 8, 10, 12, 18, 31, 728287) and cat[0].stop == t(
        2017, 8, 10, 12, 19, 41, 208817
    )
    assert cat[0].location == (-96743.35, 16839.555, 30637.818)
    assert cat.settings == {"process": "edr", "criteria": "dc_mag_tot < 5, e_bulkv_x > 4000"}
    assert cat.provenance == {"mission": "mms", "probes": "1", "coords": "gse"}


def test_votable_is_a_time_table(searched, tmp_path):
    path = searched.write(tmp_path / "events.xml")
    ns = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}
    root = ET.parse(path).getroot()
    assert (
        root.tag == "{http://www.ivoa.net/xml/VOTable/v1.3}VOTABLE" and root.get("version") == "1.3"
    )
    fields = root.findall(".//v:FIELD", ns)
    assert [(f.get("name"), f.get("xtype")) for f in fields[:2]] == [
        ("start", "dateTime"),
        ("stop", "dateTime"),
    ]
    assert {f.get("name") for f in fields} >= {
        "probe",
        "location",
        "dc_mag_tot_min",
        "e_bulkv_x_max",
    }
    rows = root.findall(".//v:TR", ns)
    assert len(rows) == len(searched)
    assert [td.text for td in rows[0]][:3] == [
        "2020-01-01T00:20:00Z",
        "2020-01-01T00:20:40Z",
        "mms1",
    ]
    params = {p.get("name"): p.get("value") for p in root.findall(".//v:PARAM", ns)}
    assert params["criteria"] == CRIT and params["window_s"] == "20.0"


def test_reads_an_amda_style_votable(tmp_path):
    path = tmp_path / "amda.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<VOTABLE version="1.2" xmlns="http://www.ivoa.net/xml/VOTable/v1.2">'
        "<RESOURCE><TABLE>"
        '<FIELD name="Start Time" ID="TimeIntervalStart" datatype="char" arraysize="23" xtype="dateTime"/>'
        '<FIELD name="Stop Time" ID="TimeIntervalStop" datatype="char" arraysize="23" xtype="dateTime"/>'
        "<DATA><TABLEDATA>"
        "<TR><TD>2008-01-02T10:00:00.250</TD><TD>2008-01-02T11:30:00.000</TD></TR>"
        "<TR><TD>2008-01-03T00:00:00.000</TD><TD>2008-01-03T00:10:00.000</TD></TR>"
        "</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    )
    cat = EventCatalog.read(path)
    assert [(e.start, e.stop) for e in cat] == [
        (t(2008, 1, 2, 10, 0, 0, 250000), t(2008, 1, 2, 11, 30)),
        (t(2008, 1, 3), t(2008, 1, 3, 0, 10)),
    ]


def test_csv_reads_with_pandas(searched, tmp_path):
    path = searched.write(tmp_path / "events.csv")
    df = pd.read_csv(path, comment="#")
    assert list(df.columns[:6]) == [
        "start",
        "stop",
        "probe",
        "location_x",
        "location_y",
        "location_z",
    ]
    assert df["start"].iloc[0] == "2020-01-01T00:20:00Z" and df["e_bulkv_x_max"].iloc[0] == 6000.0
    np.testing.assert_allclose(df["location_y"].to_numpy(), [e.location[1] for e in searched])


def test_unwritable_names_and_unknown_formats_are_clear_errors(tmp_path):
    spaced = EventCatalog(
        events=[Event(start=t(2020, 1, 1), stop=t(2020, 1, 1), values={"a b": 1.0})]
    )
    with pytest.raises(InvalidRequestError, match="'a b' cannot be written to the AIDApy format"):
        spaced.write(tmp_path / "x.txt")
    assert EventCatalog.read(spaced.write(tmp_path / "x.json"))[0].values == {"a b": 1.0}
    clash = EventCatalog(
        events=[Event(start=t(2020, 1, 1), stop=t(2020, 1, 1), values={"start": 1.0})]
    )
    with pytest.raises(InvalidRequestError, match="'start' cannot be written to the CSV"):
        clash.write(tmp_path / "x.csv")
    with pytest.raises(InvalidRequestError, match="extension"):
        spaced.write(tmp_path / "x.parquet")
    with pytest.raises(InvalidRequestError, match="unknown catalog format 'xlsx'"):
        spaced.write(tmp_path / "x.txt", format="xlsx")
    with pytest.raises(InvalidRequestError, match="no catalog file"):
        EventCatalog.read(tmp_path / "missing.csv")
    with pytest.raises(InvalidRequestError, match="not an AIDApy event list"):
        (tmp_path / "junk.txt").write_text("hello\n")
        EventCatalog.read(tmp_path / "junk.txt")
    with pytest.raises(InvalidRequestError, match="before its start"):
        Event(start=t(2020, 1, 2), stop=t(2020, 1, 1))


# --------------------------------------------------------------------------- set operations


def ev(a, b, probe=None, **values):
    return Event(start=t(2020, 1, 1, *a), stop=t(2020, 1, 1, *b), probe=probe, values=values)


A = EventCatalog(
    events=[
        ev((0, 0), (0, 10), x_min=1.0, x_max=4.0),
        ev((1, 0), (1, 5), x_min=2.0, x_max=3.0),
        ev((3, 0), (3, 1)),
    ],
    settings={"criteria": "x < 5"},
    provenance={"mission": "omni"},
)
B = EventCatalog(
    events=[
        ev((0, 5), (0, 20), x_min=0.5, x_max=3.0),
        ev((0, 30), (1, 2)),
        ev((2, 0), (2, 1)),
        ev((3, 1), (3, 2)),
    ],
    settings={"criteria": "y > 1"},
    provenance={"mission": "mms"},
)


def spans(cat):
    return [(e.start.strftime("%H:%M"), e.stop.strftime("%H:%M")) for e in cat]


def test_union_merges_overlaps_and_combines_values():
    u = A.union(B)
    assert spans(u) == [
        ("00:00", "00:20"),
        ("00:30", "01:05"),
        ("02:00", "02:01"),
        ("03:00", "03:02"),
    ]
    assert u[0].values == {"x_min": 0.5, "x_max": 4.0}  # extremes of both events
    assert u[1].values == {"x_min": 2.0, "x_max": 3.0}
    assert u.settings == {
        "operation": "union",
        "criteria": "(x < 5) or (y > 1)",
        "operands": [A.settings, B.settings],
    }
    assert u.provenance["operands"] == [A.provenance, B.provenance]
    assert spans(B.union(A)) == spans(u) and spans(A.union(EventCatalog())) == spans(A)


def test_intersection_keeps_common_intervals():
    i = A.intersection(B)
    assert spans(i) == [("00:05", "00:10"), ("01:00", "01:02"), ("03:01", "03:01")]
    assert i[0].values == {"x_min": 0.5, "x_max": 4.0}
    assert spans(B.intersection(A)) == spans(i)
    assert len(A.intersection(EventCatalog())) == 0
    assert i.settings["operation"] == "intersection"
    assert i.settings["criteria"] == "(x < 5) and (y > 1)" and "(x < 5) and" in repr(i)


def test_filter_by_duration_time_probe_and_predicate():
    cat = EventCatalog(
        events=[
            ev((0, 0), (0, 0, 20), "mms1", x_max=9.0),
            ev((1, 0), (1, 5), "mms2", x_max=2.0),
            ev((2, 0), (2, 30), "mms1", x_max=5.0),
        ],
        settings={"criteria": "x > 1"},
    )
    assert spans(cat.filter(min_duration="1min")) == [("01:00", "01:05"), ("02:00", "02:30")]
    assert spans(cat.filter(max_duration=300)) == [("00:00", "00:00"), ("01:00", "01:05")]
    assert spans(cat.filter(start="2020-01-01T00:30", stop="2020-01-01T01:02")) == [
        ("01:00", "01:05")
    ]
    assert spans(cat.filter(probe="mms1")) == [("00:00", "00:00"), ("02:00", "02:30")]
    kept = cat.filter(lambda e: e.values["x_max"] > 4, min_duration="30s")
    assert spans(kept) == [("02:00", "02:30")] and kept.settings == {
        "criteria": "x > 1",
        "filtered": True,
    }
    with pytest.raises(InvalidRequestError, match="min_duration"):
        cat.filter(min_duration="soon")


def test_catalog_dataframe_view(searched):
    df = searched.to_dataframe()
    assert len(df) == len(searched) and df["duration"].iloc[0] == pd.Timedelta("40s")
    assert list(df.columns[:7]) == ["start", "stop", "duration", "probe", "x", "y", "z"]
