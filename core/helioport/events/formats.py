"""Reading and writing event catalogs: AIDApy ASCII, CSV, JSON, VOTable.

Every format keeps times to the microsecond and values exactly (floats are
written with ``repr``, the shortest text that reads back to the same float),
so ``EventCatalog.read(cat.write(path)) == cat``.

This module turns a catalog into text and text into a catalog's fields; it
never builds the catalog model, so :mod:`.catalog` can call it. Writers read
the attributes of :class:`CatalogLike` (``EventCatalog`` is one); readers
return the fields ``EventCatalog(**fields)`` takes.

- **AIDApy** (``.txt``): ``Label: value`` header lines as AIDApy writes them
  (Scientific process, Mission, Probes, Coordinates, Criteria, time window and
  step), then ``Settings:``/``Provenance:`` as one-line JSON, ``List of events
  found:``, a column header and one line per event:
  ``start/stop    x/y/z    probe    value...`` (times with nanosecond digits as
  AIDApy prints them; ``-`` for an unknown location, probe or value). Genuine
  AIDApy lists (two columns, no JSON lines) read too.
- **CSV**: ``# settings: {json}`` and ``# provenance: {json}`` comment lines,
  then columns ``start, stop, probe, location_x, location_y, location_z, values...``.
- **JSON**: the catalog model dumped as JSON (NaN as ``"NaN"``).
- **VOTable** (``.xml``/``.vot``/``.votable``): a VOTable 1.3 time table as
  AMDA and SciQLoP exchange them: FIELDs ``start`` and ``stop``
  (``datatype="char" xtype="dateTime"``, ISO 8601 UTC), then ``probe``,
  ``location`` (3 doubles, km) and one double per value; settings as PARAMs,
  provenance as INFOs. Written with :mod:`xml.etree`; astropy reads it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ..errors import InvalidRequestError
from ..times import format_time, parse_time

__all__ = ["FORMATS", "CatalogLike", "default_filename", "read_catalog", "write_catalog"]

FORMATS = {
    ".txt": "aidapy",
    ".csv": "csv",
    ".json": "json",
    ".xml": "votable",
    ".vot": "votable",
    ".votable": "votable",
}
_VO_NS = "http://www.ivoa.net/xml/VOTable/v1.3"
_TINT = "Tint (UTC)"
_LOC = "S/C location (km)"
_LIST = "List of events found:"


class CatalogLike(Protocol):
    """What the writers read of a catalog (:class:`.catalog.EventCatalog` is one).

    Each event has ``start``, ``stop`` (UTC datetimes), ``values`` (a dict of
    floats), ``location`` (three floats or ``None``) and ``probe``.
    """

    events: list[Any]
    settings: dict[str, Any]
    provenance: dict[str, Any]

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


def _fields(events: list[dict[str, Any]], settings: Any, provenance: Any) -> dict[str, Any]:
    return {"events": events, "settings": settings, "provenance": provenance}


def _event(start: Any, stop: Any, probe: Any, location: Any, values: dict[str, float]) -> dict:
    return {"start": start, "stop": stop, "probe": probe, "location": location, "values": values}


# --------------------------------------------------------------------------- helpers


def default_filename(catalog: CatalogLike) -> str:
    """``Output_list_events_{mission}_{start}_{end}.txt`` (times as ``YYYYMMDDTHHMMSS``)."""
    prov = catalog.provenance
    mission = prov.get("mission") or "events"
    start = prov.get("start") or (catalog.events[0].start if catalog.events else None)
    end = prov.get("end") or (catalog.events[-1].stop if catalog.events else None)

    def stamp(t: Any) -> str:
        return parse_time(t).strftime("%Y%m%dT%H%M%S") if t is not None else "unknown"

    return f"Output_list_events_{mission}_{stamp(start)}_{stamp(end)}.txt"


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        name = format.lower().lstrip(".")
        name = FORMATS.get("." + name, name)
        if name not in set(FORMATS.values()):
            raise InvalidRequestError(
                f"unknown catalog format {format!r}; use one of {', '.join(sorted(set(FORMATS.values())))}"
            )
        return name
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InvalidRequestError(
            f"cannot tell the catalog format of {str(path)!r} from its extension; use one of "
            f"{', '.join(FORMATS)} or pass format='aidapy'|'csv'|'json'|'votable'"
        ) from None


def _enc(value: Any) -> str:
    """One-line text of a value: raw for plain strings, JSON otherwise."""
    if isinstance(value, str) and value == value.strip() and value and "\n" not in value:
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value)


def _dec(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _num(x: float) -> str:
    return repr(float(x))


def _keys(catalog: CatalogLike) -> list[str]:
    keys: list[str] = []
    for e in catalog.events:
        keys += [k for k in e.values if k not in keys]
    return keys


def _check_keys(keys: list[str], fmt: str, reserved: tuple[str, ...], spaces: bool = True) -> None:
    """Refuse value names the format cannot hold without ambiguity."""
    for k in keys:
        if k in reserved or not k or (not spaces and (k != "".join(k.split()) or k == "-")):
            raise InvalidRequestError(
                f"event value name {k!r} cannot be written to the {fmt} format (it is empty, "
                f"holds whitespace or is one of {', '.join(reserved)}); rename it or use JSON"
            )


def _ns_text(t: Any) -> str:
    """AIDApy's time text: ``2017-08-10T12:18:31.728287000``."""
    return pd.Timestamp(t).tz_convert(None).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000"


