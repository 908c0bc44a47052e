"""Imager plots: a fisheye frame, a frame projected on a map, and a keogram.

Every image and skymap array follows one orientation (DESIGN §9):
``frame[row, col]`` with row 0 the southern edge and column 0 the eastern
edge, so ``imshow(frame, origin="lower")`` shows north up and east left.
matplotlib is the only hard dependency; cartopy, when installed, gives
:func:`map_plot` a map projection with coastlines.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.colors import Colormap, LinearSegmentedColormap

from ..errors import InvalidRequestError
from ..naming import find_time_dim
from ..times import to_datetime64
from .geometry import default_altitude

if TYPE_CHECKING:
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)

# the helpers movie.py uses (select_frame, color_limits, ...) are public but not star-exported
__all__ = ["COLOUR_MAPS", "MISSION_COLOURS", "fisheye", "keogram_plot", "map_plot"]

#: The light each mission's imager records (matched as a substring of the ``mission`` attr).
MISSION_COLOURS: Mapping[str, str] = MappingProxyType({"themis": "white", "rego": "red"})
#: A colormap name, or the colours of a black-to-colour ramp, for each recorded light.
COLOUR_MAPS: Mapping[str, str | tuple[str, ...]] = MappingProxyType(
    {
        "white": "gray",
        "red": ("black", "darkred", "red", "mistyrose"),
        "green": ("black", "darkgreen", "lime"),
        "blue": ("black", "navy", "deepskyblue"),
    }
)


def imager_cmap(image: Any = None, skymap: xr.Dataset | None = None, cmap: Any = None) -> Colormap:
    """The colormap for an imager frame: ``cmap`` if given, else by the ``colour`` or ``mission`` attr.

    Examples
    --------
    >>> imager_cmap(xr.DataArray(np.zeros((2, 2)), attrs={"mission": "rego"})).name
    'helioport_red'
    >>> imager_cmap(None, None, "viridis").name
    'viridis'
    """
    if cmap is not None:
        return matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    attrs = {**getattr(skymap, "attrs", {}), **getattr(image, "attrs", {})}
    colour = attrs.get("colour") or attrs.get("color")
    if colour is None:
        mission = str(attrs.get("mission", "")).lower()
        colour = next((c for m, c in MISSION_COLOURS.items() if m in mission), "white")
    colour = str(colour)  # a colour of COLOUR_MAPS, or a matplotlib colormap's name
    spec = COLOUR_MAPS.get(colour.lower(), colour if colour in matplotlib.colormaps else "gray")
    if isinstance(spec, str):
        return matplotlib.colormaps[spec]
    return LinearSegmentedColormap.from_list(f"helioport_{colour.lower()}", spec)


def select_frame(image: Any, time: Any = None) -> tuple[np.ndarray, np.datetime64 | None]:
    """One 2-D frame of ``image`` and its time (``None`` when unknown).

    ``time`` picks a frame of a 3-D image: an ``int`` by position, anything
    else as a time (the nearest frame).

    Examples
    --------
    >>> t = np.array(["2020-01-01T10:00", "2020-01-01T10:01"], dtype="datetime64[ns]")
    >>> da = xr.DataArray(np.arange(8).reshape(2, 2, 2), dims=("time_asi", "y", "x"),
    ...                   coords={"time_asi": t})
    >>> frame, when = select_frame(da, "2020-01-01T10:00:50")
    >>> frame.tolist(), str(when)
    ([[4, 5], [6, 7]], '2020-01-01T10:01:00.000000000')
    """
    when = None
    if isinstance(image, xr.DataArray):
        tdim = find_time_dim(image)
        if tdim is not None:
            n = image.sizes[tdim]
            if time is None and n != 1:
                first, last = (str(image[tdim].values[i])[:19] for i in (0, -1))
                raise InvalidRequestError(
                    f"the image holds {n} frames ({first} .. {last}); pass time= to choose one"
                )
            if time is None or isinstance(time, (int, np.integer)):
                image = image.isel({tdim: time or 0})
            else:
                image = image.sel({tdim: to_datetime64(time)}, method="nearest")
        times = [c.values[()] for c in image.coords.values() if c.ndim == 0 and c.dtype.kind == "M"]
        when = times[0] if times else None
    frame = np.asarray(image)
    if frame.ndim == 3 and isinstance(time, (int, np.integer)):
        frame = frame[time]
    if frame.ndim != 2:
        raise InvalidRequestError(
            f"an imager frame is 2-D (y, x); got shape {frame.shape}: pass a DataArray with a "
            "time dimension and time=, or one frame"
        )
    return frame, when


def color_limits(
    values: Any, bounds: str | tuple[float, float] | None = "auto", mask: Any = None
) -> tuple[float, float]:
    """Colour limits of ``values``: percentiles (1, 99) for ``"auto"``, a pair of percentiles, or
    ``None`` for the full range; only where ``mask`` is true and values are finite.

    Examples
    --------
    >>> color_limits(np.arange(101.0))
    (1.0, 99.0)
    >>> color_limits(np.arange(101.0), None)
    (0.0, 100.0)
    """
    data = np.ma.filled(np.ma.asarray(values).astype(float), np.nan)  # masked: not counted
    if mask is not None:
        data = data[np.asarray(mask, dtype=bool)]
    data = data[np.isfinite(data)]
    if data.size == 0:
        return 0.0, 1.0
    if bounds is None:
        lo, hi = float(data.min()), float(data.max())
    else:
        pct = (1.0, 99.0) if bounds == "auto" else tuple(bounds)
        lo, hi = (float(v) for v in np.percentile(data, pct))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def check_output_folder(path: str | Path) -> Path:
    """``path`` as a :class:`~pathlib.Path`, after checking that its folder exists.

    Examples
    --------
    >>> check_output_folder("/no/such/folder/sky.png")
    Traceback (most recent call last):
    ...
    helioport.errors.InvalidRequestError: cannot write 'sky.png': the folder '/no/such/folder' ...
    """
    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise InvalidRequestError(
            f"cannot write {path.name!r}: the folder {str(path.parent)!r} does not exist; "
            "create it first (Path(...).mkdir(parents=True)) or choose another path"
        )
    return path


def frame_title(image: Any, skymap: xr.Dataset | None, when: np.datetime64 | None) -> str:
    """``"SITE YYYY-MM-DD HH:MM:SS"`` from the ``site`` attr and the frame time, as known.

    Examples
    --------
    >>> frame_title(None, xr.Dataset(attrs={"site": "gako"}), np.datetime64("2020-01-01T10:00"))
    'GAKO 2020-01-01 10:00:00'
    """
    site = getattr(image, "attrs", {}).get("site") or getattr(skymap, "attrs", {}).get("site")
    parts = [str(site).upper()] if site else []
    if when is not None and not np.isnat(when):
        parts.append(np.datetime_as_string(np.datetime64(when, "s")).replace("T", " "))
    return " ".join(parts)


def _new_axes(projection: Any = None, size: tuple[float, float] = (6.4, 6.4)) -> Axes:
    import matplotlib.pyplot as plt

    return plt.figure(figsize=size, layout="constrained").add_subplot(projection=projection)


def _colours(image: Any, skymap: Any, cmap: Any, vmin: Any, vmax: Any, auto: tuple) -> dict:
    """The cmap/vmin/vmax keywords: the caller's where given, else the defaults."""
    lo, hi = auto
    vmin, vmax = lo if vmin is None else vmin, hi if vmax is None else vmax
    return {"cmap": imager_cmap(image, skymap, cmap), "vmin": vmin, "vmax": vmax}


