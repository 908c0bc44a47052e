"""Cluster as a table: datasets, the variables behind each product, sources.

Products of probe ``cN`` live in CSA datasets ``CN_<dataset>`` and variables
``<variable>__CN_<dataset>``:

=============  ==============================  =========================  ======  =========
product        dataset                         variable                   units   probes
=============  ==============================  =========================  ======  =========
dc_mag         CP_FGM_SPIN | _FULL | _5VPS      B_vec_xyz_gse              nT      c1-c4
sc_pos         (the same FGM dataset)           sc_pos_xyz_gse             km      c1-c4
sc_pos (aux)   CP_AUX_POSGSE_1M                 sc_r_xyz_gse               km      c1-c4
i_dens         CP_CIS-HIA_ONBOARD_MOMENTS       density                    cm^-3   c1, c3
i_bulkv        CP_CIS-HIA_ONBOARD_MOMENTS       velocity_gse               km/s    c1, c3
i_temppara     CP_CIS-HIA_ONBOARD_MOMENTS       temp_par                   MK      c1, c3
i_tempperp     CP_CIS-HIA_ONBOARD_MOMENTS       temp_perp                  MK      c1, c3
i_temp         CP_CIS-HIA_ONBOARD_MOMENTS       temperature                MK      c1, c3
e_dens         CP_PEA_MOMENTS                   Data_Density               cm^-3   c1-c4
e_bulkv        CP_PEA_MOMENTS                   Data_Velocity_GSE          km/s    c1-c4
dc_elec        CP_EFW_L3_E3D_GSE                E_Vec_xyz_GSE              mV/m    c1-c4
i_dist         CP_CIS-HIA_HS_MAG_IONS_PSD       3d_ions                    s^3/km^6  c1, c3
=============  ==============================  =========================  ======  =========

Modes are the FGM resolutions: ``spin`` (4 s, the default), ``full`` and
``5vps``; they choose the FGM dataset and do not affect the others. CIS-HIA
worked on C1 and C3 only: the spec says so and the core refuses C2/C4.
"""

from __future__ import annotations

from dataclasses import dataclass

from helioport import heliocloud
from helioport.schema import MissionSpec, OptionSpec, ProductSpec, SourceSpec
from helioport.standard import standard
from helioport.templates import FileTemplate

__all__ = [
    "BY_NAME",
    "MISSION",
    "MODES",
    "PROBES",
    "PRODUCTS",
    "Product",
    "dataset_id",
    "mission_spec",
    "variable_name",
]

MISSION = "cluster"
PROBES = ["c1", "c2", "c3", "c4"]
#: mode -> the FGM dataset it selects
FGM = {"spin": "CP_FGM_SPIN", "full": "CP_FGM_FULL", "5vps": "CP_FGM_5VPS"}
MODES = list(FGM)
HIA_PROBES = ["c1", "c3"]
CSA_URL = "https://csa.esac.esa.int/csa-sl-tap/"
SPDF_URL = "https://spdf.gsfc.nasa.gov/pub/data/cluster/"
SOURCES = ["csa", "spdf", heliocloud.KEY]
FORMATS = ["cdf", "cef"]
#: the SPDF copy of the CP datasets, where it serves a product (FGM spin resolution);
#: their CDAWeb IDs (``C1_CP_FGM_SPIN``) let HelioCloud serve them too
SPDF_FILES = {
    "CP_FGM_SPIN": FileTemplate(
        "cluster_spdf",
        "{probe}/cp/%Y/{probe}_cp_fgm_spin_%Y%m%d_v{version}.cdf",
        "day",
        dataset="{probe}_CP_FGM_SPIN",
    )
}


@dataclass(frozen=True)
class Product:
    """A product: its spec, the CSA dataset (``{fgm}``: the mode's FGM dataset) and variable."""

    spec: ProductSpec
    dataset: str
    variable: str


def _row(name: str, dataset: str, variable: str, description: str, **spec) -> Product:
    instrument = dataset.split("_")[1].split("-")[0].lower() if dataset != "{fgm}" else "fgm"
    modes = MODES if dataset == "{fgm}" else None
    return Product(
        standard(name, description=description, instrument=instrument, modes=modes, **spec),
        dataset,
        variable,
    )