# --------------------------------------------------------------------------- AIDApy


def _write_aidapy(catalog: CatalogLike) -> str:
    s, p = catalog.settings, catalog.provenance
    probes = p.get("probes") or []
    lines = [
        f"Scientific process: {s.get('process') or ''}".rstrip(),
        f"Mission: {p.get('mission') or ''}".rstrip(),
        f"Probes: {', '.join(str(x) for x in probes) if isinstance(probes, list) else probes}".rstrip(),
        f"Coordinates: {p.get('coords') or ''}".rstrip(),
        f"Criteria: {s.get('criteria') or ''}".rstrip(),
        f"Time window (s): {s.get('window_s', '')}".rstrip(),
        f"Time step (s): {s.get('step_s', '')}".rstrip(),
        "Settings: " + json.dumps(s, sort_keys=False),
        "Provenance: " + json.dumps(p, sort_keys=False),
        _LIST,
    ]
    keys = _keys(catalog)
    _check_keys(keys, "AIDApy", ("probe",), spaces=False)
    header = f"{_TINT:^59}    {_LOC:<32}"
    if keys or any(e.probe for e in catalog.events):
        header += "    probe    " + "    ".join(keys)
    lines.append(header.rstrip())
    for e in catalog.events:
        loc = "/".join(_num(v) for v in e.location) if e.location else "-"
        row = f"{_ns_text(e.start)}/{_ns_text(e.stop)}    {loc:<32}"
        if keys or any(x.probe for x in catalog.events):
            vals = [_num(e.values[k]) if k in e.values else "-" for k in keys]
            row += "    " + "    ".join([e.probe or "-"] + vals)
        lines.append(row.rstrip())
    return "\n".join(lines) + "\n"


def _read_aidapy(text: str) -> dict[str, Any]:
    lines = text.splitlines()
    head: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].strip() != _LIST:
        key, sep, value = lines[i].partition(":")
        if sep:
            head[key.strip()] = value.strip()
        i += 1
    if i == len(lines):
        raise InvalidRequestError(f"not an AIDApy event list: no line {_LIST!r}")
    settings = _dec(head["Settings"]) if "Settings" in head else {}
    prov = _dec(head["Provenance"]) if "Provenance" in head else {}
    if "Settings" not in head:  # a genuine AIDApy list
        settings = {
            k: v
            for k, v in (
                ("process", head.get("Scientific process")),
                ("criteria", head.get("Criteria")),
            )
            if v
        }
        prov = {
            k: v
            for k, v in (
                ("mission", head.get("Mission")),
                ("probes", head.get("Probes")),
                ("coords", head.get("Coordinates")),
            )
            if v
        }
    columns: list[str] = []
    if i + 1 < len(lines) and _TINT in lines[i + 1]:
        rest = lines[i + 1].replace(_TINT, "").replace(_LOC, "").split()
        columns = rest
        i += 1
    events = []
    for line in lines[i + 1 :]:
        parts = line.split()
        if not parts:
            continue
        start, stop = parts[0].split("/")
        loc = None
        if len(parts) > 1 and parts[1] != "-":
            x, y, z = (float(v) for v in parts[1].split("/"))
            loc = (x, y, z)
        probe, values = None, {}
        for name, cell in zip(columns, parts[2:]):
            if cell == "-":
                continue
            if name == "probe":
                probe = cell
            else:
                values[name] = float(cell)
        events.append(_event(start, stop, probe, loc, values))
    return _fields(events, settings, prov)


