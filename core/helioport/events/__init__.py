"""Event search and event catalogs, for every mission.

>>> from helioport.events import find_events
>>> cat = find_events(ds, "dc_mag_tot < 5 and abs(e_bulkv_x) > 4000")  # doctest: +SKIP
>>> cat.write("events.txt")                                             # doctest: +SKIP

- :func:`find_events` searches a Dataset or a request (chunked, optionally with dask);
- :func:`parse_criteria` parses a safe criterion expression or wraps a callable;
- :class:`EventCatalog` / :class:`Event` hold, combine, read and write the results;
- :func:`summary_plot` draws the criterion variables with the events shaded;
- :func:`event_search` is the AIDApy entry point (settings dict, presets ``'edr'``, ``'df'``).
"""

from __future__ import annotations

from .aidapy import event_search
from .catalog import Event, EventCatalog
from .criteria import Criterion, parse_criteria, required_variables
from .plot import summary_plot
from .search import find_events

__all__ = [
    "Criterion",
    "Event",
    "EventCatalog",
    "event_search",
    "find_events",
    "parse_criteria",
    "required_variables",
    "summary_plot",
]
