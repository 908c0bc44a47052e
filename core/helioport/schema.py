"""Pydantic models shared by the core and the plugins.

- :class:`ProductSpec` and :class:`MissionSpec` describe what a plugin serves;
- :class:`Request` is one validated, normalised data request;
- :class:`RemoteFile` is one file an archive holds;
- :class:`Derivation` is an L3 recipe (name, inputs, function).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InvalidRequestError, PluginError, UnknownProductError, one_line
from .framenames import can_transform

# helioport.times imports numpy and pandas: it is imported where a request is
# checked, so that listing missions (the registry, ``helioport missions``) does
# not load them

__all__ = [
    "Derivation",
    "MissionSpec",
    "OptionSpec",
    "ProductSpec",
    "RemoteFile",
    "Request",
    "SampleArchive",
    "SourceSpec",
    "VersionPolicy",
]

Kind = Literal["scalar", "vector", "tensor", "spectrum", "distribution", "image", "table"]
#: how the transport unpacks a delivery after download (pooch's processors are the model):
#: ``gunzip`` one gzip-compressed file; ``untar`` a tar (optionally compressed) or
#: ``unzip`` a zip archive into a folder of the cache
Unpack = Literal["gunzip", "untar", "unzip"]


class ProductSpec(BaseModel):
    """One product a mission serves (stored L2 or derived L3).

    Attributes
    ----------
    name : generic name (``dc_mag``, ``i_dens``); the variable name in the output.
    kind : scalar, vector, tensor, spectrum, distribution, image or table.
    level : ``"L2"`` for archived data, ``"L3"`` for derivations.
    units : physical units of the values.
    description : one line a researcher understands.
    instrument : instrument or dataset family (``fgm``, ``fpi``, ``hro``).
    components : labels of the component dimension (``["x", "y", "z", "tot"]``).
    coords : frames it exists in (``["gse", "gsm"]``); empty for frame-less data.
    modes : modes it exists in; ``None`` means every mode of the mission.
    probes : probes it exists for; ``None`` means every probe of the mission.
    options : request options that restrict it: option name -> the values under
        which the product exists (``{"hourly_source": ["cdf"]}``).
    frame_option : the request option naming this product's frame instead of
        ``coords`` (MMS ``sc_att``: ``quat_frame``); its value must be in ``coords``.
    inputs : for L3 products, the products it is derived from.

    The core checks ``modes``, ``coords``, ``probes`` and ``options`` against
    each request before any plugin code runs.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Kind = "scalar"
    level: str = "L2"
    units: str | None = None
    description: str = ""
    instrument: str | None = None
    components: list[str] | None = None
    coords: list[str] = Field(default_factory=list)
    modes: list[str] | None = None
    probes: list[str] | None = None
    options: dict[str, list[Any]] = Field(default_factory=dict)
    frame_option: str | None = None
    inputs: list[str] = Field(default_factory=list)


class OptionSpec(BaseModel):
    """A request option a plugin reads (``helioport.load("omni", ..., hourly_source="cdf")``).

    ``choices`` (when given) are the only values accepted (strings compared
    case-insensitively and normalised to the listed spelling); ``default`` is
    the value used when the request does not set the option.
    """

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    choices: list[Any] | None = None
    default: Any = None


class SourceSpec(BaseModel):
    """An archive a plugin reads from, with its replaceable base URL.

    ``env`` is the environment variable naming a mirror
    (``HELIOPORT_OMNI_URL``); ``key`` is the name used in the config file's
    ``[urls]`` table and in the ``base_url=`` keyword (``"omni"``, ``"mms_sdc"``).
    """

    model_config = ConfigDict(extra="forbid")

    key: str
    url: str
    env: str
    description: str = ""


