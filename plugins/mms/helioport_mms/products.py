"""MMS products, the instruments and data rates behind them, and their CDF variables.

Product -> archive variable (``{p}`` probe ``mms1``..``mms4``, ``{r}`` the
instrument's data rate, ``{c}`` the frame)::

    dc_mag      FGM  {p}_fgm_b_{c}_{r}_l2            [N,4] x,y,z,tot  nT      gse gsm dmpa bcs
    dc_elec     EDP  {p}_edp_dce_{c}_{r}_l2          [N,3] x,y,z      mV/m    gse dsl
    i_dens      FPI  {p}_dis_numberdensity_{r}       [N]              cm^-3
    e_dens      FPI  {p}_des_numberdensity_{r}       [N]              cm^-3
    i_bulkv     FPI  {p}_dis_bulkv_{c}_{r}           [N,3] x,y,z      km/s    gse dbcs
    e_bulkv     FPI  {p}_des_bulkv_{c}_{r}           [N,3] x,y,z      km/s    gse dbcs
    i_temppara  FPI  {p}_dis_temppara_{r}            [N]              eV
    i_tempperp  FPI  {p}_dis_tempperp_{r}            [N]              eV
    e_temppara  FPI  {p}_des_temppara_{r}            [N]              eV
    e_tempperp  FPI  {p}_des_tempperp_{r}            [N]              eV
    i_prestens  FPI  {p}_dis_prestensor_{c}_{r}      [N,3,3]          nPa     gse dbcs
    i_temptens  FPI  {p}_dis_temptensor_{c}_{r}      [N,3,3]          eV      gse dbcs
    i_heatq     FPI  {p}_dis_heatq_{c}_{r}           [N,3] x,y,z      mW/m^2  gse dbcs
    i_omniflux  FPI  {p}_dis_energyspectr_omni_{r}   [N,32] + energy  keV/(cm^2 s sr keV)
    i_energy    FPI  {p}_dis_energy_{r}              [N,32]           eV
    i_dist      FPI  {p}_dis_dist_{r}                [N,32,16,32]     s^3/cm^6
    e_dist      FPI  {p}_des_dist_{r}                [N,32,16,32]     s^3/cm^6
    i_aspoc     ASPOC {p}_aspoc_ionc_l2              [N]              uA
    sc_pos      MEC  {p}_mec_r_{c}                   [N,3] x,y,z      km      gse gsm sm geo eci gse2000
    sc_att      MEC  {p}_mec_quat_eci_to_{q}         [N,4] x,y,z,w    -       q = option quat_frame

Modes are data rates. The request's ``mode`` maps to each instrument's own
rate (:data:`RATES`), because the instruments do not share rate names:

=========  =====  =====  =====  =====  =====
mode       FGM    EDP    FPI    ASPOC  MEC
=========  =====  =====  =====  =====  =====
srvy       srvy   fast   fast   srvy   srvy
fast       srvy   fast   fast   srvy   srvy
brst       brst   brst   brst   --     srvy
=========  =====  =====  =====  =====  =====

``low_res`` is an alias of ``srvy`` and ``high_res`` of ``brst`` (the AIDApy
names). ASPOC has survey data only. MEC survey ephemeris (30 s) is used in
every mode: burst MEC files exist, but the survey files cover burst intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helioport.errors import InvalidRequestError
from helioport.schema import MissionSpec, ProductSpec, Request, SourceSpec

__all__ = [
    "BY_NAME",
    "MISSION",
    "MODES",
    "MODE_ALIASES",
    "PROBES",
    "PRODUCTS",
    "QUAT_FRAMES",
    "RATES",
    "SDC_TEAM_URL",
    "SDC_URL",
    "SPDF_URL",
    "Product",
    "archive_rate",
    "frame",
    "mission_spec",
    "product",
]

MISSION = "mms"
PROBES = ["mms1", "mms2", "mms3", "mms4"]
MODES = ["srvy", "fast", "brst"]
MODE_ALIASES = {"low_res": "srvy", "high_res": "brst", "survey": "srvy", "burst": "brst"}

SPDF_URL = "https://spdf.gsfc.nasa.gov/pub/data/mms/"
SDC_URL = "https://lasp.colorado.edu/mms/sdc/public/files/api/v1/"
SDC_TEAM_URL = "https://lasp.colorado.edu/mms/sdc/sitl/files/api/v1/"

#: request mode -> the instrument's data rate in file names (absent: not available)
RATES: dict[str, dict[str, str]] = {
    "fgm": {"srvy": "srvy", "fast": "srvy", "brst": "brst"},
    "edp": {"srvy": "fast", "fast": "fast", "brst": "brst"},
    "fpi": {"srvy": "fast", "fast": "fast", "brst": "brst"},
    "aspoc": {"srvy": "srvy", "fast": "srvy"},
    "mec": {"srvy": "srvy", "fast": "srvy", "brst": "srvy"},
}

FGM_FRAMES = ["gse", "gsm", "dmpa", "bcs"]
EDP_FRAMES = ["gse", "dsl"]
FPI_FRAMES = ["gse", "dbcs"]
MEC_FRAMES = ["gse", "gsm", "sm", "geo", "eci", "gse2000"]
#: frames of the MEC quaternions ``{p}_mec_quat_eci_to_{frame}``
QUAT_FRAMES = ["gse", "gsm", "sm", "geo", "gse2000", "bcs", "dbcs", "dmpa", "smpa", "dsl", "ssl"]
ALL_FRAMES = list(dict.fromkeys(FGM_FRAMES + EDP_FRAMES + FPI_FRAMES + MEC_FRAMES + QUAT_FRAMES))

XYZ = ["x", "y", "z"]


@dataclass(frozen=True)
class Product:
    """A product and where it lives.

    Attributes
    ----------
    spec : the :class:`ProductSpec` listed to users.
    instrument : ``fgm``, ``edp``, ``fpi``, ``aspoc`` or ``mec`` (SDC ``instrument_id``).
    descriptor : file descriptor (``dis-moms``, ``dce``); ``"{mec}"`` is the MEC
        ephemeris type, chosen by the option ``mec_datatype``.
    variable : the CDF variable, a template over ``p`` (probe), ``r`` (rate), ``c`` (frame).
    layout : how the variable becomes a DataArray (``scalar``, ``vector``,
        ``tensor``, ``spectrum``, ``table``, ``dist``, ``quat``).
    fallbacks : other templates tried, in order, when a file lacks ``variable``.
    """

    spec: ProductSpec
    instrument: str
    descriptor: str | None
    variable: str
    layout: str
    fallbacks: tuple[str, ...] = field(default_factory=tuple)


def _fpi(
    name: str,
    species: str,
    what: str,
    layout: str,
    kind: str,
    units: str,
    desc: str,
    framed: bool = False,
    components: list[str] | None = None,
    moms: bool = True,
) -> Product:
    frames = FPI_FRAMES if framed else []
    var = f"{{p}}_{species}_{what}_{{c}}_{{r}}" if framed else f"{{p}}_{species}_{what}_{{r}}"
    return Product(
        spec=ProductSpec(
            name=name,
            kind=kind,
            units=units,
            description=desc,
            instrument="fpi",
            components=components,
            coords=frames,
            modes=list(RATES["fpi"]),
        ),
        instrument="fpi",
        descriptor=f"{species}-{'moms' if moms else 'dist'}",
        variable=var,
        layout=layout,
    )


PRODUCTS: list[Product] = [
    Product(
        spec=ProductSpec(
            name="dc_mag",
            kind="vector",
            units="nT",
            instrument="fgm",
            description="DC magnetic field (FGM L2): x, y, z and magnitude",
            components=XYZ + ["tot"],
            coords=FGM_FRAMES,
            modes=list(RATES["fgm"]),
        ),
        instrument="fgm",
        descriptor=None,
        variable="{p}_fgm_b_{c}_{r}_l2",
        layout="vector",
    ),
    Product(
        spec=ProductSpec(
            name="dc_elec",
            kind="vector",
            units="mV/m",
            instrument="edp",
            description="DC electric field (EDP DCE L2)",
            components=XYZ,
            coords=EDP_FRAMES,
            modes=list(RATES["edp"]),
        ),
        instrument="edp",
        descriptor="dce",
        variable="{p}_edp_dce_{c}_{r}_l2",
        layout="vector",
    ),
    _fpi(
        "i_dens",
        "dis",
        "numberdensity",
        "scalar",
        "scalar",
        "cm^-3",
        "Ion number density (FPI DIS)",
    ),
    _fpi(
        "e_dens",
        "des",
        "numberdensity",
        "scalar",
        "scalar",
        "cm^-3",
        "Electron number density (FPI DES)",
    ),
    _fpi(
        "i_bulkv",
        "dis",
        "bulkv",
        "vector",
        "vector",
        "km/s",
        "Ion bulk velocity (FPI DIS)",
        True,
        XYZ,
    ),
    _fpi(
        "e_bulkv",
        "des",
        "bulkv",
        "vector",
        "vector",
        "km/s",
        "Electron bulk velocity (FPI DES)",
        True,
        XYZ,
    ),
    _fpi(
        "i_temppara", "dis", "temppara", "scalar", "scalar", "eV", "Ion temperature parallel to B"
    ),
    _fpi(
        "i_tempperp",
        "dis",
        "tempperp",
        "scalar",
        "scalar",
        "eV",
        "Ion temperature perpendicular to B",
    ),
    _fpi(
        "e_temppara",
        "des",
        "temppara",
        "scalar",
        "scalar",
        "eV",
        "Electron temperature parallel to B",
    ),
    _fpi(
        "e_tempperp",
        "des",
        "tempperp",
        "scalar",
        "scalar",
        "eV",
        "Electron temperature perpendicular to B",
    ),
    _fpi(
        "i_prestens",
        "dis",
        "prestensor",
        "tensor",
        "tensor",
        "nPa",
        "Ion pressure tensor (3x3)",
        True,
        XYZ,
    ),
    _fpi(
        "i_temptens",
        "dis",
        "temptensor",
        "tensor",
        "tensor",
        "eV",
        "Ion temperature tensor (3x3)",
        True,
        XYZ,
    ),
    _fpi(
        "i_heatq", "dis", "heatq", "vector", "vector", "mW/m^2", "Ion heat flux vector", True, XYZ
    ),
    _fpi(
        "i_omniflux",
        "dis",
        "energyspectr_omni",
        "spectrum",
        "spectrum",
        "keV/(cm^2 s sr keV)",
        "Ion omni-directional differential energy flux, with the energy table as a coordinate",
    ),
    _fpi(
        "i_energy",
        "dis",
        "energy",
        "table",
        "spectrum",
        "eV",
        "Ion energy table (per record, 32 steps)",
    ),
    _fpi(
        "i_dist",
        "dis",
        "dist",
        "dist",
        "distribution",
        "s^3/cm^6",
        "Ion phase-space density (time, phi, theta, energy)",
        moms=False,
    ),
    _fpi(
        "e_dist",
        "des",
        "dist",
        "dist",
        "distribution",
        "s^3/cm^6",
        "Electron phase-space density (time, phi, theta, energy)",
        moms=False,
    ),
    Product(
        spec=ProductSpec(
            name="i_aspoc",
            kind="scalar",
            units="uA",
            instrument="aspoc",
            description="ASPOC total ion beam current",
            modes=list(RATES["aspoc"]),
        ),
        instrument="aspoc",
        descriptor=None,
        variable="{p}_aspoc_ionc_l2",
        layout="scalar",
        fallbacks=("{p}_aspoc_ionc",),
    ),
    Product(
        spec=ProductSpec(
            name="sc_pos",
            kind="vector",
            units="km",
            instrument="mec",
            description="Spacecraft position (MEC ephemeris)",
            components=XYZ,
            coords=MEC_FRAMES,
            modes=list(RATES["mec"]),
        ),
        instrument="mec",
        descriptor="{mec}",
        variable="{p}_mec_r_{c}",
        layout="vector",
    ),
    Product(
        spec=ProductSpec(
            name="sc_att",
            kind="vector",
            units="1",
            instrument="mec",
            description="Attitude quaternion ECI -> frame (scalar last); frame from option "
            "quat_frame (default: coords)",
            components=XYZ + ["w"],
            coords=QUAT_FRAMES,
            modes=list(RATES["mec"]),
        ),
        instrument="mec",
        descriptor="{mec}",
        variable="{p}_mec_quat_eci_to_{c}",
        layout="quat",
    ),
]
BY_NAME: dict[str, Product] = {p.spec.name: p for p in PRODUCTS}

MEC_DATATYPES = ["epht89d", "epht89q", "ephts04d"]


def product(name: str) -> Product:
    """The :class:`Product` called ``name``; :class:`InvalidRequestError` listing the valid ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise InvalidRequestError(
            f"MMS has no product {name!r}; valid products: {', '.join(BY_NAME)}"
        ) from None


