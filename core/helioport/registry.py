"""The plugin registry: entry-point loading and "which plugin serves mission X".

Plugins register through the entry-point group ``helioport.plugins``. Loading is
isolated: a plugin that fails to import (or whose hooks raise while describing
its missions) is reported with a warning naming it and the error, and the rest
keep working. The registry is built once and cached (:func:`get_registry`), and
rebuilt on demand (:func:`reset_registry`) for tests.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import PluginError, UnknownMissionError
from .schema import Derivation, MissionSpec, ProductSpec

__all__ = ["ENTRY_POINT_GROUP", "KNOWN_DISTRIBUTIONS", "Registry", "get_registry", "reset_registry"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "helioport.plugins"

#: Missions helioport knows of and the distribution that serves each, so the
#: error for a mission that is not installed says what to install.
KNOWN_DISTRIBUTIONS = {
    "omni": "helioport-omni",
    "mms": "helioport-mms",
    "cluster": "helioport-cluster",
    "themis_asi": "helioport-themis-asi",
    "rego": "helioport-rego",
}


class Registry:
    """Installed plugins, their missions and derivations.

    Parameters
    ----------
    plugins
        Extra plugin objects (modules or instances) to register besides the
        entry points, e.g. in tests.
    load_entry_points
        Load the ``helioport.plugins`` entry points (default ``True``).

    Examples
    --------
    >>> reg = Registry()
    >>> sorted(reg.missions())  # doctest: +SKIP
    ['omni']
    """

    def __init__(self, plugins: Iterable[Any] = (), *, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.broken: dict[str, str] = {}
        self._owner: dict[str, Any] = {}
        self._missions: dict[str, MissionSpec] = {}
        self._derivations: dict[str, Derivation] = {}
        if load_entry_points:
            self._load_entry_points()
        for plugin in plugins:
            self.register(plugin)
        if not plugins and not load_entry_points:
            self._collect()

    # -- loading -----------------------------------------------------------------
    def _load_entry_points(self) -> None:
        eps: list[EntryPoint] = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        for ep in eps:
            if self.pm.get_plugin(ep.name) is not None or ep.name in self.broken:
                continue
            dist = getattr(ep.dist, "name", None) or "?"
            try:
                plugin = ep.load()
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                self.broken[ep.name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"helioport plugin {ep.name!r} (distribution {dist}, {ep.value}) failed to load "
                    f"and is skipped: {type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=3,
                )
        self._collect()

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Register a plugin object (module or instance) and refresh the catalog."""
        self.pm.register(plugin, name=name)
        self._collect()

    def _collect(self) -> None:
        missions: dict[str, MissionSpec] = {}
        owner: dict[str, Any] = {}
        for impl in self.pm.hook.helioport_missions.get_hookimpls():
            pname = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                specs = impl.function() or []
                specs = [
                    s if isinstance(s, MissionSpec) else MissionSpec.model_validate(s)
                    for s in specs
                ]
            except Exception as exc:  # noqa: BLE001
                self.broken[pname] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"helioport plugin {pname!r} failed to describe its missions and is skipped: "
                    f"{type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=3,
                )
                continue
            for spec in specs:
                if spec.name in missions:
                    other = self.pm.get_name(owner[spec.name])
                    warnings.warn(
                        f"mission {spec.name!r} is served by two plugins ({other!r} and {pname!r}); "
                        f"using {other!r}. Uninstall one of them.",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                    continue
                missions[spec.name] = spec
                owner[spec.name] = impl.plugin
        derivations: dict[str, Derivation] = {}
        for impl in self.pm.hook.helioport_derivations.get_hookimpls():
            pname = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            try:
                for d in impl.function() or []:
                    d = d if isinstance(d, Derivation) else Derivation.model_validate(d)
                    derivations.setdefault(d.name, d)
            except Exception as exc:  # noqa: BLE001
                warnings.warn(
                    f"helioport plugin {pname!r} failed to declare derivations: {type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=3,
                )
        self._missions, self._owner, self._derivations = missions, owner, derivations

    # -- lookups -----------------------------------------------------------------
    def missions(self) -> dict[str, MissionSpec]:
        """Installed missions by name."""
        return dict(self._missions)

    def mission(self, name: str) -> MissionSpec:
        """The :class:`MissionSpec` of ``name``; :class:`UnknownMissionError` listing what is installed."""
        key = str(name).strip().lower()
        if key in self._missions:
            return self._missions[key]
        installed = ", ".join(sorted(self._missions)) or "none"
        msg = f"no installed plugin serves mission {name!r}; installed missions: {installed}."
        if key in KNOWN_DISTRIBUTIONS:
            msg += f" Install it with: pip install {KNOWN_DISTRIBUTIONS[key]}"
        else:
            known = ", ".join(
                f"{m} ({d})" for m, d in KNOWN_DISTRIBUTIONS.items() if m not in self._missions
            )
            if known:
                msg += f" Other missions can be added by installing: {known}."
        if self.broken:
            msg += " Plugins that failed to load: " + "; ".join(
                f"{k}: {v}" for k, v in self.broken.items()
            )
        raise UnknownMissionError(msg)

    def call(self, hook: str, mission: str, /, **kwargs: Any) -> Any:
        """Call a per-mission hook on the plugin that serves ``mission`` only."""
        plugin = self._owner[self.mission(mission).name]
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return caller(**kwargs)

    def derivations(self) -> dict[str, Derivation]:
        """Every declared derivation by name."""
        return dict(self._derivations)

    def derivations_for(self, mission: str) -> dict[str, Derivation]:
        """The derivations available for ``mission``: all inputs served or derivable (recursively)."""
        spec = self.mission(mission)
        stored = set(spec.product_names)
        available: dict[str, Derivation] = {}
        changed = True
        while changed:
            changed = False
            for name, d in self._derivations.items():
                if name in available or name in stored:
                    continue
                if d.missions is not None and mission not in d.missions:
                    continue
                if d.across_probes and len(spec.probes) < d.min_probes:
                    continue
                if all(i in stored or i in available for i in d.inputs):
                    available[name] = d
                    changed = True
        return available

    def products(self, mission: str) -> list[ProductSpec]:
        """Stored and derived products of ``mission`` (derived ones with level L3)."""
        spec = self.mission(mission)
        return list(spec.products) + [
            d.product_spec() for d in self.derivations_for(mission).values()
        ]

    def plugin_name(self, mission: str) -> str:
        """The registered name of the plugin serving ``mission``."""
        self.mission(mission)
        return self.pm.get_name(self._owner[mission]) or ""

    def check_plugin(self, mission: str) -> None:
        """Raise :class:`PluginError` if the plugin for ``mission`` lacks the required hooks."""
        plugin = self._owner[self.mission(mission)]
        for hook in ("helioport_find_files", "helioport_load"):
            if not hasattr(plugin, hook):
                raise PluginError(
                    f"plugin {self.plugin_name(mission)!r} serves {mission!r} but has no {hook} hook"
                )


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _cached_registry() -> Registry:
    return Registry()


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    with _lock:
        return _cached_registry()


def reset_registry() -> None:
    """Forget the cached registry (the next :func:`get_registry` reloads the entry points)."""
    with _lock:
        _cached_registry.cache_clear()