class MissionSpec(BaseModel):
    """What one plugin serves for one mission: probes, frames, modes and products."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    distribution: str = ""
    probes: list[str] = Field(default_factory=list)
    default_probes: list[str] | None = None
    coords: list[str] = Field(default_factory=list)
    default_coords: str | None = None
    modes: list[str] = Field(default_factory=list)
    default_mode: str | None = None
    mode_aliases: dict[str, str] = Field(default_factory=dict)
    products: list[ProductSpec] = Field(default_factory=list)
    sources: list[SourceSpec] = Field(default_factory=list)
    # plugin options a request may carry (``helioport.load(..., hourly_source="cdf")``),
    # name -> description or OptionSpec; ``None``: the plugin declares none and any are passed on
    options: dict[str, OptionSpec] | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, v: Any) -> Any:
        if v is None:
            return None
        return {k: OptionSpec(description=o) if isinstance(o, str) else o for k, o in v.items()}

    @field_validator("name")
    @classmethod
    def _lower(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError(f"mission name {v!r} must be lower-case letters, digits and '_'")
        return v

    def product(self, name: str) -> ProductSpec:
        """The :class:`ProductSpec` called ``name``, or :class:`UnknownProductError`."""
        for p in self.products:
            if p.name == name:
                return p
        raise UnknownProductError(
            f"mission {self.name!r} has no product {name!r}; its products are: "
            f"{', '.join(p.name for p in self.products)}. "
            f"See helioport.products({self.name!r}) or `helioport products {self.name}`."
        )

    @property
    def product_names(self) -> list[str]:
        return [p.name for p in self.products]


_VERSION_RE = re.compile(r"^\s*(>=)?\s*v?(\d+(?:\.\d+)*)\s*$")


class VersionPolicy(BaseModel):
    """Which file version to use: the newest (default), a pinned one, or a minimum.

    Built from the ``version=`` argument of :func:`helioport.load`:
    ``None`` or ``"latest"`` for the newest, ``"4.18"`` to pin (every version
    starting with 4.18, newest of those), ``">=4.18"`` for a minimum.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["latest", "pinned", "minimum"] = "latest"
    value: tuple[int, ...] = ()

    @classmethod
    def parse(cls, spec: Any) -> VersionPolicy:
        if spec is None or isinstance(spec, VersionPolicy):
            return spec or cls()
        if isinstance(spec, (int, float)):
            spec = str(spec)
        if not isinstance(spec, str):
            raise InvalidRequestError(
                f"version must be a string such as '4.18' or '>=4.18', not {spec!r}"
            )
        if spec.strip().lower() in ("", "latest", "newest"):
            return cls()
        m = _VERSION_RE.match(spec)
        if not m:
            raise InvalidRequestError(
                f"version {spec!r} is not understood; use 'latest', a pinned version such as "
                "'4.18' or 'v4.18.1', or a minimum such as '>=4.18'"
            )
        return cls(
            kind="minimum" if m.group(1) else "pinned",
            value=tuple(int(x) for x in m.group(2).split(".")),
        )

    def __str__(self) -> str:
        v = ".".join(map(str, self.value))
        return {"latest": "latest", "pinned": v, "minimum": f">={v}"}[self.kind]