HIA = "CP_CIS-HIA_ONBOARD_MOMENTS"
PRODUCTS: list[Product] = [
    _row("dc_mag", "{fgm}", "B_vec_xyz_gse", "Magnetic field (FGM)", coords=["gse"]),
    _row("sc_pos", "{fgm}", "sc_pos_xyz_gse", "Spacecraft position (FGM dataset)", coords=["gse"]),
    _row("i_dens", HIA, "density", "Ion density (CIS-HIA onboard moments)", probes=HIA_PROBES),
    _row(
        "i_bulkv",
        HIA,
        "velocity_gse",
        "Ion bulk velocity (CIS-HIA onboard moments)",
        coords=["gse"],
        probes=HIA_PROBES,
    ),
    _row("i_temppara", HIA, "temp_par", "Ion T parallel (CIS-HIA)", units="MK", probes=HIA_PROBES),
    _row(
        "i_tempperp",
        HIA,
        "temp_perp",
        "Ion T perpendicular (CIS-HIA)",
        units="MK",
        probes=HIA_PROBES,
    ),
    _row("i_temp", HIA, "temperature", "Ion temperature (CIS-HIA)", units="MK", probes=HIA_PROBES),
    _row("e_dens", "CP_PEA_MOMENTS", "Data_Density", "Electron density (PEACE moments)"),
    _row(
        "e_bulkv",
        "CP_PEA_MOMENTS",
        "Data_Velocity_GSE",
        "Electron bulk velocity (PEACE moments)",
        coords=["gse"],
    ),
    _row(
        "dc_elec",
        "CP_EFW_L3_E3D_GSE",
        "E_Vec_xyz_GSE",
        "Electric field (EFW L3, GSE)",
        coords=["gse"],
    ),
    _row(
        "i_dist",
        "CP_CIS-HIA_HS_MAG_IONS_PSD",
        "3d_ions",
        "Ion phase-space density (CIS-HIA, time, theta, phi, energy)",
        units="s^3/km^6",
        probes=HIA_PROBES,
    ),
]
BY_NAME = {p.spec.name: p for p in PRODUCTS}
#: ``positions="aux"``: the 1-minute auxiliary position dataset instead of the FGM one
AUX_POSITION = Product(BY_NAME["sc_pos"].spec, "CP_AUX_POSGSE_1M", "sc_r_xyz_gse")


def dataset_id(product: Product, probe: str, mode: str | None) -> str:
    """``C1_CP_FGM_SPIN``: the CSA dataset of ``product`` for ``probe`` in ``mode``."""
    dataset = FGM[mode or "spin"] if product.dataset == "{fgm}" else product.dataset
    return f"{probe.upper()}_{dataset}"


def variable_name(product: Product, dataset: str) -> str:
    """``B_vec_xyz_gse__C1_CP_FGM_SPIN``: the CAA/ISTP name of the product's variable."""
    return f"{product.variable}__{dataset}"


OPTIONS = {
    "source": OptionSpec(
        description="'csa' (ESA Cluster Science Archive, default), 'spdf' (its SPDF copy: FGM "
        "spin only) or 'heliocloud' (HelioCloud's copy of that CDAWeb data, "
        "HELIOPORT_HELIOCLOUD_URL); a mirror for key 'cluster_spdf' selects 'spdf'",
        choices=SOURCES,
    ),
    "format": OptionSpec(
        description="CSA delivery format: 'cdf' (CDF_ISTP, default) or 'cef' (Cluster Exchange Format)",
        choices=FORMATS,
        default="cdf",
    ),
    "positions": OptionSpec(
        description="sc_pos from 'fgm' (the FGM dataset's own, default) or 'aux' (CP_AUX_POSGSE_1M)",
        choices=["fgm", "aux"],
        default="fgm",
    ),
}


def mission_spec() -> MissionSpec:
    """The Cluster :class:`MissionSpec`."""
    return MissionSpec(
        name=MISSION,
        title="Cluster",
        distribution="helioport-cluster",
        probes=PROBES,
        default_probes=["c1"],
        coords=["gse"],
        default_coords="gse",
        modes=MODES,
        default_mode="spin",
        mode_aliases={"low_res": "spin", "high_res": "full", "4s": "spin"},
        products=[p.spec for p in PRODUCTS],
        options=OPTIONS,
        sources=[
            SourceSpec(
                key=MISSION,
                url=CSA_URL,
                env="HELIOPORT_CLUSTER_URL",
                description="ESA Cluster Science Archive: data endpoint <base>data (tar.gz "
                "deliveries) and TAP service <base>tap/",
            ),
            SourceSpec(
                key="cluster_spdf",
                url=SPDF_URL,
                env="HELIOPORT_CLUSTER_SPDF_URL",
                description="SPDF copy of the CP datasets: c{n}/cp/%Y/c{n}_cp_fgm_spin_%Y%m%d_v??.cdf",
            ),
            heliocloud.SOURCE,
        ],
    )