def archive_rate(prod: Product, mode: str | None) -> str:
    """The data rate in the file names of ``prod``'s instrument for the request's ``mode``.

    Examples
    --------
    >>> archive_rate(BY_NAME["i_dens"], "srvy"), archive_rate(BY_NAME["dc_mag"], "fast")
    ('fast', 'srvy')
    """
    rates = RATES[prod.instrument]
    mode = MODE_ALIASES.get(mode or "srvy", mode or "srvy")
    if mode not in rates:
        raise InvalidRequestError(
            f"MMS {prod.instrument.upper()} has no {mode!r} data, so {prod.spec.name!r} cannot be loaded "
            f"in mode {mode!r}; valid modes for it: {', '.join(rates)}"
        )
    return rates[mode]


def frame(prod: Product, request: Request) -> str | None:
    """The coordinate frame of ``prod`` for ``request`` (``None`` for frame-less products).

    ``sc_att`` takes the option ``quat_frame`` (default: the request's coords).
    Raises :class:`InvalidRequestError` naming the frames the archive has.
    """
    frames = prod.spec.coords
    if not frames:
        return None
    if prod.layout == "quat":
        wanted = str(request.options.get("quat_frame") or request.coords or "gse").lower()
        what = "quat_frame"
    else:
        wanted = (request.coords or "gse").lower()
        what = "coords"
    if wanted not in frames:
        raise InvalidRequestError(
            f"MMS product {prod.spec.name!r} has no {what}={wanted!r} in the archive; "
            f"valid: {', '.join(frames)}"
        )
    return wanted


