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
                FGM  {p}_fgm_r_{c}_{r}_l2            [N,4] x,y,z(,r)  km      gse gsm (option positions="fgm")
    sc_att      MEC  {p}_mec_quat_eci_to_{q}         [N,4] x,y,z,w    -       q = option quat_frame

Modes are data rates. The request's ``mode`` maps to each instrument's own
rate (:data:`RATES`), because the instruments do not share rate names:

=========  =====  =====  =====  =====  =====
mode       FGM    EDP    FPI    ASPOC  MEC
=========  =====  =====  =====  =====  =====
srvy       srvy   fast   fast   srvy   srvy
fast       srvy   fast   fast   srvy   srvy
brst       brst   brst   brst   --     brst*
=========  =====  =====  =====  =====  =====

``low_res`` is an alias of ``srvy`` and ``high_res`` of ``brst`` (the AIDApy
names). ASPOC has survey data only. (*) In burst mode ``sc_pos`` and ``sc_att``
come from the MEC burst files (``mms1_mec_brst_l2_epht89d_20160301002916_v2.1.0.cdf``,
30 ms, the same variables as the survey files) where the archive has them for
the request, and otherwise from the survey files (30 s), stated in the attrs
(``data_rate`` ``srvy``, ``rate_fallback``). With the option ``positions="fgm"``,
``sc_pos`` is the position the FGM files themselves carry (30 s, GSE or GSM),
read from the files ``dc_mag`` uses, so nothing more is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helioport import heliocloud
from helioport.schema import MissionSpec, OptionSpec, ProductSpec, Request, SourceSpec
from helioport.standard import XYZ, standard

__all__ = [
    "BY_NAME",
    "MISSION",
    "MODES",
    "MODE_ALIASES",
    "POSITION_SOURCES",
    "PROBES",
    "PRODUCTS",
    "QUAT_FRAMES",
    "RATES",
    "RATE_FALLBACKS",
    "SDC_TEAM_URL",
    "SDC_URL",
    "SOURCES",
    "SPDF_URL",
    "Product",
    "archive_rate",
    "mission_spec",
    "position_source",
]

MISSION = "mms"
PROBES = ["mms1", "mms2", "mms3", "mms4"]
MODES = ["srvy", "fast", "brst"]
MODE_ALIASES = {"low_res": "srvy", "high_res": "brst", "survey": "srvy", "burst": "brst"}

#: where files are found: the LASP SDC API, the SPDF tree or HelioCloud (option ``source``)
SOURCES = ["sdc", "spdf", heliocloud.KEY]
SPDF_URL = "https://spdf.gsfc.nasa.gov/pub/data/mms/"
SDC_URL = "https://lasp.colorado.edu/mms/sdc/public/files/api/v1/"
SDC_TEAM_URL = "https://lasp.colorado.edu/mms/sdc/sitl/files/api/v1/"

#: request mode -> the instrument's data rate in file names (absent: not available)
RATES: dict[str, dict[str, str]] = {
    "fgm": {"srvy": "srvy", "fast": "srvy", "brst": "brst"},
    "edp": {"srvy": "fast", "fast": "fast", "brst": "brst"},
    "fpi": {"srvy": "fast", "fast": "fast", "brst": "brst"},
    "aspoc": {"srvy": "srvy", "fast": "srvy"},
    "mec": {"srvy": "srvy", "fast": "srvy", "brst": "brst"},
}
#: where a mode's files are missing, the data rate tried instead (MEC burst -> survey)
RATE_FALLBACKS: dict[str, dict[str, str]] = {"mec": {"brst": "srvy"}}
#: values of the option ``positions``: ``sc_pos`` from the MEC files, or from the FGM files
POSITION_SOURCES = ["mec", "fgm"]

FGM_FRAMES = ["gse", "gsm", "dmpa", "bcs"]
EDP_FRAMES = ["gse", "dsl"]
FPI_FRAMES = ["gse", "dbcs"]
MEC_FRAMES = ["gse", "gsm", "sm", "geo", "eci", "gse2000"]
#: frames of the MEC quaternions ``{p}_mec_quat_eci_to_{frame}``
QUAT_FRAMES = ["gse", "gsm", "sm", "geo", "gse2000", "bcs", "dbcs", "dmpa", "smpa", "dsl", "ssl"]
ALL_FRAMES = list(dict.fromkeys(FGM_FRAMES + EDP_FRAMES + FPI_FRAMES + MEC_FRAMES + QUAT_FRAMES))


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


def _product(
    name: str,
    instrument: str,
    descriptor: str | None,
    variable: str,
    layout: str,
    description: str,
    *,
    fallbacks: tuple[str, ...] = (),
    **spec: Any,
) -> Product:
    """A table row: the standard product ``name`` as MMS serves it."""
    return Product(
        spec=standard(
            name,
            description=description,
            instrument=instrument,
            modes=list(RATES[instrument]),
            **spec,
        ),
        instrument=instrument,
        descriptor=descriptor,
        variable=variable,
        layout=layout,
        fallbacks=fallbacks,
    )


def _fpi(name: str, what: str, layout: str, description: str, *, framed: bool = False) -> Product:
    """An FPI row: DIS (``i_``) or DES (``e_``) moments, or distributions (``*_dist``)."""
    species = "dis" if name.startswith("i_") else "des"
    kind = "dist" if what == "dist" else "moms"
    frame = "{c}_" if framed else ""
    return _product(
        name,
        "fpi",
        f"{species}-{kind}",
        f"{{p}}_{species}_{what}_{frame}{{r}}",
        layout,
        description,
        coords=FPI_FRAMES if framed else [],
    )


