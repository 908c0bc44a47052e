"""Summary plot of an event search: the criterion variables with the events shaded.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global state),
so it works headless and in threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xarray as xr
from matplotlib.figure import Figure

from ..times import to_datetime64
from .catalog import EventCatalog
from .criteria import split_variable
from .resolve import resolve_series

__all__ = ["summary_plot"]


def summary_plot(
    catalog: EventCatalog,
    data: xr.Dataset,
    path: str | Path | None = None,
    variables: Sequence[str] | None = None,
) -> Figure:
    """Plot each criterion variable (one panel each, every probe) with the events shaded.

    Parameters
    ----------
    catalog
        The search result; its settings name the variables and the criteria.
    data
        The Dataset searched (or any Dataset holding those variables).
    path
        Where to save a PNG; nothing is saved when ``None``.
    variables
        Criterion-style names to plot instead (``["dc_mag_tot", "e_bulkv_x"]``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = summary_plot(catalog, ds, "events.png")  # doctest: +SKIP
    """
    names = list(variables or catalog.settings.get("variables") or [])
    if not names:
        raise ValueError("no variables to plot: pass variables=['dc_mag_tot', ...]")
    probes = list(catalog.provenance.get("probes") or []) or [None]
    fig = Figure(figsize=(10, 1.8 + 1.6 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names):
        product, comp = split_variable(name)
        for probe in probes:
            s = resolve_series(data, name, product, comp, probe)
            if s is None:
                continue
            label = name if probe is None else f"{name} ({probe})"
            ax.plot(s.times.astype("datetime64[ns]"), s.values, lw=0.8, label=label)
            units = data[s.variable].attrs.get("units")
            ax.set_ylabel(f"{name}\n[{units}]" if units else name)
        for e in catalog.events:
            t0, t1 = to_datetime64(e.start), to_datetime64(e.stop)
            if t1 > t0:
                ax.axvspan(t0, t1, color="gold", alpha=0.4, lw=0)
            else:
                ax.axvline(t0, color="gold", alpha=0.8, lw=1.5)
        if len(probes) > 1:
            ax.legend(loc="upper right", fontsize="small")
    axes[-1].set_xlabel("time (UTC)")
    title = catalog.settings.get("criteria", "")
    mission = catalog.provenance.get("mission")
    fig.suptitle(f"{mission + ': ' if mission else ''}{title}  ({len(catalog)} events)")
    if path is not None:
        fig.savefig(Path(path), format="png", dpi=100)
    return fig
