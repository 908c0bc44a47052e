"""OMNI as a table: its files (templates), products and the variables behind each.

Files (below the base ``https://spdf.gsfc.nasa.gov/pub/data/omni/``), :data:`FILES`:

- ``1min``: HRO CDFs ``omni_cdaweb/hro_1min/%Y/omni_hro_1min_%Y%m01_v??.cdf``
- ``5min``: HRO CDFs ``omni_cdaweb/hro_5min/%Y/omni_hro_5min_%Y%m01_v??.cdf``
- ``hourly``: the OMNI2 ASCII yearly files ``low_res_omni/omni2_%Y.dat`` (default),
  or, with ``hourly_source="cdf"``, ``omni_cdaweb/hourly/%Y/omni2_h0_mrg1hr_%Y%m01_v??.cdf``
  (files dated 0101 and 0701).

Sources (option ``source``): ``spdf`` (the SPDF tree above, default) or
``heliocloud`` (the CDF files through the HelioCloud registries of their
CDAWeb datasets, :data:`FileTemplate.dataset <helioport.templates.FileTemplate>`;
the OMNI2 ASCII files are not in CDAWeb, so hourly data then needs
``hourly_source="cdf"``).
"""

from __future__ import annotations

from dataclasses import dataclass

from helioport import heliocloud
from helioport.schema import MissionSpec, OptionSpec, ProductSpec, SourceSpec
from helioport.standard import STANDARD, XYZ, standard
from helioport.templates import FileTemplate

BASE_URL = "https://spdf.gsfc.nasa.gov/pub/data/omni/"
MODES = ["1min", "5min", "hourly"]
HRO = ["1min", "5min"]
XYZT = ["x", "y", "z", "tot"]
SOURCE = "omni"
HOURLY_SOURCES = ["ascii", "cdf"]
#: values of the option ``source``: the SPDF tree, or HelioCloud's copy of CDAWeb
SOURCES = ["spdf", heliocloud.KEY]

#: the files of each (mode, file family): ``hro`` HRO CDFs, ``h0`` hourly CDFs, ``ascii`` OMNI2
FILES: dict[str, FileTemplate] = {
    "hro": FileTemplate(
        SOURCE,
        "omni_cdaweb/hro_{mode}/%Y/omni_hro_{mode}_%Y%m01_v{version}.cdf",
        "month",
        dataset="OMNI_HRO_{mode}",
    ),
    "h0": FileTemplate(
        SOURCE,
        "omni_cdaweb/hourly/%Y/omni2_h0_mrg1hr_%Y%m01_v{version}.cdf",
        "halfyear",
        dataset="OMNI2_H0_MRG1HR",
    ),
    "ascii": FileTemplate(SOURCE, "low_res_omni/omni2_%Y.dat", "year"),
}
#: the dataset name of each file family, stated in the attrs (CDAWeb's IDs for the CDFs)
DATASETS = {
    "hro": FILES["hro"].dataset,
    "h0": FILES["h0"].dataset,
    "ascii": "OMNI2 hourly (low_res_omni)",
}


@dataclass(frozen=True)
class Product:
    """A product and its variables per source: ``hro`` (CDF), ``ascii`` (OMNI2), ``h0`` (hourly CDF).

    For vectors each source maps a frame to ``[x, y, z, tot]`` variable names;
    for scalars the value is one name. ``modes`` restricts where it exists.
    """

    spec: ProductSpec
    hro: dict[str, list[str]] | str | None = None
    ascii: dict[str, list[str]] | str | None = None
    h0: dict[str, list[str]] | str | None = None
    scale: float = 1.0  # CDF value * scale = physical value (Kp is stored x10)


def _spec(name: str, kind: str, units: str, description: str, **fields) -> ProductSpec:
    """A standard product where the name is one (OMNI's own units), else a plain spec."""
    if name in STANDARD:
        return standard(name, units=units, description=description, **fields)
    return ProductSpec(name=name, kind=kind, units=units, description=description, **fields)


def _scalar(name, units, desc, hro=None, ascii=None, h0=None, instrument="omni", **kw) -> Product:
    modes = [m for m, have in (("1min", hro), ("5min", hro), ("hourly", ascii or h0)) if have]
    spec = _spec(name, "scalar", units, desc, instrument=instrument, modes=modes)
    return Product(spec=spec, hro=hro, ascii=ascii, h0=h0, **kw)


