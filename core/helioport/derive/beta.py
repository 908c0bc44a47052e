"""Plasma beta (``i_beta``, ``e_beta``): thermal over magnetic pressure.

    beta = n k T / (B^2 / (2 mu0)),      T = (T_par + 2 T_perp) / 3

:func:`plasma_beta` is the science (pure numpy); :func:`i_beta` and
:func:`e_beta` are the wrappers the derivations call. Unit conversions, all
written out:

- density: n [cm^-3] * 1e6 = n [m^-3];
- temperature: k T [J] = T [eV] * 1.602176634e-19 (the elementary charge,
  exact in SI 2019), or T [K] * 1.380649e-23 (Boltzmann's constant, exact);
- field: B [T] = B [nT] * 1e-9; magnetic pressure B^2 / (2 mu0) in Pa with
  mu0 = 1.25663706212e-6 T m / A (CODATA 2018).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..align import interp_to
from ..errors import DerivationError
from .curlometer import MU0
from .elevation import series_times, xyz_components

__all__ = [
    "BOLTZMANN",
    "ELEMENTARY_CHARGE",
    "density_to_cm3",
    "e_beta",
    "field_to_nt",
    "i_beta",
    "plasma_beta",
    "temperature_to_ev",
]

ELEMENTARY_CHARGE = 1.602176634e-19
"""J per eV (exact)."""

BOLTZMANN = 1.380649e-23
"""Boltzmann constant k in J/K (exact)."""

CM3_TO_M3 = 1e6
"""n [m^-3] = n [cm^-3] * 1e6 (1 cm^3 = 1e-6 m^3)."""

NT_TO_T = 1e-9
"""B [T] = B [nT] * 1e-9."""

_J_PER_UNIT = {"eV": ELEMENTARY_CHARGE, "K": BOLTZMANN}


def plasma_beta(
    n_cm3: Any,
    t_para_ev: Any = None,
    t_perp_ev: Any = None,
    b_nt: Any = None,
    *,
    t_total: Any = None,
    t_units: Literal["eV", "K"] = "eV",
) -> np.ndarray:
    """Plasma beta of one species: ``n k T / (B^2 / (2 mu0))``.

    Parameters
    ----------
    n_cm3 : array
        Number density in cm^-3.
    t_para_ev, t_perp_ev : array
        Temperatures parallel and perpendicular to B, in ``t_units``
        (eV by default, despite the names, K when ``t_units="K"``);
        combined as ``T = (T_par + 2 T_perp) / 3``.
    b_nt : array
        Field magnitude in nT, or field vectors with a last axis of 3
        (when it has one more dimension than ``n_cm3``).
    t_total : array, optional
        The scalar temperature, instead of ``t_para_ev`` and ``t_perp_ev``.
    t_units : ``"eV"`` or ``"K"``
        Unit of the temperatures.

    Returns
    -------
    array
        Dimensionless beta; NaN where an input is NaN or B is 0.

    Examples
    --------
    n = 10 cm^-3, T = (1000 + 2 * 2000) / 3 eV, B = 20 nT:

    >>> round(float(plasma_beta(10.0, 1000.0, 2000.0, 20.0)), 4)
    16.778
    >>> round(float(plasma_beta(10.0, b_nt=20.0, t_total=5000 / 3)), 4)
    16.778
    """
    if t_units not in _J_PER_UNIT:
        raise ValueError(f"t_units must be 'eV' or 'K', not {t_units!r}")
    if b_nt is None:
        raise ValueError("plasma_beta needs the field b_nt (nT)")
    n = np.asarray(n_cm3, dtype=np.float64)
    if t_total is not None:
        if t_para_ev is not None or t_perp_ev is not None:
            raise ValueError("give either t_total or t_para_ev and t_perp_ev, not both")
        t = np.asarray(t_total, dtype=np.float64)
    elif t_para_ev is None or t_perp_ev is None:
        raise ValueError("plasma_beta needs t_para_ev and t_perp_ev, or t_total")
    else:
        t = (
            np.asarray(t_para_ev, dtype=np.float64) + 2.0 * np.asarray(t_perp_ev, dtype=np.float64)
        ) / 3.0
    b = np.asarray(b_nt, dtype=np.float64)
    if b.ndim == n.ndim + 1 and b.shape[-1] == 3:
        b = np.sqrt(np.einsum("...j,...j->...", b, b))
    pressure = (n * CM3_TO_M3) * (t * _J_PER_UNIT[t_units])  # Pa = m^-3 * J
    b_t = b * NT_TO_T
    magnetic = b_t * b_t / (2.0 * MU0)  # Pa
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(magnetic > 0, pressure / np.where(magnetic > 0, magnetic, 1.0), np.nan)


def _norm_units(units: Any) -> str:
    text = str(units).strip().lower()
    for old, new in (("**", "^"), (" ", ""), ("{", ""), ("}", ""), ("#", ""), ("(", ""), (")", "")):
        text = text.replace(old, new)
    return text


_DENSITY = {
    **dict.fromkeys(
        [
            "cm^-3",
            "cm-3",
            "/cm^3",
            "/cm3",
            "1/cm^3",
            "1/cm3",
            "/cc",
            "cc^-1",
            "n/cc",
            "particles/cm^3",
        ],
        1.0,
    ),
    **dict.fromkeys(["m^-3", "m-3", "/m^3", "/m3", "1/m^3", "1/m3"], 1e-6),
}
_TEMPERATURE = {
    "ev": 1.0,
    "kev": 1e3,
    "k": BOLTZMANN / ELEMENTARY_CHARGE,
    "kelvin": BOLTZMANN / ELEMENTARY_CHARGE,
    "degk": BOLTZMANN / ELEMENTARY_CHARGE,
}
_FIELD = {"nt": 1.0, "t": 1e9, "pt": 1e-3, "gamma": 1.0}


def _factor(da: xr.DataArray, table: Mapping[str, float], what: str, accepted: str) -> float:
    units = da.attrs.get("units")
    if units is None or _norm_units(units) not in table:
        raise DerivationError(
            f"{what} has units {units!r}, which the beta derivation does not understand; "
            f"accepted: {accepted}. Set the DataArray's attrs['units']."
        )
    return table[_norm_units(units)]


def density_to_cm3(da: xr.DataArray, what: str = "density") -> float:
    """Factor turning ``da``'s density units (``cm^-3``, ``/cc``, ``m^-3``...) into cm^-3."""
    return _factor(da, _DENSITY, what, "cm^-3 (also /cc, cm-3, 1/cm^3) or m^-3")


