"""Event catalogs: :class:`Event` and :class:`EventCatalog`.

A catalog holds the events a search found, the search settings (criteria,
window, step, mode, sample frequency, merge gap, minimum duration...) and its
provenance (mission, probes, products and versions, time range, creation time,
helioport version). It combines with others (:meth:`EventCatalog.union`,
:meth:`EventCatalog.intersection`), filters, and reads and writes the AIDApy
ASCII list, CSV, JSON and a VOTable time table (see :mod:`.formats`).

Examples
--------
>>> cat = EventCatalog(events=[Event(start="2020-01-01T00:00", stop="2020-01-01T00:05")])
>>> len(cat), cat[0].duration
(1, datetime.timedelta(seconds=300))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InvalidRequestError
from ..times import duration_ns, format_time, parse_time
from .formats import default_filename, read_catalog, write_catalog

__all__ = ["Event", "EventCatalog", "helioport_version"]


def helioport_version() -> str:
    """The installed helioport version (``"unknown"`` when not installed), for provenance."""
    try:
        return version("helioport")
    except Exception:  # noqa: BLE001 - not installed, or broken metadata
        return "unknown"


def invalid(what: str, exc: ValidationError) -> InvalidRequestError:
    """A pydantic validation failure as one clear :class:`InvalidRequestError`."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()))
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return InvalidRequestError(f"invalid {what}: {'; '.join(parts)}")


class Event(BaseModel):
    """One event: a time interval with values measured during it.

    Attributes
    ----------
    start, stop : first and last sample time where the criterion holds (UTC,
        microsecond resolution; ``stop >= start``).
    values : per-event values, e.g. ``{"dc_mag_tot_min": 1.2, "dc_mag_tot_max": 4.9}``.
    location : mean spacecraft position during the event (km), when known.
    probe : the probe the event was found on (``None`` for missions without probes).

    Examples
    --------
    >>> e = Event(start="2015-10-16T13:05:00", stop="2015-10-16T13:07:30", probe="mms1")
    >>> e.duration.total_seconds()
    150.0
    """

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    start: dt.datetime
    stop: dt.datetime
    values: dict[str, float] = Field(default_factory=dict)
    location: tuple[float, float, float] | None = None
    probe: str | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise invalid("event", exc) from None

    @field_validator("start", "stop", mode="before")
    @classmethod
    def _time(cls, v: Any, info) -> dt.datetime:
        return parse_time(v, what=f"event {info.field_name}")

    @model_validator(mode="after")
    def _order(self) -> Event:
        if self.stop < self.start:
            raise InvalidRequestError(
                f"event stop {format_time(self.stop)} is before its start {format_time(self.start)}"
            )
        return self

    @property
    def duration(self) -> dt.timedelta:
        """``stop - start``."""
        return self.stop - self.start

    def overlaps(self, other: Event) -> bool:
        """Whether the two closed intervals share at least one instant."""
        return self.start <= other.stop and other.start <= self.stop


def _combine(a: Event, b: Event, start: dt.datetime, stop: dt.datetime) -> Event:
    """One event over ``[start, stop]`` carrying the values of ``a`` and ``b``.

    Shared keys ending in ``_min`` keep the smaller value, ``_max`` the larger,
    others the value of ``a``; location and probe are ``a``'s (probe ``None``
    when they differ).
    """
    values = dict(b.values)
    for k, v in a.values.items():
        if k in values and k.endswith("_min"):
            values[k] = min(v, values[k])
        elif k in values and k.endswith("_max"):
            values[k] = max(v, values[k])
        else:
            values[k] = v
    probe = a.probe if a.probe == b.probe else None
    return Event(
        start=start, stop=stop, values=values, location=a.location or b.location, probe=probe
    )


