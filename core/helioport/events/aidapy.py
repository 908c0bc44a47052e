"""AIDApy's ``event_search(settings, start_time, end_time)``, on helioport.

``settings`` is AIDApy's dictionary::

    {"criteria": lambda dc_mag_tot, e_bulkv_x: ...,   # or an expression string
     "parameters": {"mission": "mms", "probes": ["1"], "mode": "brst", "coords": "gse",
                    "time_window": 120, "time_step": 120, "sample_freq": None}}

or the name of a preset: ``"edr"`` (electron diffusion region) or ``"df"``
(dipolarization front), defined as in AIDApy. Extra parameters accepted:
``process``, ``search_mode`` (``find_events``' mode), ``merge_gap``,
``min_duration`` and ``chunk``.

An AIDApy callable that answers once per window (``np.any(...)``) is called
window by window, as AIDApy does; the presets are vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .. import api
from ..errors import InvalidRequestError
from ..times import parse_time
from .catalog import EventCatalog
from .criteria import parse_criteria
from .plot import summary_plot
from .search import find_events

__all__ = ["PRESETS", "event_search", "preset"]

#: AIDApy's EDR criterion: |B| < 5 nT, |J| > 70 nA/m², |Ve,x| > 4000 km/s somewhere in the window.
EDR_CRITERIA = "any(dc_mag_tot < 5) & any(j_curl_tot > 70) & any(abs(e_bulkv_x) > 4000)"
_RE_KM = 6378.0  # Earth radius used by AIDApy's DF preset


def df_criterion(dc_mag_z, mag_elev_angle, sc_pos_x, sc_pos_y):
    """AIDApy's dipolarization-front test, vectorised over ``(n_windows, W)`` arrays.

    A window holds a front when Bz reaches its maximum after its minimum, the
    elevation angle differs by more than 10° between those two times, exceeds
    45° somewhere, and the spacecraft is in the tail (X <= -5 RE, |Y| <= 15 RE)
    throughout (NaN padding ignored).
    """
    bz = np.asarray(dc_mag_z, dtype=float)
    el = np.asarray(mag_elev_angle, dtype=float)
    rows = np.arange(bz.shape[0])
    finite = np.isfinite(bz).any(axis=1)
    i_max = np.argmax(np.where(np.isnan(bz), -np.inf, bz), axis=1)
    i_min = np.argmin(np.where(np.isnan(bz), np.inf, bz), axis=1)
    with np.errstate(invalid="ignore"):
        jump = np.abs(el[rows, i_min] - el[rows, i_max]) > 10
        high = np.any(el > 45, axis=1)
        x, y = np.asarray(sc_pos_x, float), np.asarray(sc_pos_y, float)
        tail = np.all((x <= -5 * _RE_KM) | np.isnan(x), axis=1) & np.any(np.isfinite(x), axis=1)
        flank = np.all((np.abs(y) <= 15 * _RE_KM) | np.isnan(y), axis=1)
    return finite & (i_max > i_min) & jump & high & tail & flank


PRESETS: dict[str, dict[str, Any]] = {
    "edr": {
        "criteria": EDR_CRITERIA,
        "parameters": {
            "mission": "mms",
            "process": "edr",
            "probes": ["1"],
            "mode": "brst",
            "time_window": 120,
            "time_step": 120,
        },
    },
    "df": {
        "criteria": parse_criteria(
            df_criterion,
            level="window",
            text="Bz max after Bz min & |Δ elevation| > 10 deg & any(elevation > 45 deg) "
            "& all(sc_pos_x <= -5 RE) & all(|sc_pos_y| <= 15 RE)",
        ),
        # AIDApy's mode 'low_res' is the MMS survey rate
        "parameters": {
            "mission": "mms",
            "process": "df",
            "probes": ["1"],
            "mode": "srvy",
            "coords": "gse",
            "time_window": 306,
            "time_step": 306,
            "sample_freq": 1,
        },
    },
}


def preset(name: str) -> dict[str, Any]:
    """A copy of a preset's settings (``"edr"`` or ``"df"``)."""
    try:
        p = PRESETS[name.lower()]
    except KeyError:
        raise InvalidRequestError(
            f"unknown preset {name!r}; presets: {', '.join(PRESETS)}"
        ) from None
    return {"criteria": p["criteria"], "parameters": dict(p["parameters"])}


def event_search(
    settings: Mapping[str, Any] | str,
    start_time: Any,
    end_time: Any,
    plot: bool = False,
    to_file: bool | str | Path = False,
    loader: Callable[..., xr.Dataset] | None = None,
    *,
    progress: bool | None = None,
) -> EventCatalog:
    """Threshold-based search for events of a scientific process, AIDApy style.

    Parameters
    ----------
    settings
        ``{"criteria": ..., "parameters": {...}}`` or a preset name.
    start_time, end_time
        The search range (datetime, ISO string, astropy Time...).
    plot
        Also load the data of the range and save a summary plot (PNG) next to
        the list (the current directory unless ``to_file`` names one).
    to_file
        Write the AIDApy list ``Output_list_events_{mission}_{start}_{end}.txt``
        (``True``: current directory; or a directory or file path).
    loader
        Data loader (default :func:`helioport.api.load`).

    Returns
    -------
    EventCatalog

    Examples
    --------
    >>> cat = event_search("edr", "2017-07-11T22:33", "2017-07-11T22:35")  # doctest: +SKIP
    >>> cat.write()                                                       # doctest: +SKIP
    """
    if isinstance(settings, str):
        settings = preset(settings)
    if "criteria" not in settings or "parameters" not in settings:
        raise InvalidRequestError(
            "settings need 'criteria' and 'parameters' (or give a preset: 'edr', 'df')"
        )
    start_time, end_time = (
        parse_time(start_time, what="start_time"),
        parse_time(end_time, what="end_time"),
    )
    p = dict(settings["parameters"])
    if "mission" not in p:
        raise InvalidRequestError("settings['parameters'] needs 'mission'")
    probes = p.get("probes")
    if probes in ("all", ["all"]):
        probes = None
    request = {
        "mission": p["mission"],
        "start": start_time,
        "end": end_time,
        "probes": probes,
        "mode": p.get("mode") or None,
        "coords": p.get("coords"),
    }
    freq = p.get("sample_freq")
    catalog = find_events(
        request,
        settings["criteria"],
        window=float(p.get("time_window", 120)),
        step=float(p.get("time_step", p.get("time_window", 120))),
        sample_freq=float(freq) if freq else None,
        mode=p.get("search_mode", "any"),
        merge_gap=p.get("merge_gap", "0s"),
        min_duration=p.get("min_duration", "0s"),
        chunk=p.get("chunk", "auto"),
        loader=loader,
        progress=progress,
    )
    if p.get("process"):
        catalog.settings["process"] = p["process"]
    target = None
    if to_file:
        target = catalog.write(None if to_file is True else to_file)
    if plot:
        load = loader or api.load
        products = sorted(
            {name for name, _ in parse_criteria(settings["criteria"]).required_variables()}
        )
        data = load(
            p["mission"],
            start_time,
            end_time,
            products=products,
            probes=probes,
            coords=p.get("coords"),
            mode=p.get("mode") or None,
        )
        png = (
            target.with_suffix(".png")
            if target is not None
            else Path.cwd() / catalog.default_filename().replace(".txt", ".png")
        )
        summary_plot(catalog, data, png)
    return catalog