def temperature_to_ev(da: xr.DataArray, what: str = "temperature") -> float:
    """Factor turning ``da``'s temperature units (eV, keV or K) into eV.

    K to eV is k / e = 1.380649e-23 / 1.602176634e-19 = 8.617333e-5 eV/K.
    """
    return _factor(da, _TEMPERATURE, what, "eV, keV or K")


def field_to_nt(da: xr.DataArray, what: str = "dc_mag") -> float:
    """Factor turning ``da``'s field units (nT, T, pT) into nT."""
    return _factor(da, _FIELD, what, "nT, T or pT")


def _field_magnitude(b: xr.DataArray, times: np.ndarray) -> np.ndarray:
    b_on = interp_to(b, times, "linear")
    if b_on.ndim == 1:
        return np.asarray(b_on.values, dtype=np.float64)
    vec = xyz_components(b_on, "dc_mag")
    return np.sqrt(np.einsum("nj,nj->n", vec, vec))


def _beta_product(species: str, inputs: Mapping[str, xr.DataArray]) -> xr.DataArray:
    name = f"{species}_beta"
    dens, para, perp, total = (
        f"{species}_dens",
        f"{species}_temppara",
        f"{species}_tempperp",
        f"{species}_temp",
    )
    have_aniso = para in inputs and perp in inputs
    needed = [dens, "dc_mag"] + ([] if total in inputs and not have_aniso else [para, perp])
    missing = [k for k in needed if k not in inputs]
    if missing:
        raise DerivationError(
            f"{name} needs {', '.join(needed)}; missing {', '.join(missing)} "
            f"(given: {', '.join(inputs) or 'nothing'})"
        )
    n_da, b_da = inputs[dens], inputs["dc_mag"]
    times = series_times(n_da, dens)
    for key in needed[1:]:
        series_times(inputs[key], key)
    n = np.asarray(n_da.values, dtype=np.float64).reshape(-1) * density_to_cm3(n_da, dens)
    if n.size != times.size:
        raise DerivationError(f"{dens} must be a scalar time series; got dims {tuple(n_da.dims)}")
    b = _field_magnitude(b_da, times) * field_to_nt(b_da, "dc_mag")

    def temp(key: str) -> np.ndarray:
        da = inputs[key]
        return np.asarray(interp_to(da, times, "linear").values, dtype=np.float64).reshape(-1) * (
            temperature_to_ev(da, key)
        )

    if have_aniso:
        beta = plasma_beta(n, temp(para), temp(perp), b)
        formula = f"n k T / (B^2 / 2 mu0), T = ({para} + 2 {perp}) / 3"
        used = [dens, para, perp, "dc_mag"]
    else:
        beta = plasma_beta(n, b_nt=b, t_total=temp(total))
        formula = f"n k T / (B^2 / 2 mu0), T = {total}"
        used = [dens, total, "dc_mag"]
    label = {"i": "ion", "e": "electron"}[species]
    return xr.DataArray(
        beta,
        dims="time",
        coords={"time": times},
        name=name,
        attrs={
            "units": "1",
            "long_name": f"{label} plasma beta",
            "description": formula,
            "inputs": ",".join(used),
            "time_base": dens,
            "interpolation": f"linear onto the {dens} time base, NaN outside each input's span",
        },
    )


def i_beta(inputs: Mapping[str, xr.DataArray], request: Any = None) -> xr.DataArray:
    """The ``i_beta`` derivation: ion beta on the ion density time base.

    Parameters
    ----------
    inputs
        ``i_dens``, ``i_temppara``, ``i_tempperp`` (or ``i_temp``) and
        ``dc_mag`` DataArrays of one probe, each with its own time dimension;
        their ``units`` attrs choose the conversions (cm^-3 or m^-3; eV, keV
        or K; nT).
    request
        Unused; part of the derivation signature.

    Returns
    -------
    xarray.DataArray
        ``i_beta`` on dim ``time``, units ``"1"``.

    Raises
    ------
    DerivationError
        A missing input, or units it does not know.

    Examples
    --------
    >>> i_beta({"i_dens": n, "i_temppara": tpar, "i_tempperp": tperp, "dc_mag": b})  # doctest: +SKIP
    """
    return _beta_product("i", inputs)


def e_beta(inputs: Mapping[str, xr.DataArray], request: Any = None) -> xr.DataArray:
    """The ``e_beta`` derivation: electron beta on the electron density time base.

    Same as :func:`i_beta` with ``e_dens``, ``e_temppara``, ``e_tempperp``
    (or ``e_temp``) and ``dc_mag``.

    Examples
    --------
    >>> e_beta({"e_dens": n, "e_temppara": tpar, "e_tempperp": tperp, "dc_mag": b})  # doctest: +SKIP
    """
    return _beta_product("e", inputs)