PRODUCTS: list[Product] = [
    _product(
        "dc_mag",
        "fgm",
        None,
        "{p}_fgm_b_{c}_{r}_l2",
        "vector",
        "DC magnetic field (FGM L2): x, y, z and magnitude",
        components=XYZ + ["tot"],
        coords=FGM_FRAMES,
    ),
    _product(
        "dc_elec",
        "edp",
        "dce",
        "{p}_edp_dce_{c}_{r}_l2",
        "vector",
        "DC electric field (EDP DCE L2)",
        coords=EDP_FRAMES,
    ),
    _fpi("i_dens", "numberdensity", "scalar", "Ion number density (FPI DIS)"),
    _fpi("e_dens", "numberdensity", "scalar", "Electron number density (FPI DES)"),
    _fpi("i_bulkv", "bulkv", "vector", "Ion bulk velocity (FPI DIS)", framed=True),
    _fpi("e_bulkv", "bulkv", "vector", "Electron bulk velocity (FPI DES)", framed=True),
    _fpi("i_temppara", "temppara", "scalar", "Ion temperature parallel to B"),
    _fpi("i_tempperp", "tempperp", "scalar", "Ion temperature perpendicular to B"),
    _fpi("e_temppara", "temppara", "scalar", "Electron temperature parallel to B"),
    _fpi("e_tempperp", "tempperp", "scalar", "Electron temperature perpendicular to B"),
    _fpi("i_prestens", "prestensor", "tensor", "Ion pressure tensor (3x3)", framed=True),
    _fpi("i_temptens", "temptensor", "tensor", "Ion temperature tensor (3x3)", framed=True),
    _fpi("i_heatq", "heatq", "vector", "Ion heat flux vector", framed=True),
    _fpi(
        "i_omniflux",
        "energyspectr_omni",
        "spectrum",
        "Ion omni-directional differential energy flux, with the energy table as a coordinate",
    ),
    _fpi("i_energy", "energy", "table", "Ion energy table (per record, 32 steps)"),
    _fpi("i_dist", "dist", "dist", "Ion phase-space density (time, phi, theta, energy)"),
    _fpi("e_dist", "dist", "dist", "Electron phase-space density (time, phi, theta, energy)"),
    _product(
        "i_aspoc",
        "aspoc",
        None,
        "{p}_aspoc_ionc_l2",
        "scalar",
        "ASPOC total ion beam current",
        fallbacks=("{p}_aspoc_ionc",),
    ),
    _product(
        "sc_pos",
        "mec",
        "{mec}",
        "{p}_mec_r_{c}",
        "vector",
        "Spacecraft position (MEC ephemeris)",
        coords=MEC_FRAMES,
    ),
    _product(
        "sc_att",
        "mec",
        "{mec}",
        "{p}_mec_quat_eci_to_{c}",
        "quat",
        "Attitude quaternion ECI -> frame (scalar last); frame from option quat_frame "
        "(default: coords)",
        coords=QUAT_FRAMES,
        frame_option="quat_frame",
    ),
]

BY_NAME: dict[str, Product] = {p.spec.name: p for p in PRODUCTS}

MEC_DATATYPES = ["epht89d", "epht89q", "ephts04d"]


def archive_rate(prod: Product, mode: str | None) -> str:
    """The data rate in the file names of ``prod``'s instrument for the request's ``mode``.

    The core has already checked that the product exists in the mode (its spec's ``modes``).

    Examples
    --------
    >>> archive_rate(BY_NAME["i_dens"], "srvy"), archive_rate(BY_NAME["dc_mag"], "fast")
    ('fast', 'srvy')
    """
    mode = mode or "srvy"
    return RATES[prod.instrument][MODE_ALIASES.get(mode, mode)]


def position_source(request: Request) -> str:
    """``"fgm"`` when the option ``positions="fgm"`` asks for the FGM files' positions, else ``"mec"``.

    Examples
    --------
    >>> position_source(Request(mission="mms", start="2015-10-16", end="2015-10-17",
    ...                         products=["sc_pos"], options={"positions": "FGM"}))
    'fgm'
    """
    value = request.options.get("positions")
    return "fgm" if isinstance(value, str) and value.strip().lower() == "fgm" else "mec"


def descriptor(prod: Product, request: Request) -> str | None:
    """The file descriptor of ``prod`` (the MEC one is the option ``mec_datatype``)."""
    if prod.descriptor == "{mec}":
        return str(request.options.get("mec_datatype", MEC_DATATYPES[0])).lower()
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
    "source": OptionSpec(
        description="'sdc' (default), 'spdf' or 'heliocloud' (HelioCloud's copy of CDAWeb, "
        "HELIOPORT_HELIOCLOUD_URL); a mirror for key 'mms' selects 'spdf'",
        choices=SOURCES,
    ),
    "team": OptionSpec(description="None (team API when credentials are set), True or False"),
    "quat_frame": OptionSpec(description="frame of sc_att (default: coords)"),
    "mec_datatype": OptionSpec(
        description="MEC ephemeris type: epht89d (default), epht89q, ephts04d",
        choices=MEC_DATATYPES,
        default=MEC_DATATYPES[0],
    ),
    "max_burst": OptionSpec(description="longest burst interval assumed, seconds (default 3600)"),
    "positions": OptionSpec(
        description="'mec' (default): sc_pos from the MEC ephemeris; 'fgm': sc_pos from the FGM "
        "files' own positions (gse/gsm, 30 s, nothing more downloaded; j_curl uses them); "
        "True: with dc_mag, also the FGM files' position as dc_mag_pos",
        choices=[*POSITION_SOURCES, True, False],
    ),
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
            heliocloud.SOURCE,
        ],
    )
