"""Generate OMNI archives in the real layout: HRO 1/5-min CDFs and OMNI2 hourly ASCII.

Used by ``helioport demo`` (through the ``helioport_sample_archive`` hook) and
by the tests. Values are synthetic but physical (a quiet solar wind with a
shock and a southward-IMF interval), with fill values where real files have
gaps, and every variable carries the real name, type, units and fill value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from helioport.schema import SampleArchive
from helioport.testing.cdfwriter import VarSpec, write_cdf

from . import ascii as omni2

__all__ = [
    "HRO_VARIABLES",
    "make_sample_archive",
    "solar_wind",
    "write_hro_month",
    "write_omni2_year",
]

# name -> (units, fill, CATDESC); float64 unless the fill is an int
HRO_VARIABLES: dict[str, tuple[str, float | int, str]] = {
    "F": ("nT", 9999.99, "Magnitude Avg B, nT"),
    "BX_GSE": ("nT", 9999.99, "Bx (nT), GSE, GSM"),
    "BY_GSE": ("nT", 9999.99, "By (nT), GSE"),
    "BZ_GSE": ("nT", 9999.99, "Bz (nT), GSE"),
    "BY_GSM": ("nT", 9999.99, "By (nT), GSM, determined from post-shift GSE components"),
    "BZ_GSM": ("nT", 9999.99, "Bz (nT), GSM, determined from post-shift GSE components"),
    "flow_speed": ("km/s", 99999.9, "Flow Speed, km/s"),
    "Vx": ("km/s", 99999.9, "Vx Velocity, km/s, GSE"),
    "Vy": ("km/s", 99999.9, "Vy Velocity, km/s, GSE"),
    "Vz": ("km/s", 99999.9, "Vz Velocity, km/s, GSE"),
    "proton_density": ("n/cc", 999.99, "Proton Density, n/cc"),
    "T": ("Deg K", 9999999.0, "Temperature, K"),
    "Pressure": ("nPa", 99.99, "Flow pressure, nPa"),
    "E": ("mV/m", 999.99, "Electric field, mV/m"),
    "Beta": ("dimensionless", 999.99, "Plasma beta"),
    "Mach_num": ("dimensionless", 999.9, "Alfven mach number"),
    "Mgs_mach_num": ("dimensionless", 99.9, "Magnetosonic mach number"),
    "x": ("Re", 9999.99, "X (s/c), GSE, Re"),
    "y": ("Re", 9999.99, "Y (s/c), GSE, Re"),
    "z": ("Re", 9999.99, "Z (s/c), GSE, Re"),
    "BSN_x": ("Re", 9999.99, "BSN location, Xgse, Re"),
    "BSN_y": ("Re", 9999.99, "BSN location, Ygse, Re"),
    "BSN_z": ("Re", 9999.99, "BSN location, Zgse, Re"),
    "AE_INDEX": ("nT", 99999, "AE-index, nT"),
    "AL_INDEX": ("nT", 99999, "AL-index, nT"),
    "AU_INDEX": ("nT", 99999, "AU-index, nT"),
    "SYM_D": ("nT", 99999, "SYM/D index, nT"),
    "SYM_H": ("nT", 99999, "SYM/H index, nT"),
    "ASY_D": ("nT", 99999, "ASY/D index, nT"),
    "ASY_H": ("nT", 99999, "ASY/H index, nT"),
    "PC_N_INDEX": ("dimensionless", 999.99, "PC(N) index"),
}
HRO_5MIN_EXTRA = {
    "PR-FLX_10": ("1/(cm**2-s-ster)", 99999.99, "Proton flux >10 MeV"),
    "PR-FLX_30": ("1/(cm**2-s-ster)", 99999.99, "Proton flux >30 MeV"),
    "PR-FLX_60": ("1/(cm**2-s-ster)", 99999.99, "Proton flux >60 MeV"),
}


def solar_wind(times: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic solar wind and indices on ``times`` (datetime64), HRO variable names.

    A quiet wind (400 km/s, 5 cm^-3, 5 nT) with a shock at 40 % of the span
    (speed, density and field jump) and a southward-IMF interval after it.
    """
    rng = np.random.default_rng(seed)
    n = times.size
    s = np.linspace(0.0, 1.0, n, endpoint=False)
    shock = (s > 0.4).astype(float)
    south = ((s > 0.45) & (s < 0.6)).astype(float)
    noise = lambda scale: scale * rng.standard_normal(n)
    bx = 3.0 * np.cos(2 * np.pi * 3 * s) + noise(0.3)
    by = 3.0 * np.sin(2 * np.pi * 3 * s) + noise(0.3)
    bz = 1.0 * np.sin(2 * np.pi * 5 * s) - 12.0 * south + noise(0.3)
    bmag = np.sqrt(bx**2 + by**2 + bz**2) * (1.0 + 0.8 * shock)
    bx, by, bz = bx * (1 + 0.8 * shock), by * (1 + 0.8 * shock), bz * (1 + 0.8 * shock)
    v = 400.0 + 250.0 * shock + noise(5.0)
    n_p = 5.0 + 10.0 * shock * np.exp(-(s - 0.4).clip(0) * 20) + np.abs(noise(0.2))
    temp = 8e4 + 1.5e5 * shock + np.abs(noise(5e3))
    vx, vy, vz = -v * 0.99, 0.1 * v * np.sin(2 * np.pi * s), 0.05 * v * np.cos(2 * np.pi * s)
    pressure = 1.67e-6 * n_p * v**2 * 1.04
    out = {
        "F": bmag,
        "BX_GSE": bx,
        "BY_GSE": by,
        "BZ_GSE": bz,
        "BY_GSM": by * 0.95 - bz * 0.3,
        "BZ_GSM": bz * 0.95 + by * 0.3,
        "flow_speed": v,
        "Vx": vx,
        "Vy": vy,
        "Vz": vz,
        "proton_density": n_p,
        "T": temp,
        "Pressure": pressure,
        "E": -v * (bz * 0.95 + by * 0.3) * 1e-3,
        "Beta": (temp * 4.16e-5 + 5.34) * n_p / bmag**2,
        "Mach_num": v * np.sqrt(n_p) / (20 * bmag),
        "Mgs_mach_num": 6.0 + noise(0.2),
        "x": 220.0 + 0 * s,
        "y": 30.0 * np.sin(2 * np.pi * s),
        "z": 10.0 + 0 * s,
        "BSN_x": 13.0 - 2.0 * shock,
        "BSN_y": 0.5 + 0 * s,
        "BSN_z": 0.2 + 0 * s,
        "AE_INDEX": np.round(80 + 600 * south + np.abs(noise(20))),
        "AL_INDEX": np.round(-50 - 450 * south - np.abs(noise(15))),
        "AU_INDEX": np.round(30 + 150 * south + np.abs(noise(10))),
        "SYM_D": np.round(noise(3)),
        "SYM_H": np.round(-5 + 30 * shock * (s < 0.42) - 90 * south + noise(2)),
        "ASY_D": np.round(10 + np.abs(noise(3))),
        "ASY_H": np.round(15 + 40 * south + np.abs(noise(3))),
        "PC_N_INDEX": 0.5 + 3.0 * south + noise(0.1),
        "PR-FLX_10": 0.2 + 5.0 * shock,
        "PR-FLX_30": 0.1 + 1.0 * shock,
        "PR-FLX_60": 0.08 + 0.3 * shock,
    }
    # data gaps as the real files have them: a plasma gap and an IMF gap
    gap = (s > 0.2) & (s < 0.21)
    for k in (
        "flow_speed",
        "Vx",
        "Vy",
        "Vz",
        "proton_density",
        "T",
        "Pressure",
        "Beta",
        "Mach_num",
    ):
        out[k] = np.where(gap, np.nan, out[k])
    gap_b = (s > 0.7) & (s < 0.705)
    for k in ("F", "BX_GSE", "BY_GSE", "BZ_GSE", "BY_GSM", "BZ_GSM"):
        out[k] = np.where(gap_b, np.nan, out[k])
    return out


