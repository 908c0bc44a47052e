"""Imager movies: one Figure updated in place per frame, written as mp4 or GIF.

Frames are streamed through :func:`.frame_chunks`: a DataArray (numpy or
dask) is read one block at a time and an iterable of ``(times, frames)``
chunks (e.g. :func:`.iter_frames`) one chunk at a time, so a night of images
never sits in memory as one stack. mp4 needs imageio-ffmpeg (its bundled
ffmpeg, streamed to frame by frame); without it the movie is a GIF.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from matplotlib.collections import QuadMesh

from ..errors import InvalidRequestError, warn_caller
from .frames import frame_chunks
from .geometry import default_altitude
from .plot import (
    check_output_folder,
    fisheye,
    frame_title,
    map_plot,
    map_projection,
    masked_for_map,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

__all__ = ["frames", "movie"]

_KINDS = ("fisheye", "map")


def _attrs_of(images: Any) -> dict:
    return dict(images.attrs) if isinstance(images, (xr.DataArray, xr.Dataset)) else {}


def frames(
    images: xr.DataArray | Iterable[Any],
    skymap: xr.Dataset | None = None,
    *,
    kind: str = "fisheye",
    **plot_kw: Any,
) -> Iterator[tuple[np.datetime64, np.ndarray, Axes]]:
    """Draw each frame on one reused Figure and yield ``(time, image2d, ax)``.

    Draw on ``ax`` inside the loop to annotate a frame: whatever you add is
    removed before the next frame. The colour limits of the first frame are
    kept for all (pass ``vmin``/``vmax`` to choose them). The Figure is closed
    when the loop ends or is left.

    Parameters
    ----------
    images
        A DataArray (time, y, x), or an iterable of chunks, each a DataArray
        or a ``(times, frames)`` pair, read one chunk at a time.
    skymap
        The site's skymap (required for ``kind="map"``).
    kind
        ``"fisheye"`` (:func:`~helioport.imaging.plot.fisheye`) or ``"map"``
        (:func:`~helioport.imaging.plot.map_plot`).
    **plot_kw
        Passed to the plot function (``cmap``, ``vmin``, ``alt_km``, ...);
        ``figsize`` sizes the Figure.

    Examples
    --------
    >>> for when, image, ax in frames(images, skymap):  # doctest: +SKIP
    ...     ax.plot(128, 128, "r+")
    """
    if kind not in _KINDS:
        raise InvalidRequestError(f"kind={kind!r} is not a movie kind; choose one of {_KINDS}")
    if kind == "map" and skymap is None:
        raise InvalidRequestError('kind="map" needs the skymap: pass skymap=')
    if {"ax", "path", "time"} & plot_kw.keys():
        raise InvalidRequestError("ax=, path= and time= are chosen by frames() and movie()")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=plot_kw.pop("figsize", (6.4, 6.4)), layout="constrained")
    title, attrs = plot_kw.pop("title", None), _attrs_of(images)
    crs, note, alt = None, "", ""
    if kind == "map":
        crs, note = map_projection(skymap, plot_kw.get("projection", "auto"))
        alt = f" at {default_altitude(skymap, plot_kw.get('alt_km')):g} km"

    def caption(when: np.datetime64) -> str:
        text = f"{frame_title(xr.Dataset(attrs=attrs), skymap, when)}{alt}"
        return f"{text if title is None else title}\n{note}".strip()

    try:
        ax, artist, base = None, None, set()
        for when, frame in (
            (t, f) for times, stack in frame_chunks(images) for t, f in zip(times, stack)
        ):
            if ax is None:
                first = xr.DataArray(frame, dims=("y", "x"), attrs=attrs)
                ax = fig.add_subplot(projection=crs)
                if kind == "fisheye":
                    fisheye(first, skymap, ax=ax, title=caption(when), **plot_kw)
                    artist = ax.images[-1]
                else:
                    map_plot(first, skymap, ax=ax, title=caption(when), **plot_kw)
                    artist = next(c for c in ax.collections if isinstance(c, QuadMesh))
                base = set(ax.get_children())
            else:
                for child in set(ax.get_children()) - base:
                    child.remove()
                if kind == "fisheye":
                    artist.set_data(frame)
                else:
                    min_el = plot_kw.get("min_elevation", 10)
                    artist.set_array(masked_for_map(frame, skymap, min_el))
                ax.title.set_text(caption(when))
            yield when, frame, ax
    finally:
        plt.close(fig)


def _find_ffmpeg() -> str | None:
    """The ffmpeg executable imageio-ffmpeg provides, or ``None``."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        log.debug("no ffmpeg: %s", exc)
        return None


