"""Quick-look plots of loaded Datasets (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["quicklook"]


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
            values = da.values.astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                img = np.log10(np.where(values > 0, values, np.nan))
            mesh = ax.pcolormesh(t, np.arange(da.sizes[other[0]]), img.T, shading="auto")
            fig.colorbar(mesh, ax=ax, label=f"log10 {units}")
        else:
            ax.text(
                0.5, 0.5, f"{name}: {da.ndim}-D, not plotted", transform=ax.transAxes, ha="center"
            )
        ax.set_ylabel(f"{name}\n[{units}]" if units else name, fontsize=8)
        ax.grid(alpha=0.3)
    import textwrap

    title = ds.attrs.get("request", "")
    fig.suptitle("\n".join(textwrap.wrap(title, 120)), fontsize=8)
    axes[-1, 0].set_xlabel("time (UTC)")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