def write_hro_month(
    root: Path,
    month: dt.date,
    mode: str = "1min",
    *,
    days: int | None = None,
    version: str = "01",
    seed: int = 0,
) -> Path:
    """Write ``omni_cdaweb/hro_{mode}/%Y/omni_hro_{mode}_%Y%m01_v{version}.cdf`` under ``root``.

    ``days`` limits the records to the month's first days (a small sample);
    the file name and layout stay the real ones.
    """
    step = {"1min": 60, "5min": 300}[mode]
    start = np.datetime64(dt.datetime(month.year, month.month, 1), "s")
    nxt = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    stop = np.datetime64(nxt, "s") if days is None else start + np.timedelta64(days, "D")
    times = np.arange(start, stop, np.timedelta64(step, "s")).astype("datetime64[ns]")
    values = solar_wind(times, seed=seed + month.month)
    table = dict(HRO_VARIABLES)
    if mode == "5min":
        table.update(HRO_5MIN_EXTRA)
    ts = pd.DatetimeIndex(times)
    support = {"FILLVAL": np.int32(-2147483647), "VAR_TYPE": "support_data", "DEPEND_0": "Epoch"}
    variables: dict[str, VarSpec] = {
        "Epoch": VarSpec(
            times,
            {
                "FIELDNAM": "Time",
                "UNITS": "ms",
                "CATDESC": "Time, Interval Start",
                "VAR_TYPE": "support_data",
            },
            cdf_type="CDF_EPOCH",
        ),
        "YR": VarSpec(ts.year.to_numpy().astype(np.int32), dict(support, CATDESC="Year")),
        "Day": VarSpec(
            ts.day_of_year.to_numpy().astype(np.int32), dict(support, CATDESC="Day of year")
        ),
        "HR": VarSpec(ts.hour.to_numpy().astype(np.int32), dict(support, CATDESC="Hour")),
        "Minute": VarSpec(ts.minute.to_numpy().astype(np.int32), dict(support, CATDESC="Minute")),
    }
    for name, (units, fill, desc) in table.items():
        v = values[name]
        if isinstance(fill, int):
            data = np.where(np.isnan(v), fill, v).astype(np.int32)
        else:
            data = np.where(np.isnan(v), fill, v).astype(np.float32 if fill < 1e5 else np.float64)
        variables[name] = VarSpec(
            data,
            {
                "FIELDNAM": desc,
                "CATDESC": desc,
                "UNITS": units,
                "FILLVAL": fill,
                "VAR_TYPE": "data",
                "DEPEND_0": "Epoch",
                "DISPLAY_TYPE": "time_series",
            },
        )
    name = f"omni_hro_{mode}_{month.year:04d}{month.month:02d}01_v{version}.cdf"
    path = Path(root) / "omni_cdaweb" / f"hro_{mode}" / f"{month.year:04d}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_cdf(
        path,
        variables,
        global_attrs={
            "Project": "NSSDC",
            "Source_name": "OMNI (1AU IP Data)>Merged 1 minute Interplanetary OMNI data",
            "Logical_source": f"omni_hro_{mode}",
            "Data_version": version,
            "Generated_by": "helioport sample archive (synthetic values)",
        },
    )
    return path