class Request(BaseModel):
    """One validated, normalised data request.

    Build it with :meth:`Request.for_mission`, which checks products, probes,
    coordinates and modes against the mission's :class:`MissionSpec` and lists
    the valid choices in its errors.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mission: str
    start: dt.datetime
    end: dt.datetime
    products: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()
    coords: str | None = None
    mode: str | None = None
    version: VersionPolicy = VersionPolicy()
    offline: bool = False
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time(cls, v: Any, info) -> dt.datetime:
        from .times import request_time

        return request_time(v, what=info.field_name)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> VersionPolicy:
        return VersionPolicy.parse(v)

    @model_validator(mode="after")
    def _order(self) -> Request:
        from .times import format_time

        if self.start >= self.end:
            raise InvalidRequestError(
                f"start {format_time(self.start)} is not before end {format_time(self.end)}: "
                "give a start earlier than the end"
            )
        return self

    @classmethod
    def for_mission(
        cls,
        spec: MissionSpec,
        start: Any,
        end: Any,
        products: Any = None,
        probes: Any = None,
        coords: str | None = None,
        mode: str | None = None,
        *,
        known_products: list[str] | None = None,
        known_options: dict[str, str] | None = None,
        **kw: Any,
    ) -> Request:
        """Validate a request against a mission and fill in its defaults.

        ``known_products`` lists the names valid besides the mission's stored
        products (derived products the registry can compute); ``known_options``
        the plugin options valid besides the mission's own (those derivations
        read), name -> description.
        """
        from .times import format_time, request_time

        start_t = request_time(start, what="start")
        end_t = request_time(end, what="end")
        if start_t >= end_t:
            raise InvalidRequestError(
                f"start {format_time(start_t)} is not before end {format_time(end_t)}: "
                "give a start earlier than the end"
            )
        names = _as_list(products, "products")
        valid = list(spec.product_names) + [
            p for p in (known_products or []) if p not in spec.product_names
        ]
        if not names:
            raise InvalidRequestError(
                f"no product asked for; mission {spec.name!r} serves: {', '.join(valid)}"
            )
        for name in names:
            if name not in valid:
                raise UnknownProductError(
                    f"mission {spec.name!r} has no product {name!r}; valid products: {', '.join(valid)}"
                )
        probe_list = [p.lower() for p in _as_list(probes, "probes")]
        if spec.probes:
            if not probe_list:
                probe_list = list(spec.default_probes or spec.probes[:1])
            probe_list = [_normalise_probe(p, spec) for p in probe_list]
            bad = [p for p in probe_list if p not in spec.probes]
            if bad:
                raise InvalidRequestError(
                    f"mission {spec.name!r} has no probe {', '.join(map(repr, bad))}; "
                    f"valid probes: {', '.join(spec.probes)}"
                )
            probe_list = list(dict.fromkeys(probe_list))
        elif probe_list:
            raise InvalidRequestError(
                f"mission {spec.name!r} has no probes; leave probes out (got {probe_list})"
            )
        if coords is not None:
            coords = str(coords).lower()
            transformable = any(can_transform(c, coords) for c in spec.coords)
            if spec.coords and coords not in spec.coords and not transformable:
                raise InvalidRequestError(
                    f"mission {spec.name!r} has no coordinate system {coords!r}; "
                    f"valid: {', '.join(spec.coords)}"
                )
            if not spec.coords:
                raise InvalidRequestError(
                    f"mission {spec.name!r} takes no coordinate system (got {coords!r})"
                )
        else:
            coords = spec.default_coords
        if mode is not None:
            mode = str(mode).lower()
            mode = spec.mode_aliases.get(mode, mode)
            if mode not in spec.modes:
                allowed = list(spec.modes) + list(spec.mode_aliases)
                raise InvalidRequestError(
                    f"mission {spec.name!r} has no mode {mode!r}; valid modes: {', '.join(allowed)}"
                )
        else:
            mode = spec.default_mode
        if "version" in kw:
            kw["version"] = VersionPolicy.parse(kw["version"])
        _check_options(spec, known_options or {}, kw.get("options") or {})
        try:
            return cls(
                mission=spec.name,
                start=start_t,
                end=end_t,
                products=tuple(dict.fromkeys(names)),
                probes=tuple(probe_list),
                coords=coords,
                mode=mode,
                **kw,
            )
        except ValidationError as exc:
            raise InvalidRequestError(
                f"invalid request for {spec.name!r}: {one_line(exc)}"
            ) from None

    def describe(self) -> str:
        """A one-line text of the request, used in attrs and messages."""
        from .times import format_time

        parts = [
            f"mission={self.mission}",
            f"start={format_time(self.start)}",
            f"end={format_time(self.end)}",
            f"products={','.join(self.products)}",
        ]
        if self.probes:
            parts.append(f"probes={','.join(self.probes)}")
        if self.coords:
            parts.append(f"coords={self.coords}")
        if self.mode:
            parts.append(f"mode={self.mode}")
        parts.append(f"version={self.version}")
        return " ".join(parts)


def _normalise_probe(p: str, spec: MissionSpec) -> str:
    """Accept ``1`` for ``mms1``/``c1`` when the mission's probes share a prefix."""
    if p in spec.probes:
        return p
    for full in spec.probes:
        if full.endswith(p) and full[: -len(p)].isalpha():
            return full
    return p