def _vector(name, units, desc, instrument, components, **files) -> Product:
    """A GSE vector of the HRO files only, its x, y, z (and magnitude) variables in ``hro``."""
    spec = _spec(
        name,
        "vector",
        units,
        desc,
        instrument=instrument,
        components=components,
        coords=["gse"],
        modes=HRO,
    )
    return Product(spec=spec, **files)


PRODUCTS: list[Product] = [
    Product(
        spec=standard(
            "dc_mag",
            description="Interplanetary magnetic field at the bow shock nose (x, y, z and |B| average)",
            instrument="imf",
            components=XYZT,
            coords=["gse", "gsm"],
            modes=MODES,
        ),
        hro={
            "gse": ["BX_GSE", "BY_GSE", "BZ_GSE", "F"],
            "gsm": ["BX_GSE", "BY_GSM", "BZ_GSM", "F"],
        },
        ascii={
            "gse": ["bx_gse", "by_gse", "bz_gse", "b_mag_avg"],
            "gsm": ["bx_gse", "by_gsm", "bz_gsm", "b_mag_avg"],
        },
        h0={
            "gse": ["BX_GSE", "BY_GSE", "BZ_GSE", "ABS_B"],
            "gsm": ["BX_GSE", "BY_GSM", "BZ_GSM", "ABS_B"],
        },
    ),
    _vector(
        "i_bulkv",
        "km/s",
        "Solar wind (proton) bulk velocity, GSE, and flow speed",
        "plasma",
        XYZT,
        hro={"gse": ["Vx", "Vy", "Vz", "flow_speed"]},
    ),
    _vector(
        "sc_pos",
        "Re",
        "Position of the spacecraft the data come from, GSE",
        "position",
        XYZ,
        hro={"gse": ["x", "y", "z"]},
    ),
    _vector(
        "bsn_pos",
        "Re",
        "Bow shock nose location the data are shifted to, GSE",
        "position",
        XYZ,
        hro={"gse": ["BSN_x", "BSN_y", "BSN_z"]},
    ),
    _scalar(
        "i_dens",
        "cm^-3",
        "Solar wind proton density",
        hro="proton_density",
        ascii="n_proton",
        h0="N",
    ),
    _scalar("i_temp", "K", "Solar wind proton temperature", hro="T", ascii="t_proton", h0="T"),
    _scalar(
        "i_speed", "km/s", "Solar wind flow speed", hro="flow_speed", ascii="flow_speed", h0="V"
    ),
    _scalar(
        "flow_pressure",
        "nPa",
        "Solar wind flow pressure",
        hro="Pressure",
        ascii="flow_pressure",
        h0="Pressure",
    ),
    _scalar("e_field", "mV/m", "Convective electric field -V Bz(GSM)", hro="E", ascii="e_field"),
    _scalar("plasma_beta", "1", "Solar wind plasma beta", hro="Beta", ascii="plasma_beta"),
    _scalar("alfven_mach", "1", "Alfven Mach number", hro="Mach_num", ascii="alfven_mach"),
    _scalar(
        "magnetosonic_mach",
        "1",
        "Magnetosonic Mach number",
        hro="Mgs_mach_num",
        ascii="magnetosonic_mach",
    ),
    _scalar("na_np", "1", "Alpha/proton density ratio", ascii="na_np"),
    _scalar("ae", "nT", "AE index", hro="AE_INDEX", ascii="ae", h0="AE", instrument="indices"),
    _scalar(
        "al", "nT", "AL index", hro="AL_INDEX", ascii="al", h0="AL_INDEX", instrument="indices"
    ),
    _scalar(
        "au", "nT", "AU index", hro="AU_INDEX", ascii="au", h0="AU_INDEX", instrument="indices"
    ),
    _scalar("sym_h", "nT", "SYM-H index", hro="SYM_H", instrument="indices"),
    _scalar("sym_d", "nT", "SYM-D index", hro="SYM_D", instrument="indices"),
    _scalar("asy_h", "nT", "ASY-H index", hro="ASY_H", instrument="indices"),
    _scalar("asy_d", "nT", "ASY-D index", hro="ASY_D", instrument="indices"),
    _scalar(
        "pc_n",
        "1",
        "Polar cap (North) index",
        hro="PC_N_INDEX",
        ascii="pc_n",
        h0="PC_N_INDEX",
        instrument="indices",
    ),
    _scalar("kp", "1", "Kp index (3+ = 3.3)", ascii="kp", h0="KP", instrument="indices", scale=0.1),
    _scalar("dst", "nT", "Dst index", ascii="dst", h0="DST", instrument="indices"),
    _scalar("ap", "nT", "ap index", ascii="ap", h0="AP_INDEX", instrument="indices"),
    _scalar(
        "f10_7",
        "sfu",
        "F10.7 solar radio flux",
        ascii="f10_7",
        h0="F10_INDEX",
        instrument="indices",
    ),
    _scalar("sunspot_r", "1", "Sunspot number", ascii="sunspot_r", h0="R", instrument="indices"),
    _scalar(
        "proton_flux_1mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 1 MeV",
        ascii="proton_flux_1mev",
        h0="PR-FLX_1",
        instrument="particles",
    ),
    _scalar(
        "proton_flux_10mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 10 MeV",
        hro="PR-FLX_10",
        ascii="proton_flux_10mev",
        h0="PR-FLX_10",
        instrument="particles",
    ),
    _scalar(
        "proton_flux_30mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 30 MeV",
        hro="PR-FLX_30",
        ascii="proton_flux_30mev",
        h0="PR-FLX_30",
        instrument="particles",
    ),
    _scalar(
        "proton_flux_60mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 60 MeV",
        hro="PR-FLX_60",
        ascii="proton_flux_60mev",
        h0="PR-FLX_60",
        instrument="particles",
    ),
]


