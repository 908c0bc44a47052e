"""The plugin registry: entry-point loading and "which plugin serves mission X".

Plugins register through the entry-point group ``helioport.plugins``. Loading is
isolated: a plugin that fails to import, whose hooks raise while describing
its missions, or that breaks the contract (:func:`check_hooks`: a misspelled or
unknown ``helioport_*`` hook, arguments a hook does not have, a mission served
without ``helioport_find_files`` or ``helioport_load``) is reported with a
warning naming it, the hook and the error, and the rest keep working. The registry is built once and cached (:func:`get_registry`), and
rebuilt on demand (:func:`reset_registry`) for tests.
"""

from __future__ import annotations

import difflib
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

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOOKS",
    "KNOWN_DISTRIBUTIONS",
    "REQUIRED_HOOKS",
    "Registry",
    "check_hooks",
    "get_registry",
    "reset_registry",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "helioport.plugins"

#: every hook of :mod:`helioport.hookspecs`
HOOKS = frozenset(n for n in vars(hookspecs) if n.startswith("helioport_"))
#: the hooks a plugin that declares missions must implement
REQUIRED_HOOKS = ("helioport_find_files", "helioport_load")

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
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                self._skip(ep.name, f"(distribution {dist}, {ep.value}) failed to load", exc)
                continue
            self._register_checked(plugin, ep.name, f"(distribution {dist}, {ep.value})")
        self._collect()

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Register a plugin object (module or instance), check it, and refresh the catalog.

        A plugin that breaks the contract is skipped with a warning (see :func:`check_hooks`).
        """
        self._register_checked(plugin, name, "")
        self._collect()

    def _register_checked(self, plugin: Any, name: str | None, where: str) -> None:
        label = name or getattr(plugin, "__name__", None) or repr(plugin)
        try:
            check_hooks(plugin, label)
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            self._skip(label, where, PluginError(f"plugin {label!r}: {exc}"))
            return
        except PluginError as exc:
            self._skip(label, where, exc)
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            self._skip(label, where, PluginError(f"plugin {label!r}: {exc}"))

    def _skip(self, name: str, where: str, exc: BaseException) -> None:
        """Record a plugin as broken and say so in a warning naming it and the error."""
        self.broken[name] = f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"helioport plugin {name!r} {where + ' ' if where else ''}is skipped: "
            f"{type(exc).__name__}: {exc}",
            RuntimeWarning,
            stacklevel=4,
        )

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
                self._skip(pname, "failed to describe its missions and", exc)
                continue
            missing = [h for h in REQUIRED_HOOKS if not self._implements(impl.plugin, h)]
            if specs and missing:
                self.pm.unregister(impl.plugin)
                self._skip(
                    pname,
                    "",
                    PluginError(
                        f"plugin {pname!r} serves {', '.join(s.name for s in specs)} but has no "
                        f"{' and no '.join(missing)} hook (a function of that name decorated with "
                        "helioport.hookimpl)"
                    ),
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

    def _implements(self, plugin: Any, hook: str) -> bool:
        return any(i.plugin is plugin for i in getattr(self.pm.hook, hook).get_hookimpls())

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
        try:
            return caller(**kwargs)
        except ImportError as exc:
            # plugins import their finding and reading code at the first call (listing
            # missions stays light), so a broken installation shows here, not at startup
            spec = self.mission(mission)
            dist = spec.distribution or "the plugin's distribution"
            raise PluginError(
                f"mission {spec.name!r}: {hook} failed to import code it needs "
                f"({type(exc).__name__}: {exc}); reinstall the plugin and its dependencies: "
                f"pip install --force-reinstall {dist}"
            ) from exc

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


def check_hooks(plugin: Any, name: str) -> None:
    """Raise :class:`PluginError` when ``plugin`` has a ``helioport_*`` function that is no hook.

    A misspelling (``helioport_find_file``) would otherwise never be called
    and the mission would silently have no files; the error names the plugin,
    the function and the closest hook. Argument names are checked by pluggy
    when the plugin is registered, and hooks a mission needs by the registry.

    Examples
    --------
    >>> class Typo:
    ...     def helioport_find_file(self, request, product, probe, ctx): ...
    >>> check_hooks(Typo(), "typo")
    Traceback (most recent call last):
    ...
    helioport.errors.PluginError: plugin 'typo' has helioport_find_file, which is not a helioport hook; did you mean helioport_find_files? ...
    """
    for attr in sorted(dir(plugin)):
        if not attr.startswith("helioport_") or attr in HOOKS:
            continue
        if not callable(getattr(plugin, attr, None)):
            continue
        close = difflib.get_close_matches(attr, sorted(HOOKS), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise PluginError(
            f"plugin {name!r} has {attr}, which is not a helioport hook{hint} "
            f"The hooks are: {', '.join(sorted(HOOKS))}."
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
