"""Finding Cluster files: CSA product deliveries (day by day) or the SPDF copy.

**CSA.** The data endpoint answers a request for one dataset over an interval
with a tar.gz whose members are
``CSA_Download_<stamp>/<DATASET_ID>/<DATASET_ID>__<start>_<end>_V<yymmdd>.cdf``
(``.cef`` with ``DELIVERY_FORMAT=CEF``). Requests go out one UTC day at a
time, so that a later request overlapping an earlier one reuses the cached
days and asks only for the others; each day is a
:class:`~helioport.schema.RemoteFile` the core downloads and unpacks
(``unpack="untar"``) into ``<DATASET_ID>/<format>/<year>/<DATASET_ID>__<yyyymmdd>/``.

Versions: the dataset's last update (``date_last_update`` in the CSA's TAP
metadata, one query per dataset and load, cached and revalidated like every
listing) is the version of every day: a cached day is used without asking the
data endpoint again until the dataset is updated. When the TAP service does
not answer, the load goes on with the cache (days already there are not asked
for again) and the data endpoint for the others, with a warning. The
delivered files' own ``_V<yymmdd>`` stamps are stated in the loaded attrs.

**SPDF** (``source="spdf"``, or a mirror set for ``cluster_spdf``): the daily
CP files of the SPDF tree, where it has the dataset (FGM spin resolution).
**HelioCloud** (``source="heliocloud"``): the same files from HelioCloud's copy
of CDAWeb, found through the registries of their CDAWeb dataset (``C1_CP_FGM_SPIN``).
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from helioport.errors import DownloadError, InvalidRequestError, OfflineError, warn_caller
from helioport.schema import RemoteFile, Request
from helioport.templates import find_files as find_from_template
from helioport.templates import periods
from helioport.transport import ArchiveContext

from . import products

__all__ = ["csa_files", "dataset_last_update", "find_files", "product_for", "tap_query"]

log = logging.getLogger(__name__)

#: the CSA's ``DELIVERY_FORMAT`` of each ``format`` option
DELIVERY = {"cdf": "CDF_ISTP", "cef": "CEF"}


def product_for(request: Request, product: str) -> products.Product:
    """The table row of ``product`` (the aux position dataset with ``positions="aux"``)."""
    if product == "sc_pos" and request.options.get("positions", "fgm") == "aux":
        return products.AUX_POSITION
    return products.BY_NAME[product]


def source_of(request: Request, ctx: ArchiveContext) -> str:
    """``"csa"``, ``"spdf"`` or ``"heliocloud"``: the option, else SPDF when a mirror is set
    for it, else the CSA."""
    opt = request.options.get("source")
    if opt is not None:
        return str(opt).lower()
    return "spdf" if "cluster_spdf" in ctx.config.urls else "csa"


def find_files(request: Request, product: str, probe: str, ctx: ArchiveContext) -> list[RemoteFile]:
    """The files (CSA day deliveries, SPDF or HelioCloud daily files) of ``product`` for ``probe``."""
    row = product_for(request, product)
    dataset = products.dataset_id(row, probe, request.mode)
    source = source_of(request, ctx)
    if source in ("spdf", "heliocloud"):
        template = products.SPDF_FILES.get(dataset.split("_", 1)[1])
        if template is None:
            where = "SPDF" if source == "spdf" else "HelioCloud"
            raise InvalidRequestError(
                f"{where} has no copy of {dataset} for {product!r} here; use source='csa' "
                f"({source} serves: {', '.join(products.SPDF_FILES)})"
            )
        return find_from_template(template, request, ctx, probe=probe)
    return csa_files(request, dataset, ctx)


def tap_query(dataset: str) -> dict[str, str]:
    """The TAP ``sync`` parameters asking for the dataset's metadata (ADQL, JSON answer)."""
    return {
        "REQUEST": "doQuery",
        "LANG": "ADQL",
        "FORMAT": "json",
        "QUERY": "SELECT dataset_id, date_last_update FROM csa.v_dataset "
        f"WHERE dataset_id = '{dataset}'",
    }


def dataset_last_update(ctx: ArchiveContext, dataset: str) -> dt.datetime | None:
    """``date_last_update`` of ``dataset`` from the CSA TAP service; ``None`` when it cannot tell.

    A TAP service that fails (404, 5xx, timeout, an answer without the
    column) is not fatal: a warning says the cached deliveries are used.
    """
    url = ctx.join(ctx.base_url(products.MISSION), "tap/sync")
    try:
        answer = ctx.get_json(url, tap_query(dataset))
    except OfflineError:
        return None  # offline: the cache serves, the core says so
    except DownloadError as exc:
        warn_caller(
            f"the CSA TAP service did not answer for {dataset} ({exc}); cached Cluster deliveries "
            "are used as they are and missing days are fetched from the data endpoint"
        )
        return None
    return _last_update(answer, dataset, url)


def _last_update(answer: object, dataset: str, url: str) -> dt.datetime | None:
    try:
        names = [str(c["name"]).lower() for c in answer["metadata"]]  # type: ignore[index]
        rows = answer["data"]  # type: ignore[index]
        column = names.index("date_last_update")
        text = str(rows[0][column])
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        warn_caller(
            f"the CSA TAP answer at {url} has no date_last_update for {dataset} "
            f"({type(exc).__name__}: {exc}); cached Cluster deliveries are used as they are"
        )
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _stamp(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def csa_files(request: Request, dataset: str, ctx: ArchiveContext) -> list[RemoteFile]:
    """One delivery per UTC day of the request, versioned by the dataset's last update."""
    fmt = str(request.options.get("format", "cdf")).lower()
    updated = dataset_last_update(ctx, dataset)
    version = updated.strftime("%Y%m%dT%H%M%S") if updated else None
    endpoint = ctx.join(ctx.base_url(products.MISSION), "data")
    files = []
    for day, next_day in periods(request.start, request.end, "day"):
        query = {
            "RETRIEVAL_TYPE": "product",
            "DATASET_ID": dataset,
            "START_DATE": _stamp(day),
            "END_DATE": _stamp(next_day),
            "DELIVERY_FORMAT": DELIVERY[fmt],
            "DELIVERY_INTERVAL": "all",
        }
        relpath = f"{dataset}/{fmt}/{day:%Y}/{dataset}__{day:%Y%m%d}"
        files.append(
            RemoteFile(
                url=f"{endpoint}?{urlencode(query)}",
                relpath=relpath,
                mission=products.MISSION,
                key=relpath,
                version=version,
                start=day,
                end=next_day,
                source=products.MISSION,
                unpack="untar",
                members=f"*.{fmt}",
                revalidate=False,
            )
        )
    return files