def _finish(ax: Axes, title: str, out: Path | None, pad: float | None = None) -> Axes:
    ax.set_title(title, pad=pad)
    if out is not None:
        ax.figure.savefig(out)
    return ax


def _skymap_angle(skymap: xr.Dataset | None, name: str, shape: tuple[int, ...]) -> np.ndarray:
    values = np.asarray(skymap[name].values, dtype=float)
    if values.shape != shape:
        raise InvalidRequestError(
            f"the skymap's {name} is {values.shape}, the image {shape}: use the skymap of the "
            "same site and imager"
        )
    return values


def _draw_azel_grid(ax: Axes, azimuth: np.ndarray | None, elevation: np.ndarray | None) -> None:
    text = {"ha": "center", "va": "center", "color": "white", "fontweight": "bold"}
    from matplotlib.patheffects import withStroke

    text |= {"clip_on": False, "path_effects": [withStroke(linewidth=2.5, foreground="black")]}
    if azimuth is None or elevation is None:  # the convention alone: north up, east left
        for name, (x, y) in zip("NESW", ((0.5, 1.04), (-0.04, 0.5), (0.5, -0.04), (1.04, 0.5))):
            ax.text(x, y, name, transform=ax.transAxes, **text)
        return
    line = {"colors": "white", "linewidths": 0.6, "alpha": 0.5}
    ax.contour(elevation, levels=[10, 30, 60], origin="lower", **line)
    for az in range(0, 360, 45):
        turn = np.deg2rad(azimuth - az)
        field = np.where(np.cos(turn) > 0, np.sin(turn), np.nan)
        if np.nanmin(field, initial=np.inf) < 0 < np.nanmax(field, initial=-np.inf):
            ax.contour(field, levels=[0.0], origin="lower", **line)
    zenith = np.unravel_index(np.nanargmax(elevation), elevation.shape)
    for name, az in zip("NESW", (0.0, 90.0, 180.0, 270.0)):
        off = np.abs((azimuth - az + 180.0) % 360.0 - 180.0)
        near = np.where(off < 3.0, elevation, np.nan)
        if not np.isfinite(near).any():
            continue
        row, col = np.unravel_index(np.nanargmin(near), near.shape)  # the horizon at ``az``
        out = np.array([col - zenith[1], row - zenith[0]], dtype=float)
        out *= 11.0 / max(float(np.hypot(*out)), 1e-9)  # 11 points outwards
        ax.annotate(name, (col, row), xytext=tuple(out), textcoords="offset points", **text)


