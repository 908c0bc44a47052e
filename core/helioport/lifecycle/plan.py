"""Step 1: what a request needs — stored products per probe, derivations resolved.

A derived product is replaced by its inputs, recursively (a cycle is a
:class:`DerivationError`); every stored product reached is checked against
its own spec (:func:`helioport.validation.check_product`) before any plugin
code runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DerivationError
from ..schema import Derivation, MissionSpec, Request, _Deferred
from ..times import format_time
from ..validation import check_product

__all__ = ["Key", "Plan", "make_plan"]

#: (product, probe): one stored or derived product of one probe (``None`` without probes)
Key = tuple[str, "str | None"]


@dataclass(frozen=True)
class Plan:
    """A request and what it needs.

    Attributes
    ----------
    spec, request, derivations : the mission, the validated request, the derivations available.
    stored : the stored products needed, in the order first reached.
    """

    spec: MissionSpec
    request: Request
    derivations: dict[str, Derivation]
    stored: tuple[str, ...]

    @property
    def probes(self) -> list[str | None]:
        """The request's probes, or ``[None]`` for missions without probes."""
        return list(self.request.probes) or [None]

    @property
    def stored_keys(self) -> list[Key]:
        """Every (stored product, probe) to find, fetch and read."""
        return [(p, probe) for p in self.stored for probe in self.probes]

    def is_stored(self, product: str) -> bool:
        return product in self.spec.product_names

    def describe(self, product: str, probe: str | None) -> str:
        """``omni dc_mag mode 1min between ... and ...``: the subject of a message."""
        r = self.request
        parts = (
            [r.mission, product]
            + ([probe] if probe else [])
            + ([f"mode {r.mode}"] if r.mode else [])
        )
        return f"{' '.join(parts)} between {format_time(r.start)} and {format_time(r.end)}"


def make_plan(spec: MissionSpec, derivations: dict[str, Derivation], request: Request) -> Plan:
    """Resolve the request's products into the stored ones it needs, each checked."""
    needed: dict[str, str | None] = {}  # stored product -> the derived product that needs it
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise DerivationError(f"derivation cycle: {' -> '.join(chain + (name,))}")
        if name in seen:
            return
        seen.add(name)
        if name in spec.product_names:
            needed[name] = chain[0] if chain else None
            return
        function = derivations[name].function
        if isinstance(function, _Deferred):  # named "package.module:function": import it
            function.resolve()  # now, so that a broken plugin fails before any file is fetched
        for inp in derivations[name].inputs:
            visit(inp, chain + (name,))

    for product in request.products:
        visit(product, ())
    for name, wanted_for in needed.items():
        check_product(spec, spec.product(name), request, wanted_for=wanted_for)
    return Plan(spec=spec, request=request, derivations=derivations, stored=tuple(needed))