# --------------------------------------------------------------------------- CSV

_CSV_FIXED = ("start", "stop", "probe", "location_x", "location_y", "location_z")


def _write_csv(catalog: CatalogLike) -> str:
    buf = io.StringIO()
    buf.write("# helioport event catalog\n")
    buf.write("# settings: " + json.dumps(catalog.settings) + "\n")
    buf.write("# provenance: " + json.dumps(catalog.provenance) + "\n")
    keys = _keys(catalog)
    _check_keys(keys, "CSV", _CSV_FIXED)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(_CSV_FIXED) + keys)
    for e in catalog.events:
        loc = [_num(v) for v in e.location] if e.location else ["", "", ""]
        vals = [_num(e.values[k]) if k in e.values else "" for k in keys]
        w.writerow([format_time(e.start), format_time(e.stop), e.probe or ""] + loc + vals)
    return buf.getvalue()


def _read_csv(text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    body = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip() in ("settings", "provenance"):
                meta[key.strip()] = json.loads(value)
        elif line.strip():
            body.append(line)
    rows = list(csv.reader(body))
    if not rows:
        return _fields([], meta.get("settings", {}), meta.get("provenance", {}))
    header, events = rows[0], []
    for r in rows[1:]:
        d = dict(zip(header, r))
        loc = None
        if d.get("location_x"):
            loc = (float(d["location_x"]), float(d["location_y"]), float(d["location_z"]))
        values = {k: float(v) for k, v in d.items() if k not in _CSV_FIXED and v != ""}
        events.append(_event(d["start"], d["stop"], d.get("probe") or None, loc, values))
    return _fields(events, meta.get("settings", {}), meta.get("provenance", {}))


# --------------------------------------------------------------------------- VOTable


def _write_votable(catalog: CatalogLike) -> str:
    ET.register_namespace("", _VO_NS)
    q = f"{{{_VO_NS}}}"
    root = ET.Element(q + "VOTABLE", {"version": "1.3"})
    crit = str(catalog.settings.get("criteria", ""))
    ET.SubElement(root, q + "DESCRIPTION").text = "helioport event catalog" + (
        f": {crit}" if crit else ""
    )
    res = ET.SubElement(root, q + "RESOURCE", {"type": "results"})
    for k, v in catalog.provenance.items():
        ET.SubElement(res, q + "INFO", {"name": k, "value": _enc(v)})
    table = ET.SubElement(res, q + "TABLE", {"name": "events", "nrows": str(len(catalog))})
    ET.SubElement(table, q + "DESCRIPTION").text = crit or "events"
    for k, v in catalog.settings.items():
        ET.SubElement(
            table, q + "PARAM", {"name": k, "datatype": "char", "arraysize": "*", "value": _enc(v)}
        )
    for name, ucd in (("start", "time.start"), ("stop", "time.end")):
        ET.SubElement(
            table,
            q + "FIELD",
            {
                "name": name,
                "ID": name,
                "datatype": "char",
                "arraysize": "*",
                "xtype": "dateTime",
                "ucd": ucd,
            },
        )
    ET.SubElement(
        table, q + "FIELD", {"name": "probe", "ID": "probe", "datatype": "char", "arraysize": "*"}
    )
    ET.SubElement(
        table,
        q + "FIELD",
        {
            "name": "location",
            "ID": "location",
            "datatype": "double",
            "arraysize": "3",
            "unit": "km",
        },
    )
    keys = _keys(catalog)
    _check_keys(keys, "VOTable", ("start", "stop", "probe", "location"))
    for k in keys:
        ET.SubElement(table, q + "FIELD", {"name": k, "ID": k, "datatype": "double"})
    tdata = ET.SubElement(ET.SubElement(table, q + "DATA"), q + "TABLEDATA")
    for e in catalog.events:
        tr = ET.SubElement(tdata, q + "TR")
        cells = [
            format_time(e.start),
            format_time(e.stop),
            e.probe or "",
            " ".join(_num_vo(v) for v in e.location) if e.location else "",
        ]
        cells += [_num_vo(e.values[k]) if k in e.values else "" for k in keys]
        for c in cells:
            ET.SubElement(tr, q + "TD").text = c
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _num_vo(x: float) -> str:
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(x)


def _float_vo(text: str) -> float:
    return float(text.replace("Inf", "inf"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_votable(text: str) -> dict[str, Any]:
    root = ET.fromstring(text)
    settings: dict[str, Any] = {}
    prov: dict[str, Any] = {}
    fields: list[str] = []
    rows: list[list[str]] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "INFO":
            prov[el.get("name", "")] = _dec(el.get("value", ""))
        elif tag == "PARAM":
            settings[el.get("name", "")] = _dec(el.get("value", ""))
        elif tag == "FIELD":
            fields.append(el.get("name") or el.get("ID") or "")
        elif tag == "TR":
            rows.append([(td.text or "").strip() for td in el if _local(td.tag) == "TD"])
    lower = [f.lower() for f in fields]
    i_start = next((i for i, f in enumerate(lower) if f in ("start", "start time", "starttime")), 0)
    i_stop = next(
        (i for i, f in enumerate(lower) if f in ("stop", "stop time", "stoptime", "end")), 1
    )
    events = []
    for r in rows:
        probe, loc, values = None, None, {}
        for i, (name, cell) in enumerate(zip(fields, r)):
            if i in (i_start, i_stop) or cell == "":
                continue
            if name == "probe":
                probe = cell
            elif name == "location":
                x, y, z = (_float_vo(v) for v in cell.split())
                loc = (x, y, z)
            else:
                values[name] = _float_vo(cell)
        events.append(_event(r[i_start], r[i_stop], probe, loc, values))
    return _fields(events, settings, prov)


# --------------------------------------------------------------------------- entry points

_WRITERS = {
    "aidapy": _write_aidapy,
    "csv": _write_csv,
    "votable": _write_votable,
    "json": lambda c: c.model_dump_json(indent=1) + "\n",
}
_READERS = {
    "aidapy": _read_aidapy,
    "csv": _read_csv,
    "votable": _read_votable,
    "json": json.loads,
}


def write_catalog(
    catalog: CatalogLike, path: str | Path | None = None, format: str | None = None
) -> Path:
    """Write ``catalog`` to ``path`` (a file, a directory, or ``None`` for the current one).

    Examples
    --------
    >>> import tempfile
    >>> from helioport.events import Event, EventCatalog
    >>> cat = EventCatalog(events=[Event(start="2020-01-01", stop="2020-01-01T00:01")],
    ...                    provenance={"mission": "omni", "start": "2020-01-01", "end": "2020-01-02"})
    >>> write_catalog(cat, tempfile.mkdtemp()).name
    'Output_list_events_omni_20200101T000000_20200102T000000.txt'
    """
    target = Path(path) if path is not None else Path.cwd()
    if target.is_dir():
        target = target / default_filename(catalog)
    fmt = _format_of(target, format)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_WRITERS[fmt](catalog), encoding="utf-8")
    return target


def read_catalog(path: str | Path, format: str | None = None) -> dict[str, Any]:
    """The fields of the catalog in a file; the format follows the extension unless given.

    Returns ``{"events": [...], "settings": {...}, "provenance": {...}}``, each
    event a dict of :class:`.catalog.Event` fields, not yet validated:
    :meth:`.catalog.EventCatalog.read` builds and validates the catalog.
    """
    p = Path(path)
    fmt = _format_of(p, format)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidRequestError(f"no catalog file at {str(p)!r}") from None
    try:
        fields = _READERS[fmt](text)
    except (ValueError, KeyError, IndexError, ET.ParseError) as exc:
        if isinstance(exc, InvalidRequestError):
            raise
        raise InvalidRequestError(
            f"cannot read {str(p)!r} as a {fmt} event catalog: {exc}"
        ) from None
    if not isinstance(fields, dict):
        raise InvalidRequestError(
            f"cannot read {str(p)!r} as a {fmt} event catalog: it holds a "
            f"{type(fields).__name__}, not the catalog's fields"
        )
    return fields