class EventCatalog(BaseModel):
    """A list of events with the settings and provenance of the search.

    Examples
    --------
    >>> a = EventCatalog(events=[Event(start="2020-01-01T00:00", stop="2020-01-01T00:10")])
    >>> b = EventCatalog(events=[Event(start="2020-01-01T00:05", stop="2020-01-01T00:20")])
    >>> [(str(e.start.time()), str(e.stop.time())) for e in a.union(b)]
    [('00:00:00', '00:20:00')]
    >>> [(str(e.start.time()), str(e.stop.time())) for e in a.intersection(b)]
    [('00:05:00', '00:10:00')]
    """

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    events: list[Event] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise invalid("event catalog", exc) from None

    # -- container ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:  # type: ignore[override]
        return iter(self.events)

    def __getitem__(self, i: int) -> Event:
        return self.events[i]

    def __repr__(self) -> str:
        crit = self.settings.get("criteria", "")
        return f"EventCatalog({len(self)} events, criteria={crit!r})"

    __str__ = __repr__

    # -- views --------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """One row per event: start, stop, duration, probe, location x/y/z (km), values.

        Examples
        --------
        >>> EventCatalog(events=[Event(start="2020-01-01", stop="2020-01-01T00:01",
        ...     values={"dc_mag_tot_max": 4.0})]).to_dataframe()[["duration", "dc_mag_tot_max"]]
                 duration  dc_mag_tot_max
        0 0 days 00:01:00             4.0
        """
        keys: list[str] = []
        for e in self.events:
            keys += [k for k in e.values if k not in keys]
        rows = []
        for e in self.events:
            loc = e.location or (None, None, None)
            row = {
                "start": pd.Timestamp(e.start),
                "stop": pd.Timestamp(e.stop),
                "duration": pd.Timedelta(e.duration),
                "probe": e.probe,
                "x": loc[0],
                "y": loc[1],
                "z": loc[2],
            }
            row.update({k: e.values.get(k) for k in keys})
            rows.append(row)
        columns = ["start", "stop", "duration", "probe", "x", "y", "z"] + keys
        return pd.DataFrame(rows, columns=columns)

    def _derived(
        self, events: list[Event], operation: str, other: EventCatalog | None = None
    ) -> EventCatalog:
        if other is None:
            settings = (
                {**self.settings, "filtered": True}
                if operation == "filter"
                else dict(self.settings)
            )
            return EventCatalog(events=events, settings=settings, provenance=dict(self.provenance))
        join = {"union": " or ", "intersection": " and "}.get(operation, f" {operation} ")
        crits = [str(c.settings.get("criteria") or "?") for c in (self, other)]
        return EventCatalog(
            events=events,
            settings={
                "operation": operation,
                "criteria": join.join(f"({c})" for c in crits),
                "operands": [self.settings, other.settings],
            },
            provenance={
                "operands": [self.provenance, other.provenance],
                "created": format_time(dt.datetime.now(dt.timezone.utc)),
                "helioport_version": helioport_version(),
            },
        )

    # -- set operations -----------------------------------------------------------------
    def union(self, other: EventCatalog) -> EventCatalog:
        """Events of both catalogs, overlapping ones merged into one.

        Values of merged events combine (see :func:`_combine`); settings and
        provenance of both operands are kept under ``operands``.
        """
        ordered = sorted(list(self.events) + list(other.events), key=lambda e: (e.start, e.stop))
        out: list[Event] = []
        for e in ordered:
            if out and out[-1].overlaps(e):
                last = out[-1]
                out[-1] = _combine(last, e, last.start, max(last.stop, e.stop))
            else:
                out.append(e)
        return self._derived(out, "union", other)

    def intersection(self, other: EventCatalog) -> EventCatalog:
        """The overlaps between events of this catalog and events of ``other``.

        Each overlapping pair gives one event over the common interval.
        """
        mine = sorted(self.events, key=lambda e: e.start)
        theirs = sorted(other.events, key=lambda e: e.start)
        out: list[Event] = []
        i = j = 0
        while i < len(mine) and j < len(theirs):
            a, b = mine[i], theirs[j]
            lo, hi = max(a.start, b.start), min(a.stop, b.stop)
            if lo <= hi:
                out.append(_combine(a, b, lo, hi))
            if a.stop <= b.stop:
                i += 1
            else:
                j += 1
        return self._derived(out, "intersection", other)

    def filter(
        self,
        predicate: Callable[[Event], bool] | None = None,
        *,
        min_duration: Any = None,
        max_duration: Any = None,
        start: Any = None,
        stop: Any = None,
        probe: str | None = None,
    ) -> EventCatalog:
        """A catalog with the events passing every given test.

        Parameters
        ----------
        predicate
            A function of an :class:`Event` returning True to keep it.
        min_duration, max_duration
            Bounds on ``stop - start`` (``"30s"``, seconds, or a timedelta).
        start, stop
            Keep events overlapping this time range.
        probe
            Keep events of this probe.

        Examples
        --------
        >>> cat = EventCatalog(events=[Event(start="2020-01-01T00:00", stop="2020-01-01T00:00:20"),
        ...                            Event(start="2020-01-01T01:00", stop="2020-01-01T01:05")])
        >>> len(cat.filter(min_duration="1min")), len(cat.filter(start="2020-01-01T00:30"))
        (1, 1)
        """
        lo = parse_time(start, what="start") if start is not None else None
        hi = parse_time(stop, what="stop") if stop is not None else None
        dmin = duration_ns(min_duration, "min_duration") if min_duration is not None else None
        dmax = duration_ns(max_duration, "max_duration") if max_duration is not None else None
        kept = []
        for e in self.events:
            d = duration_ns(e.duration)
            if dmin is not None and d < dmin or dmax is not None and d > dmax:
                continue
            if lo is not None and e.stop < lo or hi is not None and e.start > hi:
                continue
            if probe is not None and e.probe != probe:
                continue
            if predicate is not None and not predicate(e):
                continue
            kept.append(e)
        return self._derived(kept, "filter")

    # -- files --------------------------------------------------------------------------
    def default_filename(self) -> str:
        """``Output_list_events_{mission}_{start}_{end}.txt`` as AIDApy names its lists."""
        return default_filename(self)

    def write(self, path: str | Path | None = None, format: str | None = None) -> Path:
        """Write the catalog; the format follows the extension unless given.

        Formats: ``"aidapy"`` (``.txt``), ``"csv"``, ``"json"``, ``"votable"``
        (``.xml``, ``.vot``, ``.votable``). A directory or ``None`` gets
        :meth:`default_filename`. Returns the path written (see :mod:`.formats`).
        """
        return write_catalog(self, path, format)

    @classmethod
    def read(cls, path: str | Path, format: str | None = None) -> EventCatalog:
        """Read a catalog written by :meth:`write` (or an AIDApy ``.txt`` list)."""
        fields = read_catalog(path, format)
        try:
            return cls(**fields)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"{exc} (reading {str(path)!r})") from None
