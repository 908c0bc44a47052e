"""The IDL SAVE writer of helioport.testing against scipy.io.readsav and the real THEMIS skymap."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.io
from helioport.errors import PluginError
from helioport.imaging.fixtures import write_skymap_sav
from helioport.testing.savfile import write_sav

REAL_SKY = "themis_skymap_gako_20110305-+_vXX.sav"


def _readsav(path) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scipy's "Not able to verify number of bytes"
        return scipy.io.readsav(str(path), python_dict=True)


def _as_python(value: Any) -> Any:
    """A readsav structure (one-record recarray) as nested dicts, with the values readsav gave."""
    if isinstance(value, np.recarray):
        return {name: _as_python(value[name][0]) for name in value.dtype.names}
    return value


def _describe(value: Any, path: str = "") -> list[tuple]:
    """(path, kind, dtype, shape) of every leaf, in order: nesting, field names and types."""
    if isinstance(value, np.recarray):
        out = [(path, "struct", tuple(value.dtype.names), value.shape)]
        for name in value.dtype.names:
            out += _describe(value[name][0], f"{path}.{name}")
        return out
    if isinstance(value, bytes):
        return [(path, "string", None, None)]
    arr = np.asarray(value)
    kind = "array" if isinstance(value, np.ndarray) else "scalar"
    return [(path, kind, arr.dtype.newbyteorder("=").str, arr.shape)]


def _leaves(value: Any, path: str = ""):
    if isinstance(value, np.recarray):
        for name in value.dtype.names:
            yield from _leaves(value[name][0], f"{path}.{name}")
    else:
        yield path, value


def test_real_themis_skymap_structure_round_trips(real_file, tmp_path):
    real = _readsav(real_file("themis", REAL_SKY))
    out = write_sav(tmp_path / "copy.sav", {"skymap": _as_python(real["skymap"])})
    again = _readsav(out)
    assert list(again) == list(real) == ["skymap"]
    shape_real, shape_again = _describe(real["skymap"]), _describe(again["skymap"])
    assert shape_again == shape_real  # nesting, field names (order kept), dtypes and shapes
    assert ("", "struct", tuple(real["skymap"].dtype.names), (1,)) == shape_again[0]
    assert any(p == ".GENERATION_INFO" and k == "struct" for p, k, *_ in shape_again)
    for (path, a), (_, b) in zip(_leaves(real["skymap"]), _leaves(again["skymap"]), strict=True):
        if isinstance(a, bytes):
            assert a == b, path
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=path)
    sky = again["skymap"]
    assert sky["FULL_ELEVATION"][0][29, 161] == pytest.approx(15.458, abs=1e-3)
    assert sky["GENERATION_INFO"][0]["VALID_INTERVAL_START"][0] == b"2011030508"
    assert sky["FULL_IGNORE"][0].dtype == np.uint8 and sky["FULL_ROW"][0].dtype == ">u2"


def test_types_round_trip_without_a_real_file(tmp_path):
    values = {
        "u1": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "i2": np.array([-3, 7], dtype=np.int16),
        "u2": np.array([[0, 65535]], dtype=np.uint16),
        "i4": np.int32(-5),
        "f4": np.float32(1.5),
        "f8": np.array([np.nan, 2.25]),
        "text": "gill",
        "empty": "",
        "inner": {"A": np.float32(3.0), "B": {"C": "deep"}},
    }
    out = _readsav(
        write_sav(tmp_path / "t.sav", {"top": values, "rper_dnpersecond_652": np.float32(0.6)})
    )
    assert out["rper_dnpersecond_652"] == np.float32(0.6)
    top = out["top"]
    assert top.dtype.names == ("U1", "I2", "U2", "I4", "F4", "F8", "TEXT", "EMPTY", "INNER")
    np.testing.assert_array_equal(top["U1"][0], values["u1"])
    np.testing.assert_array_equal(top["U2"][0], values["u2"])
    assert top["U2"][0].shape == (1, 2) and top["I2"][0].tolist() == [-3, 7]
    assert top["I4"][0] == -5 and top["F4"][0] == np.float32(1.5)
    np.testing.assert_array_equal(top["F8"][0], values["f8"])
    assert top["TEXT"][0] == b"gill"
    assert top["EMPTY"][0] == ""  # scipy reads IDL's empty string (no data bytes) as str ''
    assert top["INNER"][0]["B"][0]["C"][0] == b"deep"
    with pytest.raises(PluginError, match="cannot write"):
        write_sav(tmp_path / "bad.sav", {"x": np.array(["a"], dtype=object)})


def test_generated_skymaps_have_the_real_structure(real_file, tmp_path):
    """The generated skymap is read by readsav exactly like the real one: same nesting, field
    names in the same order, types and (at THEMIS size) shapes."""
    real = _readsav(real_file("themis", REAL_SKY))["skymap"]
    path = write_skymap_sav(
        tmp_path / "gen.sav", "gako", 62.41, -145.16, dt.datetime(2011, 3, 5, 8)
    )
    generated = _readsav(path)["skymap"]
    assert _describe(generated) == _describe(real)
    sky = generated[0]
    assert sky["FULL_BIN"].max() == 1024 and sky["BIN_MAP_ALTITUDE"] == np.float32(110000.0)
    inside = np.isfinite(sky["FULL_ELEVATION"])
    assert (sky["FULL_BIN"][~inside] == 1024).all() and (sky["FULL_BIN"][inside] < 1024).all()