def _render(fig: Figure) -> np.ndarray:
    """The Figure as an RGB array (height, width, 3), with any backend."""
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=fig.dpi)
    width, height = (round(v) for v in fig.bbox.size)
    return np.frombuffer(buf.getvalue(), np.uint8).reshape(height, width, 4)[..., :3]


class _Mp4Sink:
    """Streams RGB frames into ffmpeg (H.264, yuv420p: dimensions padded to even)."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.fps, self.writer = path, fps, None

    def add(self, rgb: np.ndarray) -> None:
        height, width = rgb.shape[0], rgb.shape[1]
        rgb = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        if self.writer is None:
            import imageio_ffmpeg

            size = (rgb.shape[1], rgb.shape[0])
            self.writer = imageio_ffmpeg.write_frames(
                str(self.path), size, fps=self.fps, macro_block_size=1, quality=7
            )
            self.writer.send(None)
        self.writer.send(np.ascontiguousarray(rgb).tobytes())

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _GifSink:
    """Collects frames as 256-colour images (1 byte a pixel) and writes the GIF at the end."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path, self.fps, self.images = path, fps, []

    def add(self, rgb: np.ndarray) -> None:
        from PIL import Image

        self.images.append(Image.fromarray(rgb).quantize(colors=256))

    def close(self) -> None:
        if self.images:
            first, *rest = self.images
            duration = max(round(1000.0 / self.fps), 10)
            first.save(
                self.path,
                format="GIF",
                save_all=True,
                append_images=rest,
                duration=duration,
                loop=0,
            )


def movie(
    images: xr.DataArray | Iterable[Any],
    path: str | Path,
    *,
    skymap: xr.Dataset | None = None,
    kind: str = "fisheye",
    fps: float = 10,
    **plot_kw: Any,
) -> Path:
    """Write a movie of imager frames: mp4 with imageio-ffmpeg, else GIF; return its path.

    A ``.mp4`` path when ffmpeg is not available becomes ``.gif``, with a
    warning. The file appears complete or not at all (written beside, then
    renamed). An mp4 is streamed to ffmpeg frame by frame; a GIF keeps its
    frames as 256-colour images (one byte a pixel, ~0.4 MB a frame at the
    default size) until Pillow writes it, so prefer mp4 for long movies.

    Parameters
    ----------
    images
        As for :func:`frames`: a DataArray (time, y, x) or an iterable of
        chunks, streamed.
    path
        ``*.mp4`` or ``*.gif``; its folder must exist.
    skymap, kind, **plot_kw
        As for :func:`frames`.
    fps
        Frames a second.

    Returns
    -------
    pathlib.Path
        The file written (its suffix may have changed to ``.gif``).

    Examples
    --------
    >>> movie(images, "gako.mp4", skymap=skymap, fps=20)  # doctest: +SKIP
    PosixPath('gako.mp4')
    """
    path = check_output_folder(path)
    suffix = path.suffix.lower()
    if suffix not in (".mp4", ".gif"):
        raise InvalidRequestError(f"cannot write a movie as {path.name!r}: use .mp4 or .gif")
    if fps <= 0:
        raise InvalidRequestError(f"fps must be positive; got {fps}")
    mp4 = suffix == ".mp4" and _find_ffmpeg() is not None
    if suffix == ".mp4" and not mp4:
        path = path.with_suffix(".gif")
        warn_caller(
            f"imageio-ffmpeg (with its ffmpeg) is not installed: writing {path.name} as a GIF "
            "instead of mp4; `pip install imageio-ffmpeg` for mp4"
        )
    part = path.with_name(f"{path.stem}.part{path.suffix}")
    sink = (_Mp4Sink if mp4 else _GifSink)(part, fps)
    count = 0
    try:
        for _when, _frame, ax in frames(images, skymap, kind=kind, **plot_kw):
            sink.add(_render(ax.figure))
            count += 1
        sink.close()
    except BaseException:
        sink.close()
        part.unlink(missing_ok=True)
        raise
    if count == 0:
        part.unlink(missing_ok=True)
        raise InvalidRequestError("the movie has no frames: the images hold no time steps")
    part.replace(path)
    log.info("wrote %d frames to %s", count, path)
    return path