def write_omni2_year(root: Path, year: int, *, seed: int = 0) -> Path:
    """Write ``low_res_omni/omni2_{year}.dat`` (8760/8784 hourly rows, 55 columns)."""
    times = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="1h", inclusive="left")
    sw = solar_wind(times.to_numpy(), seed=seed)
    rng = np.random.default_rng(seed + 1)
    n = len(times)
    df = pd.DataFrame(index=times)
    for col in omni2.COLUMNS[3:]:
        df[col.name] = np.nan
    df["bartels_rotation"] = 2407 + np.arange(n) // (27 * 24)
    df["imf_sc_id"], df["sw_plasma_sc_id"] = 51, 52
    df["imf_points"], df["plasma_points"] = 60, 40
    for ours, hro in (
        ("b_mag_avg", "F"),
        ("bx_gse", "BX_GSE"),
        ("by_gse", "BY_GSE"),
        ("bz_gse", "BZ_GSE"),
        ("by_gsm", "BY_GSM"),
        ("bz_gsm", "BZ_GSM"),
        ("t_proton", "T"),
        ("n_proton", "proton_density"),
        ("flow_speed", "flow_speed"),
        ("flow_pressure", "Pressure"),
        ("e_field", "E"),
        ("plasma_beta", "Beta"),
        ("alfven_mach", "Mach_num"),
        ("magnetosonic_mach", "Mgs_mach_num"),
        ("pc_n", "PC_N_INDEX"),
        ("ae", "AE_INDEX"),
        ("al", "AL_INDEX"),
        ("au", "AU_INDEX"),
        ("proton_flux_10mev", "PR-FLX_10"),
        ("proton_flux_30mev", "PR-FLX_30"),
        ("proton_flux_60mev", "PR-FLX_60"),
    ):
        df[ours] = sw[hro]
    b = df[["bx_gse", "by_gse", "bz_gse"]].to_numpy()
    df["b_vec_mag"] = np.sqrt((b**2).sum(axis=1)) * 0.98
    df["b_lat"] = np.degrees(np.arcsin(b[:, 2] / np.linalg.norm(b, axis=1)))
    df["b_long"] = np.degrees(np.arctan2(b[:, 1], b[:, 0])) % 360
    for c in (
        "sigma_b_mag",
        "sigma_b",
        "sigma_bx",
        "sigma_by",
        "sigma_bz",
        "sigma_n",
        "sigma_phi_v",
        "sigma_theta_v",
    ):
        df[c] = np.abs(rng.normal(0.5, 0.2, n))
    df["sigma_t"], df["sigma_v"], df["sigma_na_np"] = 5000.0, 8.0, 0.002
    df["flow_long"], df["flow_lat"], df["na_np"] = -1.0, -2.0, 0.03
    df["kp"] = np.round(np.clip(df["ae"].to_numpy() / 150, 0, 9) * 3) / 3
    df["kp"] = np.round(df["kp"] * 10) / 10
    df["sunspot_r"] = 20
    df["dst"] = np.round(sw["SYM_H"])
    df["proton_flux_1mev"] = np.nan  # all fill, as in the real 2010 file
    df["proton_flux_2mev"] = np.nan
    df["proton_flux_4mev"] = np.nan
    df["magnetospheric_flag"] = -1
    df["ap"] = np.round(df["kp"] * 5)
    df["f10_7"] = 75.0
    path = Path(root) / "low_res_omni" / f"omni2_{year}.dat"
    return omni2.write_omni2(path, df.round(3))


