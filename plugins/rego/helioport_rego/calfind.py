"""Which calibration files apply: the imager of a site on a day, and its files valid then.

Calibration files are per imager (a serial), and an imager can move between
sites or be replaced. UCalgary's raw-data tree records which imager a site
had on each day in its folder names::

    GO-Canada/REGO/stream0/2021/11/04/gill_rego-652/ut03/20211104_0300_gill_rego-652_6300.pgm.gz

(the ``Imager unique ID`` of the frames' metadata says the same). So
:func:`imager_of` lists ``stream0/%Y/%m/%d/`` (one cached, revalidated
listing; offline from the cache) and reads the ``{site}_rego-<imager>``
folder; the option ``rego_imager`` names it instead. Then
:func:`find_calibration_files` lists the calibration folder and returns
the newest version of the Rayleighs file (required) and of the flat-field
file (when one exists) valid at the request's start: the newest-starting file
whose interval holds it, as UCalgary's ``download_best_calibration`` does.
Calibration files are unversioned for the request's ``version=`` policy
(which is about the image files): their newest version is chosen here. A
request running past the chosen file's validity gets a warning.
"""

from __future__ import annotations

import datetime as dt
import re

from helioport.errors import DataNotFoundError, InvalidRequestError, warn_caller
from helioport.schema import RemoteFile, Request
from helioport.transport import ArchiveContext
from helioport.validation import option_value

from . import products
from .calibration import CalibrationName, parse_name

__all__ = ["CALIBRATION_FOLDER", "find_calibration_files", "imager_folder", "imager_of"]

#: the cache folder (below the mission's) holding calibration files
CALIBRATION_FOLDER = "calibration"


def imager_folder(site: str, imager: str) -> str:
    """``gill_rego-652``: the stream0 day folder of ``site``'s imager."""
    return f"{site}_rego-{imager}"


def imager_of(request: Request, ctx: ArchiveContext, site: str) -> str:
    """The serial of the imager at ``site`` on the request's first day.

    Raises
    ------
    DataNotFoundError
        The stream0 day folder names no imager for the site.
    InvalidRequestError
        ``rego_imager`` is not a serial (digits).
    """
    chosen = option_value(ctx.mission, request, "rego_imager")
    if chosen not in (None, ""):
        text = str(chosen).strip().lower().removeprefix("rego-")
        if not text.isdigit():
            raise InvalidRequestError(
                f"rego_imager={chosen!r} is not an imager serial; give its digits, e.g. '652'"
            )
        return text
    day = request.start
    url = ctx.join(ctx.base_url(products.STREAM0_SOURCE), day.strftime("%Y/%m/%d/"))
    pattern = re.compile(rf"{re.escape(site)}_rego-(\d+)/?", re.IGNORECASE)
    found = sorted({m.group(1) for e in ctx.list_dir(url) if (m := pattern.fullmatch(e.name))})
    if not found:
        raise DataNotFoundError(
            f"no REGO imager is recorded for {site} on {day:%Y-%m-%d}: {url} has no "
            f"'{site}_rego-<imager>' folder. Give the imager with rego_imager='<serial>', or "
            "check the stream0 mirror (HELIOPORT_REGO_STREAM0_URL)"
        )
    if len(found) > 1:
        raise DataNotFoundError(
            f"{site} had imagers {', '.join(found)} on {day:%Y-%m-%d} ({url}); choose one with "
            "rego_imager='<serial>'"
        )
    return found[0]


def _best(names: list[CalibrationName], time: dt.datetime) -> CalibrationName | None:
    valid = [n for n in names if n.valid_at(time)]
    return max(valid, key=lambda n: (n.start, int(n.version))) if valid else None


def find_calibration_files(request: Request, ctx: ArchiveContext, site: str) -> list[RemoteFile]:
    """The newest version of the Rayleighs file, and of the flat field if any, valid at the start.

    Raises
    ------
    DataNotFoundError
        The imager has no Rayleighs file valid at the request's start.
    """
    imager = imager_of(request, ctx, site)
    base = ctx.base_url(products.CALIBRATION_SOURCE)
    entries = {}
    for entry in ctx.list_dir(base):
        name = None if entry.is_dir else parse_name(entry.name)
        if name is not None and name.imager == imager:
            entries[entry.name] = (name, entry)
    files: list[RemoteFile] = []
    for kind in ("rayleighs", "flatfield"):
        names = [n for n, _ in entries.values() if n.kind == kind]
        best = _best(names, request.start)
        if best is None:
            if kind == "rayleighs":
                known = sorted(e for e, (n, _) in entries.items() if n.kind == kind)
                raise DataNotFoundError(
                    f"no Rayleighs calibration of REGO imager {imager} ({site}) is valid at "
                    f"{request.start:%Y-%m-%d}: {base} holds "
                    f"{', '.join(known) if known else 'none for that imager'}. Load counts "
                    "(calibrate=False) or name another imager with rego_imager="
                )
            continue
        if best.stop is not None and request.end > best.stop:
            warn_caller(
                f"REGO {kind} calibration {best.stem} of imager {imager} ({site}) is valid through "
                f"{best.stop - dt.timedelta(days=1):%Y-%m-%d}, but the request ends {request.end:%Y-%m-%d %H:%M}: "
                "frames after it are calibrated with it too; split the request at that date"
            )
        _, entry = max(
            (
                (int(n.version), e)
                for n, e in entries.values()
                if n.kind == kind and n.start == best.start and n.imager == best.imager
            ),
            key=lambda pair: pair[0],
        )
        files.append(
            RemoteFile(
                url=entry.url,
                relpath=f"{CALIBRATION_FOLDER}/{entry.name}",
                mission=request.mission,
                key=f"{CALIBRATION_FOLDER}/{kind}/{imager}/{best.start:%Y%m%d}",
                version=None,  # the request's version= is about images; the newest is chosen here
                start=best.start,
                end=best.stop,
                size=entry.size,
                mtime=entry.mtime,
                source=products.CALIBRATION_SOURCE,
            )
        )
    return files