def mec_datatype(request: Request) -> str:
    """The MEC ephemeris type (option ``mec_datatype``, default ``epht89d``)."""
    value = str(request.options.get("mec_datatype", "epht89d")).lower()
    if value not in MEC_DATATYPES:
        raise InvalidRequestError(
            f"mec_datatype={value!r} is not an MEC ephemeris type; valid: {', '.join(MEC_DATATYPES)}"
        )
    return value


def descriptor(prod: Product, request: Request) -> str | None:
    """The file descriptor of ``prod`` (the MEC one depends on the request)."""
    if prod.descriptor == "{mec}":
        return mec_datatype(request)
    return prod.descriptor


def variable_names(prod: Product, probe: str, rate: str, frame_: str | None) -> list[str]:
    """The CDF variable of ``prod`` and its fallbacks, filled in.

    Examples
    --------
    >>> variable_names(BY_NAME["dc_mag"], "mms1", "brst", "gsm")
    ['mms1_fgm_b_gsm_brst_l2']
    """
    return [t.format(p=probe, r=rate, c=frame_ or "") for t in (prod.variable,) + prod.fallbacks]


# request options (``helioport.load("mms", ..., source="spdf")``); see helioport_mms.plugin
OPTIONS = {
    "source": "'sdc' (default) or 'spdf'; a mirror for key 'mms' selects 'spdf'",
    "team": "None (team API when credentials are set), True or False",
    "quat_frame": "frame of sc_att (default: coords)",
    "mec_datatype": "MEC ephemeris type: epht89d (default), epht89q, ephts04d",
    "max_burst": "longest burst interval assumed, seconds (default 3600)",
    "positions": "True: with dc_mag, also the position the FGM files carry",
}