def _check_options(spec: MissionSpec, extra: dict[str, str], options: dict[str, Any]) -> None:
    """Refuse plugin options nothing declares (a typo would otherwise be ignored) and values
    outside an option's declared choices."""
    if spec.options is None:  # the plugin declares none: pass everything on
        return
    valid = {k: o.description for k, o in spec.options.items()} | dict(extra)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        listed = "; ".join(f"{k} ({v})" if v else k for k, v in sorted(valid.items())) or "none"
        raise InvalidRequestError(
            f"mission {spec.name!r} has no option {', '.join(map(repr, unknown))}; "
            f"valid options: {listed}"
        )
    for name, value in options.items():
        declared = spec.options.get(name)
        if declared is None or declared.choices is None:
            continue
        if _choice(value, declared.choices) is None:
            raise InvalidRequestError(
                f"{name}={value!r} is not valid for mission {spec.name!r}; "
                f"valid: {', '.join(map(str, declared.choices))}"
            )


def _choice(value: Any, choices: list[Any]) -> Any:
    """The entry of ``choices`` ``value`` stands for (strings case-insensitively), or ``None``."""
    for c in choices:
        if value == c or (
            isinstance(value, str) and isinstance(c, str) and value.strip().lower() == c.lower()
        ):
            return c
    return None


def _as_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        value = [value]
    try:
        return [str(v).strip() for v in value if str(v).strip()]
    except TypeError as exc:
        raise InvalidRequestError(
            f"{what} must be a name or a list of names, not {value!r}"
        ) from exc


class RemoteFile(BaseModel):
    """One file in an archive, as a plugin describes it to the transport.

    Attributes
    ----------
    url : where to fetch it (``https://``, ``file://``, a local path, or an object store:
        ``s3://``, ``gs://``, ``az://``).
    relpath : its path inside the mission's cache folder, mirroring the archive
        layout (``hro_1min/2010/omni_hro_1min_20100101_v01.cdf``).
    key : the logical file: the same for every version of it (the name without
        its version); the transport keeps one version per key.
    version : the version text (``"4.18.1"``, ``"01"``), ``None`` when unversioned.
    start, end : the time span it covers, when known.
    size : size in bytes from the listing, checked after download when given.
    mtime : the modification time the listing shows, when given.
    unpack : a packed delivery: ``gunzip`` (``relpath`` names the decompressed
        file), ``untar`` or ``unzip`` (``relpath`` names the cache folder the
        members are extracted into). The transport unpacks it safely after
        download; ``None`` for plain files.
    members : for ``untar``/``unzip``, a glob of the member names to keep
        (``"*.cdf"``); the others are not extracted.
    revalidate : ``False`` for an archive that cannot answer conditional
        requests and whose answers only change when ``version``/``mtime`` do
        (the CSA's product deliveries): a cached copy is then used without
        asking the server again while neither is known to have changed.
    """

    model_config = ConfigDict(frozen=True)

    url: str
    relpath: str
    mission: str
    key: str = ""
    version: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    size: int | None = None
    mtime: dt.datetime | None = None
    source: str = ""
    unpack: Unpack | None = None
    members: str | None = None
    revalidate: bool = True

    @field_validator("relpath")
    @classmethod
    def _safe(cls, v: str) -> str:
        parts = v.replace("\\", "/").split("/")
        if (
            v.startswith(("/", "\\"))
            or re.match(r"^[A-Za-z]:", v)
            or any(p in ("..",) for p in parts)
        ):
            raise ValueError(f"remote path {v!r} would escape the cache")
        return "/".join(p for p in parts if p not in ("", "."))

    @model_validator(mode="after")
    def _key(self) -> RemoteFile:
        if not self.key:
            object.__setattr__(self, "key", self.relpath)
        return self

    @property
    def name(self) -> str:
        return self.relpath.rsplit("/", 1)[-1]