def _column(name: str, column: str, units: str, desc: str, instrument: str, **files) -> Product:
    """A product of one OMNI2 hourly column (:mod:`.ascii`), its name snake_case."""
    return _scalar(name, units, desc, ascii=column, instrument=instrument, **files)


#: the rest of the OMNI2 hourly columns, so that ``all`` in hourly mode offers all 55
#: (year, day and hour make the time): spacecraft IDs and point counts, field angles and
#: the GSE/GSM components dc_mag leaves out in the asked frame, the standard deviations,
#: flow angles, the 2 and 4 MeV proton fluxes and the magnetospheric flag
COLUMN_PRODUCTS: list[Product] = [
    _column("bartels_rotation", "bartels_rotation", "1", "Bartels rotation number", "omni"),
    _column(
        "imf_sc_id",
        "imf_sc_id",
        "1",
        "ID of the IMF spacecraft (e.g. 51 Wind, 71 ACE; see omni2.text)",
        "imf",
    ),
    _column(
        "sw_plasma_sc_id",
        "sw_plasma_sc_id",
        "1",
        "ID of the solar wind plasma spacecraft (e.g. 52 Wind, 71 ACE; see omni2.text)",
        "plasma",
    ),
    _column(
        "imf_points", "imf_points", "1", "Number of fine-scale points in the IMF averages", "imf"
    ),
    _column(
        "plasma_points",
        "plasma_points",
        "1",
        "Number of fine-scale points in the plasma averages",
        "plasma",
    ),
    _column(
        "b_vec_mag",
        "b_vec_mag",
        "nT",
        "Magnitude of the average field vector sqrt(<Bx>^2 + <By>^2 + <Bz>^2)",
        "imf",
    ),
    _column("b_latitude", "b_lat", "deg", "Latitude angle of the average field vector, GSE", "imf"),
    _column(
        "b_longitude", "b_long", "deg", "Longitude angle of the average field vector, GSE", "imf"
    ),
    _column("by_gse", "by_gse", "nT", "IMF By, GSE", "imf", hro="BY_GSE", h0="BY_GSE"),
    _column("bz_gse", "bz_gse", "nT", "IMF Bz, GSE", "imf", hro="BZ_GSE", h0="BZ_GSE"),
    _column("by_gsm", "by_gsm", "nT", "IMF By, GSM", "imf", hro="BY_GSM", h0="BY_GSM"),
    _column("bz_gsm", "bz_gsm", "nT", "IMF Bz, GSM", "imf", hro="BZ_GSM", h0="BZ_GSM"),
    _column(
        "sigma_b_mag",
        "sigma_b_mag",
        "nT",
        "RMS standard deviation of the field magnitude average",
        "imf",
    ),
    _column("sigma_b", "sigma_b", "nT", "RMS standard deviation of the field vector", "imf"),
    _column("sigma_bx", "sigma_bx", "nT", "RMS standard deviation of Bx, GSE", "imf"),
    _column("sigma_by", "sigma_by", "nT", "RMS standard deviation of By, GSE", "imf"),
    _column("sigma_bz", "sigma_bz", "nT", "RMS standard deviation of Bz, GSE", "imf"),
    _column(
        "flow_longitude",
        "flow_long",
        "deg",
        "Plasma flow longitude angle (quasi-GSE, positive from the west)",
        "plasma",
    ),
    _column(
        "flow_latitude",
        "flow_lat",
        "deg",
        "Plasma flow latitude angle (GSE, positive north)",
        "plasma",
    ),
    _column("sigma_t", "sigma_t", "K", "Standard deviation of the proton temperature", "plasma"),
    _column("sigma_n", "sigma_n", "cm^-3", "Standard deviation of the proton density", "plasma"),
    _column("sigma_v", "sigma_v", "km/s", "Standard deviation of the flow speed", "plasma"),
    _column(
        "sigma_flow_longitude",
        "sigma_phi_v",
        "deg",
        "Standard deviation of the flow longitude angle",
        "plasma",
    ),
    _column(
        "sigma_flow_latitude",
        "sigma_theta_v",
        "deg",
        "Standard deviation of the flow latitude angle",
        "plasma",
    ),
    _column(
        "sigma_na_np", "sigma_na_np", "1", "Standard deviation of the alpha/proton ratio", "plasma"
    ),
    _column(
        "proton_flux_2mev",
        "proton_flux_2mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 2 MeV",
        "particles",
    ),
    _column(
        "proton_flux_4mev",
        "proton_flux_4mev",
        "cm^-2 s^-1 sr^-1",
        "Proton flux > 4 MeV",
        "particles",
    ),
    _column(
        "magnetospheric_flag",
        "magnetospheric_flag",
        "1",
        "Magnetospheric flux flag of the proton fluxes (-1 .. 6, see omni2.text)",
        "particles",
    ),
]
PRODUCTS += COLUMN_PRODUCTS
COLUMN_NAMES = frozenset(p.spec.name for p in COLUMN_PRODUCTS)