def mission_spec() -> MissionSpec:
    """The :class:`MissionSpec` of MMS: probes, frames, modes, products and sources."""
    return MissionSpec(
        name=MISSION,
        title="Magnetospheric Multiscale (MMS)",
        distribution="helioport-mms",
        probes=PROBES,
        default_probes=["mms1"],
        coords=ALL_FRAMES,
        default_coords="gse",
        modes=MODES,
        default_mode="srvy",
        mode_aliases=MODE_ALIASES,
        products=[p.spec for p in PRODUCTS],
        options=OPTIONS,
        sources=[
            SourceSpec(
                key="mms",
                url=SPDF_URL,
                env="HELIOPORT_MMS_URL",
                description="SPDF directory tree mms{p}/{instr}/{rate}/{level}[/{desc}]/%Y/%m[/%d]/; "
                "setting a mirror for it makes it the source",
            ),
            SourceSpec(
                key="mms_sdc",
                url=SDC_URL,
                env="HELIOPORT_MMS_SDC_URL",
                description="LASP SDC public API (file_info/science, download/science); the default",
            ),
            SourceSpec(
                key="mms_sdc_team",
                url=SDC_TEAM_URL,
                env="HELIOPORT_MMS_SDC_TEAM_URL",
                description="LASP SDC team API, used with HELIOPORT_MMS_USER/PASSWORD credentials",
            ),
        ],
    )