class _Deferred:
    """A function given as ``"package.module:function"``, imported at its first call.

    The entry-point form: ``"package.module:Class.method"`` names an attribute
    of an attribute. Two deferred functions naming the same target are equal.

    Examples
    --------
    >>> f = _Deferred("math:hypot")
    >>> f.__name__, f(3.0, 4.0)
    ('hypot', 5.0)
    """

    def __init__(self, target: str) -> None:
        module, sep, attrs = target.partition(":")
        parts = attrs.split(".")
        if not sep or not module or not all(p.isidentifier() for p in parts):
            raise ValueError(
                f"function {target!r} is neither a callable nor 'package.module:function'"
            )
        self.target = target
        self.__name__ = parts[-1]
        self.__qualname__ = attrs
        self.__module__ = module
        self.__doc__ = f"{target}, imported at its first call."
        self._function: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        """The function itself (importing its module the first time)."""
        if self._function is None:
            import importlib

            module, _, attrs = self.target.partition(":")
            try:
                function: Any = importlib.import_module(module)
                for part in attrs.split("."):
                    function = getattr(function, part)
            except (ImportError, AttributeError) as exc:
                raise PluginError(
                    f"function {self.target!r} cannot be imported ({type(exc).__name__}: "
                    f"{exc}); reinstall the plugin that names it, with its dependencies"
                ) from exc
            self._function = function
        return self._function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Deferred) and other.target == self.target

    def __hash__(self) -> int:
        return hash(self.target)

    def __repr__(self) -> str:
        return f"<deferred {self.target}>"


class Derivation(BaseModel):
    """An L3 recipe: a product computed from other products.

    Attributes
    ----------
    name : the product name (``j_curl``).
    inputs : the products it needs (each may itself be derived).
    function : ``function(inputs, request) -> xarray.DataArray | xarray.Dataset``.
        For a per-probe derivation ``inputs`` maps product name to the
        DataArray of one probe; for ``across_probes`` it maps product name to
        ``{probe: DataArray}`` for every requested probe. May be given as the
        text ``"package.module:function"`` (the entry-point form): the module
        is then imported at the first call, not when the registry is built,
        so listing missions does not import the science code (numpy, xarray).
    across_probes : needs every probe at once (the curlometer), giving one
        variable named ``{name}`` instead of one per probe.
    min_probes : for ``across_probes``, how many probes it needs.
    missions : missions it applies to; ``None`` means every mission whose
        plugin serves all the inputs.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    name: str
    inputs: list[str]
    function: Callable[..., Any]
    units: str | None = None
    description: str = ""
    kind: Kind = "scalar"
    components: list[str] | None = None
    across_probes: bool = False
    min_probes: int = 1
    missions: list[str] | None = None
    options: dict[str, str] = Field(
        default_factory=dict
    )  # request options it reads: name -> description

    @field_validator("function", mode="before")
    @classmethod
    def _function(cls, v: Any) -> Any:
        return _Deferred(v) if isinstance(v, str) else v

    def product_spec(self) -> ProductSpec:
        """The :class:`ProductSpec` under which the derivation is listed (level L3)."""
        return ProductSpec(
            name=self.name,
            kind=self.kind,
            level="L3",
            units=self.units,
            description=self.description,
            components=self.components,
            inputs=list(self.inputs),
        )


class SampleArchive(BaseModel):
    """What ``helioport_sample_archive`` answers: a request the written sample satisfies.

    Attributes
    ----------
    source : the source key whose base URL is the sample's root.
    start, end, products, probes, mode, coords, options : the request.
    criteria : an event-search criterion the demo runs on the loaded sample.
    extra_sources : other sources the sample holds, source key -> folder below
        the sample's root laid out like that archive (THEMIS skymaps from
        UCalgary: ``{"themis_asi_skymap": "skymaps"}``).
    """

    model_config = ConfigDict(extra="forbid")

    source: str
    start: str
    end: str
    products: list[str]
    probes: list[str] | None = None
    mode: str | None = None
    coords: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    criteria: str | None = None
    extra_sources: dict[str, str] = Field(default_factory=dict)

    def base_urls(self, url_of: Callable[[str], str]) -> dict[str, str]:
        """``base_url=`` for :func:`helioport.load`: each source's URL, from the URL of a
        folder below the sample's root (``""`` is the root itself)."""
        return {self.source: url_of("")} | {k: url_of(v) for k, v in self.extra_sources.items()}

    def load_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`helioport.load` (without ``base_url``)."""
        kw: dict[str, Any] = {"start": self.start, "end": self.end, "products": self.products}
        for key in ("probes", "mode", "coords"):
            if getattr(self, key) is not None:
                kw[key] = getattr(self, key)
        kw.update(self.options)
        return kw
