"""Quick-look plots of loaded Datasets (matplotlib, no display needed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["bin_axis", "quicklook"]


def bin_axis(da: xr.DataArray, tdim: str, dim: str) -> tuple[np.ndarray, str]:
    """The y values of a spectrogram along ``dim`` and their label: the bins' own table.

    A numeric coordinate along ``dim`` (an energy table in eV, say) gives the
    values; a table that varies with time (``(time, dim)``, FPI's alternating
    energy tables) its median over time, said in the label. Without one, the
    bin index.

    Examples
    --------
    >>> da = xr.DataArray(np.ones((2, 3)), dims=("time", "energy_bin"),
    ...                   coords={"energy": ("energy_bin", [10.0, 100.0, 1000.0], {"units": "eV"})})
    >>> bin_axis(da, "time", "energy_bin")
    (array([  10.,  100., 1000.]), 'energy [eV]')
    """
    for name, c in da.coords.items():
        if dim not in c.dims or not np.issubdtype(c.dtype, np.number):
            continue
        units = c.attrs.get("units", "")
        suffix = f" [{units}]" if str(units).strip() else ""
        name = str(name).removesuffix(f"_{da.name}")  # energy_i_omniflux_mms1 -> energy
        if c.dims == (dim,):
            return np.asarray(c.values, dtype=float), f"{name}{suffix}"
        if set(c.dims) == {tdim, dim}:
            with warnings.catch_warnings():  # an all-NaN bin stays NaN, without a warning
                warnings.simplefilter("ignore", RuntimeWarning)
                table = c.transpose(tdim, dim).values.astype(float)
                values = np.nanmedian(np.where(np.isfinite(table), table, np.nan), axis=0)
            if np.isfinite(values).all():
                return values, f"{name}{suffix} (median)"
    return np.arange(da.sizes[dim], dtype=float), f"{dim} (index)"


def quicklook(ds: xr.Dataset, path: str | Path | None = None, *, max_panels: int = 12):
    """One panel per variable: lines for scalars and vectors, a spectrogram for spectra.

    Parameters
    ----------
    ds
        A Dataset from :func:`helioport.load`.
    path
        Where to save a PNG; ``None`` only returns the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = quicklook(ds, "omni.png")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = [
        n
        for n, da in ds.data_vars.items()
        if any(np.issubdtype(ds[d].dtype, np.datetime64) for d in da.dims)
    ]
    names = names[:max_panels]
    fig, axes = plt.subplots(
        len(names) or 1, 1, figsize=(10, 1.9 * max(len(names), 1) + 0.8), sharex=True, squeeze=False
    )
    for ax, name in zip(axes[:, 0], names):
        da = ds[name]
        tdim = next(d for d in da.dims if np.issubdtype(ds[d].dtype, np.datetime64))
        t = da[tdim].values
        other = [d for d in da.dims if d != tdim]
        units = da.attrs.get("units", "")
        if not other:
            ax.plot(t, da.values, lw=0.8, label=name)
        elif len(other) == 1 and da.sizes[other[0]] <= 6:
            for label in (
                da[other[0]].values if other[0] in da.coords else range(da.sizes[other[0]])
            ):
                sel = (
                    da.sel({other[0]: label})
                    if other[0] in da.coords
                    else da.isel({other[0]: label})
                )
                ax.plot(t, sel.values, lw=0.8, label=str(label))
            ax.legend(loc="upper right", fontsize=7, ncol=4)
        elif len(other) == 1:
            values = da.transpose(tdim, other[0]).values.astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                img = np.log10(np.where(values > 0, values, np.nan))
            y, ylabel = bin_axis(da, tdim, other[0])
            mesh = ax.pcolormesh(t, y, img.T, shading="auto")
            if np.all(y > 0) and y.max() > 10 * y.min():
                ax.set_yscale("log")
            fig.colorbar(mesh, ax=ax, label=f"log10 {units}" if units else "log10")
            units = ""
            ax.set_ylabel(f"{name}\n{ylabel}", fontsize=8)
        else:
            ax.text(
                0.5, 0.5, f"{name}: {da.ndim}-D, not plotted", transform=ax.transAxes, ha="center"
            )
        if not ax.get_ylabel():
            ax.set_ylabel(f"{name}\n[{units}]" if units else name, fontsize=8)
        ax.grid(alpha=0.3)
    import textwrap

    title = "\n".join(textwrap.wrap(ds.attrs.get("request", ""), 120))
    axes[-1, 0].set_xlabel("time (UTC)")
    # the title gets its own band above the panels: its lines (8 pt, 1.4 line spacing) and a margin
    height_pt = fig.get_figheight() * 72
    band = (title.count("\n") + 1) * 8 * 1.4 + 6 if title else 0
    fig.tight_layout(rect=(0, 0, 1, 1 - band / height_pt))
    if title:
        fig.suptitle(title, fontsize=8, y=1 - 3 / height_pt, va="top")
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
