"""The request lifecycle (DESIGN §2): the one path all data takes, read top-down.

:func:`run` is the whole of it; each step is a module of its own:

1. :mod:`.plan` — which stored products (and probes) the request needs,
   derivations resolved recursively, each checked against its spec;
2. :mod:`.find` — the plugin lists the archive's files, the core picks versions;
3. :mod:`.fetch` — the transport brings every file into the cache once;
4. :mod:`.read` — the plugin reads each product from its local files (products
   that share no file on one thread per core, :mod:`helioport.threads`);
5. :mod:`.derive` — derivations run on the loaded inputs, provenance attached;
6. :mod:`.assemble` — one Dataset with the naming of :mod:`helioport.naming`.
"""

from __future__ import annotations

import xarray as xr

from ..config import Config
from ..registry import Registry
from ..schema import Derivation, MissionSpec, Request
from ..transport import Transport
from .assemble import assemble
from .derive import output_variables
from .fetch import fetch_files
from .find import find_files
from .plan import make_plan
from .read import read_products

__all__ = ["run"]


def run(
    reg: Registry,
    spec: MissionSpec,
    cfg: Config,
    derivations: dict[str, Derivation],
    request: Request,
) -> xr.Dataset:
    """Carry out one validated ``request`` of mission ``spec`` and return its Dataset."""
    plan = make_plan(spec, derivations, request)
    transport = Transport(cfg)
    ctx = transport.context(spec, offline=request.offline)
    found = find_files(reg, plan, ctx)
    local = fetch_files(transport, plan, found)
    # products sharing a file open it and read its times once (a reading session per group)
    stored = read_products(reg, plan, found, local)
    variables = output_variables(plan, stored)
    return assemble(plan, variables)