def make_sample_archive(root: Path) -> SampleArchive:
    """The demo's sample: HRO 1-min and 5-min for 2010-01-01..03 and the OMNI2 2010 file.

    Returns the request the demo loads from it.
    """
    root = Path(root)
    write_hro_month(root, dt.date(2010, 1, 1), "1min", days=3)
    write_hro_month(root, dt.date(2010, 1, 1), "5min", days=3)
    write_omni2_year(root, 2010)
    return SampleArchive(
        source="omni",
        start="2010-01-01T00:00",
        end="2010-01-03T00:00",
        products=["dc_mag", "i_dens", "i_bulkv", "flow_pressure", "sym_h", "mag_elev_angle"],
        mode="1min",
        coords="gse",
        criteria="dc_mag_z < -8",
    )


def write_h0_halfyear(
    root: Path, year: int, half: int, *, version: str = "01", days: int | None = None, seed: int = 0
) -> Path:
    """Write ``omni_cdaweb/hourly/%Y/omni2_h0_mrg1hr_%Y{01|07}01_v{version}.cdf`` under ``root``.

    Parameters follow the CDAWeb OMNI2_H0_MRG1HR names (``ABS_B``, ``BZ_GSM``,
    ``N``, ``V``, ``T``, ``KP`` as Kp x 10, ``DST``, ``F10_INDEX``...), on ``Epoch``
    (CDF_EPOCH, start of each hour).
    """
    month = 1 if half == 1 else 7
    start = pd.Timestamp(year, month, 1)
    stop = (
        pd.Timestamp(year + (month == 7), 7 if month == 1 else 1, 1)
        if days is None
        else start + pd.Timedelta(days=days)
    )
    times = pd.date_range(start, stop, freq="1h", inclusive="left")
    sw = solar_wind(times.to_numpy().astype("datetime64[ns]"), seed=seed)
    table = {
        "ABS_B": ("nT", 999.9, sw["F"]),
        "BX_GSE": ("nT", 999.9, sw["BX_GSE"]),
        "BY_GSE": ("nT", 999.9, sw["BY_GSE"]),
        "BZ_GSE": ("nT", 999.9, sw["BZ_GSE"]),
        "BY_GSM": ("nT", 999.9, sw["BY_GSM"]),
        "BZ_GSM": ("nT", 999.9, sw["BZ_GSM"]),
        "N": ("n/cc", 999.9, sw["proton_density"]),
        "V": ("km/s", 9999.0, sw["flow_speed"]),
        "T": ("Deg K", 9999999.0, sw["T"]),
        "Pressure": ("nPa", 99.99, sw["Pressure"]),
        "KP": ("", 99, np.round(np.clip(sw["AE_INDEX"] / 15, 0, 90))),
        "DST": ("nT", 99999, sw["SYM_H"]),
        "AE": ("nT", 9999, sw["AE_INDEX"]),
        "AL_INDEX": ("nT", 99999, sw["AL_INDEX"]),
        "AU_INDEX": ("nT", 99999, sw["AU_INDEX"]),
        "PC_N_INDEX": ("", 999.9, sw["PC_N_INDEX"]),
        "AP_INDEX": ("nT", 999, np.round(sw["AE_INDEX"] / 10)),
        "F10_INDEX": ("sfu", 999.9, 70 + 0 * sw["F"]),
        "R": ("", 999, 20 + 0 * sw["F"]),
        "PR-FLX_1": ("1/(SQcm-ster-s)", 999999.99, sw["PR-FLX_10"] * 4),
        "PR-FLX_10": ("1/(SQcm-ster-s)", 99999.99, sw["PR-FLX_10"]),
        "PR-FLX_30": ("1/(SQcm-ster-s)", 99999.99, sw["PR-FLX_30"]),
        "PR-FLX_60": ("1/(SQcm-ster-s)", 99999.99, sw["PR-FLX_60"]),
    }
    variables: dict[str, VarSpec] = {
        "Epoch": VarSpec(
            times.to_numpy().astype("datetime64[ns]"),
            {"FIELDNAM": "Time", "CATDESC": "Time, start of hour", "VAR_TYPE": "support_data"},
            cdf_type="CDF_EPOCH",
        ),
    }
    for name, (units, fill, values) in table.items():
        dtype = np.int32 if isinstance(fill, int) else np.float64
        data = np.where(np.isnan(values), fill, values).astype(dtype)
        variables[name] = VarSpec(
            data,
            {
                "FIELDNAM": name,
                "CATDESC": name,
                "UNITS": units,
                "FILLVAL": dtype(fill),
                "VAR_TYPE": "data",
                "DEPEND_0": "Epoch",
            },
        )
    path = (
        Path(root)
        / "omni_cdaweb"
        / "hourly"
        / f"{year}"
        / f"omni2_h0_mrg1hr_{year}{month:02d}01_v{version}.cdf"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(
        path,
        variables,
        global_attrs={
            "Logical_source": "omni2_h0_mrg1hr",
            "Generated_by": "helioport sample archive (synthetic values)",
        },
    )