def fisheye(
    image: Any,
    skymap: xr.Dataset | None = None,
    *,
    time: Any = None,
    ax: Axes | None = None,
    cmap: Any = None,
    vmin: float | None = None,
    vmax: float | None = None,
    azel_grid: bool = True,
    title: str | None = None,
    color_bounds: str | tuple[float, float] | None = "auto",
    path: str | Path | None = None,
) -> Axes:
    """Draw one imager frame as the camera saw it: north up, east left.

    Parameters
    ----------
    image
        A 2-D frame (DataArray or array), or a 3-D DataArray with ``time=``.
    skymap
        The site's skymap: draws elevation rings (10, 30, 60°), azimuth spokes
        every 45° and N/E/S/W where the skymap puts them. Without it the
        labels follow the convention (N top, E left).
    time
        The frame of a 3-D image: a time (nearest frame) or an ``int`` index.
    cmap, vmin, vmax
        Colours; ``cmap`` defaults by mission (:data:`MISSION_COLOURS`), the
        limits by ``color_bounds`` within the field of view.
    color_bounds
        ``"auto"`` (percentiles 1 and 99), a pair of percentiles, or ``None``
        for the full range.
    path
        Where to save a PNG; its folder must exist.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = fisheye(images, skymap, time="2008-03-09T09:35", path="gako.png")  # doctest: +SKIP
    """
    out = check_output_folder(path) if path is not None else None
    frame, when = select_frame(image, time)
    azimuth = elevation = None
    if skymap is not None:
        elevation = _skymap_angle(skymap, "elevation", frame.shape)
        azimuth = _skymap_angle(skymap, "azimuth", frame.shape)
    auto = color_limits(frame, color_bounds, None if elevation is None else np.isfinite(elevation))
    ax = ax if ax is not None else _new_axes()
    ax.imshow(frame, origin="lower", **_colours(image, skymap, cmap, vmin, vmax, auto))
    if azel_grid:
        _draw_azel_grid(ax, azimuth, elevation)
    ax.set_xticks([])
    ax.set_yticks([])
    text = frame_title(image, skymap, when) if title is None else title
    return _finish(ax, text, out, pad=20.0 if azel_grid else None)


