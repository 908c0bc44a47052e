"""Step 3: every selected file into the cache, once, in parallel (or from the cache offline)."""

from __future__ import annotations

from ..errors import warn_caller
from ..schema import RemoteFile
from ..transport import LocalFile, Transport
from .find import Found
from .plan import Key, Plan

__all__ = ["fetch_files"]


def fetch_files(transport: Transport, plan: Plan, found: dict[Key, Found]) -> dict[str, LocalFile]:
    """Fetch the files of every product at once, each file once; local files by ``relpath``.

    Offline, a warning says the newest *cached* versions are used.
    """
    unique: dict[str, RemoteFile] = {}
    candidates: dict[str, RemoteFile] = {}
    for f in found.values():
        for r in f.selected:
            unique.setdefault(r.relpath, r)
        for r in f.candidates:
            candidates.setdefault(r.relpath, r)
    offline = plan.request.offline
    got = transport.fetch(
        list(unique.values()), offline=offline, candidates=list(candidates.values())
    )
    local = {lf.remote.relpath: lf for lf in got}
    if offline and local:
        names = sorted(lf.remote.name for lf in local.values())
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        warn_caller(
            f"offline: {plan.spec.name} loaded from the cache, newest cached versions ({shown}); "
            "the archive may hold newer ones. Go online (offline=False) to check."
        )
    return local