# the proton fluxes are in the 5-min HRO files only, not the 1-min ones
for _p in PRODUCTS:
    if _p.spec.name.startswith("proton_flux_") and _p.hro:
        _p.spec.modes = [m for m in _p.spec.modes if m != "1min"]

BY_NAME: dict[str, Product] = {p.spec.name: p for p in PRODUCTS}


def family(mode: str | None, hourly_source: str) -> str:
    """The file family a mode reads: ``hro``, ``h0`` or ``ascii``."""
    if mode != "hourly":
        return "hro"
    return "ascii" if hourly_source == "ascii" else "h0"


ALL = ProductSpec(
    name="all",
    kind="table",
    units=None,
    description="Every OMNI product of the mode in one Dataset",
    instrument="omni",
    modes=MODES,
)


def mission_spec() -> MissionSpec:
    """The OMNI :class:`MissionSpec`."""
    return MissionSpec(
        name="omni",
        title="OMNI solar wind at the bow shock nose and geomagnetic indices",
        distribution="helioport-omni",
        probes=[],
        coords=["gse", "gsm"],
        default_coords="gse",
        modes=MODES,
        default_mode="1min",
        mode_aliases={
            "1m": "1min",
            "hro_1min": "1min",
            "5m": "5min",
            "hro_5min": "5min",
            "1h": "hourly",
            "hour": "hourly",
            "omni2": "hourly",
            "low_res": "hourly",
            "high_res": "1min",
        },
        products=[p.spec for p in PRODUCTS] + [ALL],
        options={
            "hourly_source": OptionSpec(
                description="'ascii' (OMNI2 yearly files, default) or 'cdf' (omni_cdaweb/hourly CDFs)",
                choices=HOURLY_SOURCES,
                default="ascii",
            ),
            "source": OptionSpec(
                description="'spdf' (the SPDF OMNI tree, default) or 'heliocloud' (the CDF files "
                "from HelioCloud's copy of CDAWeb, HELIOPORT_HELIOCLOUD_URL)",
                choices=SOURCES,
                default="spdf",
            ),
        },
        sources=[
            SourceSpec(
                key=SOURCE,
                url=BASE_URL,
                env="HELIOPORT_OMNI_URL",
                description="SPDF OMNI tree (omni_cdaweb/ HRO and hourly CDFs, low_res_omni/ ASCII)",
            ),
            heliocloud.SOURCE,
        ],
    )