def map_coordinates(
    skymap: xr.Dataset, alt_km: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (y, x) of each pixel centre mapped to ``alt_km``
    (default: the skymap's, :func:`~helioport.imaging.geometry.default_altitude`).

    NaN outside the field of view is filled from the nearest pixel inside it
    (those pixels are masked when drawn); longitudes move to 0..360 when the
    field of view straddles the antimeridian.
    """
    alt_km = default_altitude(skymap, alt_km)
    alts = np.asarray(skymap["altitude"].values, dtype=float)
    hits = np.flatnonzero(np.isclose(alts, alt_km))
    if hits.size == 0:
        raise InvalidRequestError(
            f"the skymap of {skymap.attrs.get('site', '?')} maps pixels to "
            f"{', '.join(f'{a:g}' for a in alts)} km, not {alt_km:g} km: choose one of these"
        )
    at = skymap.isel(altitude=int(hits[0]))
    lat, lon = (
        np.asarray(at[n].transpose("y", "x").values, float) for n in ("latitude", "longitude")
    )
    valid = np.isfinite(lat) & np.isfinite(lon)
    if not valid.any():
        raise InvalidRequestError(f"the skymap has no mapped pixel at {alt_km:g} km")
    from scipy.ndimage import distance_transform_edt

    nearest = distance_transform_edt(~valid, return_distances=False, return_indices=True)
    lat, lon = lat[tuple(nearest)], lon[tuple(nearest)]
    if np.ptp(lon) > 180.0:
        lon = lon % 360.0
    return lat, lon


def masked_for_map(frame: Any, skymap: xr.Dataset, min_elevation: float = 10) -> np.ma.MaskedArray:
    """``frame`` as floats, masked below ``min_elevation`` and outside the field of view."""
    values = np.asarray(frame, dtype=float)
    elevation = _skymap_angle(skymap, "elevation", values.shape)
    with np.errstate(invalid="ignore"):
        keep = (elevation >= min_elevation) & np.isfinite(values)
    return np.ma.masked_array(values, mask=~keep)


def map_projection(skymap: xr.Dataset, projection: Any = "auto") -> tuple[Any, str]:
    """The cartopy projection for :func:`map_plot` (``None`` for plain axes) and a title note.

    ``"auto"`` is an orthographic view over the site when cartopy imports,
    plain lon/lat axes otherwise; ``"plain"`` forces plain axes; anything else
    is used as a cartopy CRS.
    """
    if projection == "plain":
        return None, ""
    if projection != "auto":
        return projection, ""
    try:
        ccrs = importlib.import_module("cartopy.crs")
    except ImportError:
        return None, "(plain lon/lat axes: install cartopy for a map)"
    lat0, lon0 = skymap.attrs.get("site_latitude", 0.0), skymap.attrs.get("site_longitude", 0.0)
    return ccrs.Orthographic(central_longitude=lon0, central_latitude=lat0), ""


def _coastlines(ax: Axes) -> str:
    """Draw coastlines when Natural Earth's are cached or downloadable; else a title note."""
    try:  # cartopy downloads at draw time, where an error would lose the whole figure
        reader = importlib.import_module("cartopy.io.shapereader")
        reader.natural_earth(resolution="50m", category="physical", name="coastline")
    except OSError as exc:
        log.warning("no coastlines on the map: Natural Earth could not be fetched (%s)", exc)
        return "(no coastlines: offline)"
    ax.coastlines(resolution="50m", linewidth=0.6, color="0.6")
    return ""


def map_plot(
    image: Any,
    skymap: xr.Dataset,
    *,
    time: Any = None,
    alt_km: float | None = None,
    ax: Axes | None = None,
    min_elevation: float = 10,
    cmap: Any = None,
    vmin: float | None = None,
    vmax: float | None = None,
    projection: Any = "auto",
    color_bounds: str | tuple[float, float] | None = "auto",
    title: str | None = None,
    path: str | Path | None = None,
) -> Axes:
    """Draw one frame on geographic coordinates, each pixel at its lat/lon at ``alt_km``.

    ``alt_km`` defaults to the skymap's (110 km THEMIS, 230 km REGO).
    Pixels below ``min_elevation`` are masked. With cartopy the axes get
    coastlines and gridlines; without it, plain lon/lat axes (1° of longitude
    scaled by the cosine of the site latitude) and a note in the title.
    Other parameters as in :func:`fisheye`.

    Examples
    --------
    >>> ax = map_plot(images, skymap, time="2008-03-09T09:35", alt_km=110)  # doctest: +SKIP
    """
    out = check_output_folder(path) if path is not None else None
    frame, when = select_frame(image, time)
    alt_km = default_altitude(skymap, alt_km)
    lat, lon = map_coordinates(skymap, alt_km)
    values = masked_for_map(frame, skymap, min_elevation)
    colours = _colours(image, skymap, cmap, vmin, vmax, color_limits(values, color_bounds))
    crs, note = map_projection(skymap, projection)
    ax = ax if ax is not None else _new_axes(crs, (7.0, 6.4))
    geo = hasattr(ax, "coastlines")
    transform = {"transform": importlib.import_module("cartopy.crs").PlateCarree()} if geo else {}
    with warnings.catch_warnings():  # cells outside the field of view repeat their neighbours
        warnings.filterwarnings("ignore", "The input coordinates", UserWarning)
        ax.pcolormesh(lon, lat, values, shading="nearest", **colours, **transform)
    shown = ~np.ma.getmaskarray(values)
    if not shown.any():
        shown = np.ones_like(shown)
    extent = [lon[shown].min(), lon[shown].max(), lat[shown].min(), lat[shown].max()]
    if geo:
        ax.set_extent(extent, crs=transform["transform"])
        note = _coastlines(ax)
        ax.gridlines(draw_labels=True, linewidth=0.4, alpha=0.5)
    else:
        ax.set_xlim(extent[0] - 0.5, extent[1] + 0.5)
        ax.set_ylim(extent[2] - 0.2, extent[3] + 0.2)
        ax.set_aspect(1.0 / max(np.cos(np.deg2rad(np.mean(extent[2:]))), 0.05))
        ax.set_xlabel("geographic longitude (°)")
        ax.set_ylabel("geographic latitude (°)")
    text = f"{frame_title(image, skymap, when)} at {alt_km:g} km\n{note}".strip()
    return _finish(ax, text if title is None else title, out)


def keogram_plot(
    keogram: xr.DataArray,
    *,
    ax: Axes | None = None,
    cmap: Any = None,
    vmin: float | None = None,
    vmax: float | None = None,
    color_bounds: str | tuple[float, float] | None = "auto",
    title: str | None = None,
    path: str | Path | None = None,
) -> Axes:
    """Draw a keogram (time, latitude): time on x, latitude on y, with a colorbar.

    Examples
    --------
    >>> ax = keogram_plot(keo, path="keogram.png")  # doctest: +SKIP
    """
    out = check_output_folder(path) if path is not None else None
    tdim = find_time_dim(keogram)
    if tdim is None or keogram.ndim != 2:
        raise InvalidRequestError(
            f"a keogram is 2-D (time, latitude); got dims {tuple(keogram.dims)}"
        )
    ydim = next(d for d in keogram.dims if d != tdim)
    y = keogram[ydim].values if ydim in keogram.coords else np.arange(keogram.sizes[ydim])
    values = np.ma.masked_invalid(np.asarray(keogram.transpose(ydim, tdim).values, dtype=float))
    colours = _colours(keogram, None, cmap, vmin, vmax, color_limits(values, color_bounds))
    ax = ax if ax is not None else _new_axes(size=(10.0, 4.0))
    mesh = ax.pcolormesh(keogram[tdim].values, y, values, shading="nearest", **colours)
    ax.figure.colorbar(mesh, ax=ax, label=keogram.attrs.get("units", "counts"))
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("geographic latitude (°)" if "lat" in str(ydim) else str(ydim))
    return _finish(ax, frame_title(keogram, None, None) if title is None else title, out)
