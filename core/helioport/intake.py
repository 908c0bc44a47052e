"""Every installed mission as a nested Intake (v2) catalog (DESIGN §10).

The top catalog has one entry per installed mission; reading it gives that
mission's catalog, with one entry per product (stored L2 and derived L3).
Reading a product entry calls :func:`helioport.load`, so data reaches the user
through the one request lifecycle (DESIGN §2).

Intake 2 has no ``intake.cat``: :func:`catalog` builds the tree from the
registry. Traps of intake 2.0.9 this module works around:

- an entry must be added with ``add_entry`` *and* named with ``give_name`` to
  be listed by ``list(cat)``;
- a user parameter that shares its name with the keyword it fills swallows that
  keyword, so the parameters are ``start, end, probes, coords, mode`` and the
  reader keywords ``start_time, end_time, probe_list, frame, data_mode``;
- parameter classes are lost in a YAML round trip, so :func:`from_yaml` checks
  the file against the installed missions and rebuilds the catalog from code.

Examples
--------
>>> from helioport.intake import catalog
>>> cat = catalog()
>>> list(cat)  # doctest: +SKIP
['mms', 'omni']
>>> omni = cat["omni"](start="2010-01-01", end="2010-01-02", mode="hourly")  # doctest: +SKIP
>>> ds = omni["dc_mag"].read()  # the same Dataset as helioport.load(...)  # doctest: +SKIP
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import yaml
from intake.readers.entry import Catalog, ReaderDescription
from intake.readers.readers import BaseReader
from intake.readers.user_parameters import BaseUserParameter

from . import __version__
from .errors import HelioportError, InvalidRequestError, UnknownMissionError, UnknownProductError
from .registry import Registry, get_registry
from .schema import Derivation, MissionSpec, ProductSpec
from .times import parse_time

__all__ = [
    "ChoiceParameter",
    "HelioportReader",
    "MissionCatalogReader",
    "TimeParameter",
    "catalog",
    "from_yaml",
    "mission_catalog",
    "to_yaml",
    "tree",
]

_CATALOG_TYPE = "intake.readers.entry:Catalog"

# Catalog entries must be serialisable, so a reader names the registry it uses by
# a key; only registries other than the process-wide one are kept here, weakly.
_REGISTRIES: weakref.WeakValueDictionary[str, Registry] = weakref.WeakValueDictionary()


def _registry_key(registry: Registry | None) -> str | None:
    if registry is None or registry is get_registry():
        return None
    key = f"registry-{id(registry):x}"
    _REGISTRIES[key] = registry
    return key


def _registry(key: str | None) -> Registry:
    if key is None:
        return get_registry()
    try:
        return _REGISTRIES[key]
    except KeyError:
        raise HelioportError(
            f"the registry this catalog entry was built with ({key}) no longer exists; "
            "rebuild the catalog with helioport.catalog.catalog(registry=...)"
        ) from None


# -- user parameters ---------------------------------------------------------------
class _CheckedParameter(BaseUserParameter):
    """A user parameter whose bad values raise a helioport error saying what is allowed."""

    def set_default(self, value: Any) -> None:
        self.default = self.coerce(value)

    def validate(self, value: Any) -> bool:
        try:
            self.coerce(value)
        except (HelioportError, TypeError, ValueError):
            return False
        return True


class TimeParameter(_CheckedParameter):
    """A UTC time: anything :func:`helioport.times.parse_time` understands (``None`` = not set)."""

    def __init__(self, name: str, default: Any = None, description: str = "") -> None:
        super().__init__(
            default=None if default is None else parse_time(default, what=name),
            description=description,
        )
        self.name = name
        self.dtype = "datetime"

    def coerce(self, value: Any) -> Any:
        return None if value is None else parse_time(value, what=self.name)


class ChoiceParameter(_CheckedParameter):
    """One value (or, with ``many``, a list of values) out of ``allowed``.

    ``aliases`` map other spellings to allowed values (``"1m"`` → ``"1min"``,
    ``"1"`` → ``"mms1"``); ``None`` is accepted and means "the mission's default".
    """

    def __init__(
        self,
        name: str,
        allowed: Iterable[str],
        default: Any = None,
        *,
        many: bool = False,
        aliases: dict[str, str] | None = None,
        context: str = "",
        label: str = "",
        description: str = "",
    ) -> None:
        super().__init__(default=default, description=description)
        self.name = name
        self.label = label or name
        self.allowed = list(allowed)
        self.aliases = dict(aliases or {})
        self.many = many
        self.context = context

    def _one(self, value: Any) -> str:
        text = str(value).strip().lower()
        text = self.aliases.get(text, text)
        if text not in self.allowed:
            if not self.allowed:
                raise InvalidRequestError(
                    f"{self.context} has no {self.label}; leave {self.name} out (got {value!r})"
                )
            extra = (
                f" (aliases: {', '.join(sorted(self.aliases))})"
                if self.aliases and not self.many
                else ""
            )
            raise InvalidRequestError(
                f"{self.context} has no {self.label} {value!r}; "
                f"valid {self.label}s: {', '.join(self.allowed)}{extra}"
            )
        return text

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if not self.many:
            return self._one(value)
        if isinstance(value, (str, int)):
            value = [value]
        try:
            values = list(value)
        except TypeError:
            raise InvalidRequestError(
                f"{self.name} must be a name or a list of names, not {value!r}"
            ) from None
        return list(dict.fromkeys(self._one(v) for v in values))


# -- readers -----------------------------------------------------------------------
class HelioportReader(BaseReader):
    """Read one helioport product with :func:`helioport.load` into an :class:`xarray.Dataset`.

    The keywords are those of a catalog entry: ``mission``, ``product``,
    ``start_time``, ``end_time``, ``probe_list``, ``frame``, ``data_mode``;
    any other keyword (``base_url``, ``offline``, ``cache_dir``, plugin
    options) goes to :func:`helioport.load`. ``read(start=..., end=...,
    probes=..., coords=..., mode=...)`` overrides the entry's values.

    Examples
    --------
    >>> reader = HelioportReader(mission="omni", product="dc_mag", start_time="2010-01-01",
    ...                          end_time="2010-01-02", data_mode="hourly")
    >>> ds = reader.read()  # doctest: +SKIP
    """

    output_instance = "xarray:Dataset"
    imports: ClassVar[set[str]] = {"helioport", "xarray"}
    func = "helioport.api:load"

    def _read(
        self,
        mission: str,
        product: str,
        start_time: Any = None,
        end_time: Any = None,
        probe_list: Any = None,
        frame: str | None = None,
        data_mode: str | None = None,
        registry_key: str | None = None,
        **options: Any,
    ):
        from .api import load

        start_time = options.pop("start", start_time)
        end_time = options.pop("end", end_time)
        probe_list = options.pop("probes", probe_list)
        frame = options.pop("coords", frame)
        data_mode = options.pop("mode", data_mode)
        if start_time is None or end_time is None:
            missing = " and ".join(
                n for n, v in (("start", start_time), ("end", end_time)) if v is None
            )
            raise InvalidRequestError(
                f"{mission}/{product}: no {missing} time given; set them on the catalog, e.g. "
                f"cat[{mission!r}](start='2010-01-01', end='2010-01-02')[{product!r}].read(), "
                "or pass them to read(start=..., end=...)"
            )
        return load(
            mission,
            start_time,
            end_time,
            products=[product],
            probes=probe_list or None,
            coords=frame,
            mode=data_mode,
            registry=_registry(registry_key),
            **options,
        )


class MissionCatalogReader(BaseReader):
    """Build one mission's product catalog (see :func:`mission_catalog`).

    Keywords: ``mission``, optionally ``products`` (a subset) and values for
    the user parameters (``start``, ``end``, ``probes``, ``coords``, ``mode``)
    or :func:`helioport.load` options (``base_url``...) applied to every entry.
    """

    output_instance = _CATALOG_TYPE
    imports: ClassVar[set[str]] = {"helioport"}

    def _read(
        self,
        mission: str,
        products: list[str] | None = None,
        registry_key: str | None = None,
        **overrides: Any,
    ) -> Catalog:
        cat = _mission_catalog(_registry(registry_key), mission, products, registry_key)
        return cat(**overrides) if overrides else cat


# -- building ----------------------------------------------------------------------
def _yamlable(value: Any) -> Any:
    return list(value) if isinstance(value, (tuple, set)) else value


def _mission_meta(spec: MissionSpec) -> dict[str, Any]:
    return {
        "mission": spec.name,
        "title": spec.title,
        "distribution": spec.distribution,
        "probes": list(spec.probes),
        "default_probes": list(spec.default_probes or spec.probes[:1]),
        "coords": list(spec.coords),
        "default_coords": spec.default_coords,
        "modes": list(spec.modes),
        "default_mode": spec.default_mode,
        "mode_aliases": dict(spec.mode_aliases),
    }


def _product_coords(
    reg: Registry, spec: MissionSpec, product: ProductSpec, seen: tuple[str, ...] = ()
) -> list[str]:
    """The frames a product exists in; for L3, the frames all its framed inputs share."""
    if product.coords or not product.inputs:
        return [c for c in product.coords if not spec.coords or c in spec.coords]
    frames: list[str] | None = None
    specs = {p.name: p for p in reg.products(spec.name)}
    for name in product.inputs:
        if name in seen or name not in specs:
            continue
        got = _product_coords(reg, spec, specs[name], seen + (product.name,))
        if got:
            frames = got if frames is None else [c for c in frames if c in got]
    return frames or []


def _entry(
    reg: Registry,
    spec: MissionSpec,
    product: ProductSpec,
    deriv: Derivation | None,
    registry_key: str | None,
) -> ReaderDescription:
    coords = _product_coords(reg, spec, product)
    modes = [
        m for m in (product.modes if product.modes is not None else spec.modes) if m in spec.modes
    ]
    modes = modes or list(spec.modes)
    aliases = {a: m for a, m in spec.mode_aliases.items() if m in modes}
    default_probes = list(spec.default_probes or spec.probes[:1])
    if deriv is not None and deriv.across_probes and len(default_probes) < deriv.min_probes:
        default_probes = list(spec.probes[: deriv.min_probes])
    default_coords = (
        spec.default_coords if spec.default_coords in coords else (coords[0] if coords else None)
    )
    default_mode = (
        spec.default_mode if spec.default_mode in modes else (modes[0] if modes else None)
    )
    where = f"{spec.name}/{product.name}"
    probe_aliases = {}
    for p in spec.probes:  # "1" for "mms1", as helioport.load accepts
        short = p.lstrip("abcdefghijklmnopqrstuvwxyz_")
        if short and short != p:
            probe_aliases[short] = p
    parameters = {
        "start": TimeParameter("start", description="start of the time range (UTC, inclusive)"),
        "end": TimeParameter("end", description="end of the time range (UTC, exclusive)"),
        "probes": ChoiceParameter(
            "probes",
            spec.probes,
            default_probes,
            many=True,
            aliases=probe_aliases,
            context=f"mission {spec.name!r}",
            label="probe",
            description="spacecraft or stations (list)",
        ),
        "coords": ChoiceParameter(
            "coords",
            coords,
            default_coords,
            context=f"product {where}",
            label="coordinate system",
            description="coordinate system (frame)",
        ),
        "mode": ChoiceParameter(
            "mode",
            modes,
            default_mode,
            aliases=aliases,
            context=f"product {where}",
            label="mode",
            description="data rate / resolution",
        ),
    }
    metadata = {
        "mission": spec.name,
        "product": product.name,
        "level": product.level,
        "kind": product.kind,
        "units": product.units,
        "description": product.description,
        "instrument": product.instrument,
        "components": _yamlable(product.components),
        "coords": coords,
        "modes": modes,
        "probes": list(spec.probes),
        "inputs": list(product.inputs),
    }
    if deriv is not None:
        metadata.update({"across_probes": deriv.across_probes, "min_probes": deriv.min_probes})
    kwargs = {
        "mission": spec.name,
        "product": product.name,
        "start_time": "{start}",
        "end_time": "{end}",
        "probe_list": "{probes}",
        "frame": "{coords}",
        "data_mode": "{mode}",
    }
    if registry_key:
        kwargs["registry_key"] = registry_key
    return ReaderDescription(
        reader=HelioportReader.qname(),
        kwargs=kwargs,
        user_parameters=parameters,
        metadata=metadata,
        output_instance=HelioportReader.output_instance,
    )


def _add(cat: Catalog, entry: ReaderDescription, name: str) -> None:
    cat.add_entry(entry, name=name)
    cat.give_name(name, name)  # intake 2.0.9 lists only named entries


def _mission_catalog(
    reg: Registry, mission: str, products: Iterable[str] | None, registry_key: str | None
) -> Catalog:
    spec = reg.mission(mission)
    derivs = reg.derivations_for(spec.name)
    specs = {p.name: p for p in reg.products(spec.name)}
    names = list(specs) if products is None else list(products)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise UnknownProductError(
            f"mission {spec.name!r} has no product {', '.join(map(repr, unknown))}; "
            f"its products: {', '.join(specs)}"
        )
    cat = Catalog(metadata={**_mission_meta(spec), "helioport_version": __version__})
    for name in names:
        _add(cat, _entry(reg, spec, specs[name], derivs.get(name), registry_key), name)
    return cat


def mission_catalog(
    mission: str, *, products: Iterable[str] | None = None, registry: Registry | None = None
) -> Catalog:
    """The Intake catalog of one mission: an entry per product (stored L2 and derived L3).

    Each entry's metadata give level, kind, units, description, modes, coords,
    probes and, for L3, the inputs; its user parameters are ``start``, ``end``,
    ``probes``, ``coords`` and ``mode``.

    Examples
    --------
    >>> cat = mission_catalog("omni")  # doctest: +SKIP
    >>> cat.entries["mag_elev_angle"].metadata["inputs"]  # doctest: +SKIP
    ['dc_mag']
    >>> cat(start="2010-01-01", end="2010-01-02")["dc_mag"].read()  # doctest: +SKIP
    """
    reg = registry or get_registry()
    return _mission_catalog(reg, mission, products, _registry_key(registry))


def catalog(registry: Registry | None = None, *, missions: Iterable[str] | None = None) -> Catalog:
    """The top Intake catalog: one nested catalog per installed mission.

    Parameters
    ----------
    registry
        The plugin registry (default: the installed plugins).
    missions
        Only these missions (default: every installed one).

    Returns
    -------
    intake.readers.entry.Catalog
        ``cat["omni"]`` is the OMNI catalog (read lazily, rebuilt from code);
        ``cat["omni"](start=..., end=..., mode=...)["dc_mag"].read()`` returns
        what :func:`helioport.load` returns.

    Examples
    --------
    >>> cat = catalog()
    >>> "omni" in list(cat)  # doctest: +SKIP
    True
    >>> ds = cat["omni"](start="2010-01-01", end="2010-01-02", mode="hourly")["dc_mag"].read()  # doctest: +SKIP
    """
    reg = registry or get_registry()
    key = _registry_key(registry)
    names = sorted(reg.missions()) if missions is None else [reg.mission(m).name for m in missions]
    top = Catalog(metadata={"description": "helioport missions", "helioport_version": __version__})
    for name in names:
        spec = reg.mission(name)
        products = {}
        for p in reg.products(name):
            products[p.name] = {
                "level": p.level,
                "kind": p.kind,
                "units": p.units,
                "description": p.description,
                "inputs": list(p.inputs),
            }
        kwargs: dict[str, Any] = {"mission": name, "products": list(products)}
        if key:
            kwargs["registry_key"] = key
        entry = ReaderDescription(
            reader=MissionCatalogReader.qname(),
            kwargs=kwargs,
            metadata={**_mission_meta(spec), "products": products},
            output_instance=_CATALOG_TYPE,
        )
        _add(top, entry, name)
    return top


# -- YAML --------------------------------------------------------------------------
def to_yaml(
    path: str | Path,
    cat: Catalog | None = None,
    *,
    missions: Iterable[str] | None = None,
    registry: Registry | None = None,
) -> Path:
    """Write the top catalog (default: :func:`catalog` of ``missions``) to a YAML file.

    The file is an ordinary intake 2 catalog (``Catalog.from_yaml_file`` reads
    it); use :func:`from_yaml` to get the catalog back checked and rebuilt.

    Examples
    --------
    >>> to_yaml("helioport.yaml", missions=["omni"])  # doctest: +SKIP
    PosixPath('helioport.yaml')
    """
    if cat is None:
        cat = catalog(registry, missions=missions)
    data = cat.to_dict()
    for entry in data.get("entries", {}).values():  # registry keys mean nothing in another process
        entry.get("kwargs", {}).pop("registry_key", None)
    path = Path(path)
    with path.open("w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return path


#: aliases a catalog file may use (to_yaml's own are a handful; a "billion laughs" needs many)
MAX_YAML_ALIASES = 100


def from_yaml(path: str | Path, *, registry: Registry | None = None) -> Catalog:
    """Read a catalog written by :func:`to_yaml`, check it and rebuild it from code.

    Intake 2 loses the parameter classes in a YAML round trip, so the file is
    used for *what* it lists (missions and products) and the catalog is built
    again from the installed plugins.

    Raises
    ------
    UnknownMissionError, UnknownProductError
        When the file names a mission or product not installed here.

    Examples
    --------
    >>> cat = from_yaml("helioport.yaml")  # doctest: +SKIP
    """
    reg = registry or get_registry()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        aliases = sum(isinstance(t, yaml.AliasToken) for t in yaml.scan(text))
        if aliases > MAX_YAML_ALIASES:
            raise HelioportError(
                f"{path} uses {aliases} YAML aliases (at most {MAX_YAML_ALIASES}): a few bytes of "
                "aliases can expand into gigabytes; write catalogs with to_yaml()"
            )
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise HelioportError(f"cannot read the catalog file {path}: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("version") != 2
        or not isinstance(data.get("entries"), dict)
    ):
        raise HelioportError(
            f"{path} is not an intake 2 catalog written by helioport.catalog.to_yaml"
        )
    aliases = data.get("aliases") or {}
    wanted: dict[str, list[str] | None] = {}
    for token, entry in data["entries"].items():
        if not isinstance(entry, dict) or entry.get("reader") != MissionCatalogReader.qname():
            continue
        kwargs = entry.get("kwargs") or {}
        mission = kwargs.get("mission", token)
        wanted[mission] = kwargs.get("products")
    if not wanted:
        raise HelioportError(
            f"{path} lists no helioport mission (entries: {', '.join(aliases) or 'none'})"
        )
    installed = reg.missions()
    unknown = [m for m in wanted if m not in installed]
    if unknown:
        raise UnknownMissionError(
            f"{path} lists mission(s) {', '.join(map(repr, unknown))} that no installed plugin serves; "
            f"installed missions: {', '.join(sorted(installed)) or 'none'}"
        )
    for mission, products in wanted.items():
        have = [p.name for p in reg.products(mission)]
        missing = [p for p in products or [] if p not in have]
        if missing:
            raise UnknownProductError(
                f"{path} lists product(s) {', '.join(map(repr, missing))} of mission {mission!r} that the "
                f"installed plugin does not serve; its products: {', '.join(have)}"
            )
    top = catalog(registry, missions=list(wanted))
    for mission, products in wanted.items():  # keep the file's choice of products
        entry = top.entries[mission]
        if products is not None:
            entry.kwargs["products"] = list(products)
            entry.metadata["products"] = {
                p: v for p, v in entry.metadata["products"].items() if p in products
            }
    top.metadata["source"] = str(path)
    return top


# -- text --------------------------------------------------------------------------
def tree(
    cat: Catalog | None = None,
    *,
    missions: Iterable[str] | None = None,
    registry: Registry | None = None,
) -> str:
    """The catalog as text: mission → products with level, kind, units and L3 inputs.

    Examples
    --------
    >>> print(tree(missions=["omni"]))  # doctest: +SKIP
    omni  OMNI ... (helioport-omni)
      dc_mag              L2  vector        nT       frames gse, gsm
      mag_elev_angle      L3  scalar        deg      from dc_mag
    """
    if cat is None:
        cat = catalog(registry, missions=missions)
    lines = []
    for name in cat:
        meta = cat.entries[cat.aliases[name]].metadata
        probes = ", ".join(meta["probes"]) or "-"
        lines.append(f"{name}  {meta['title']} ({meta['distribution'] or '-'})")
        lines.append(
            f"  modes {', '.join(meta['modes']) or '-'} (default {meta['default_mode'] or '-'}); "
            f"coords {', '.join(meta['coords']) or '-'}; probes {probes}"
        )
        for pname, p in meta["products"].items():
            extra = f"  from {', '.join(p['inputs'])}" if p["inputs"] else ""
            lines.append(
                f"    {pname:<20} {p['level']:<3} {p['kind']:<12} {p['units'] or '-':<14}{extra}".rstrip()
            )
    return "\n".join(lines)
