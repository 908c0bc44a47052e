"""The MMS quick-look: its title clears the top panel, its spectrogram's y axis is energy in eV."""

from __future__ import annotations

import cdflib
import helioport
import numpy as np
import pytest
from helioport.plot import quicklook
from helioport_mms import fixtures

pytest.importorskip("matplotlib")

START, END = "2015-12-01T00:00", "2015-12-01T00:20"


@pytest.fixture
def mms_ds(tmp_path, cache_dir):
    root = tmp_path / "spdf"
    fixtures.write_fgm(root, "mms1", "srvy", "2015-12-01", 16 * 1200)
    moms = fixtures.write_fpi_moms(root, "mms1", "dis", "fast", "2015-12-01T00:00:00", 300)
    ds = helioport.load(
        "mms", START, END, products=["dc_mag", "i_dens", "i_omniflux"], base_url=str(root)
    )
    return ds, moms


def test_title_sits_above_the_top_panel(mms_ds, tmp_path):
    ds, _ = mms_ds
    assert len(ds.attrs["request"]) > 120  # the title wraps onto two lines or more
    fig = quicklook(ds, tmp_path / "mms.png")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle.get_window_extent(renderer)
    top = fig.axes[0].get_tightbbox(renderer)  # the panel with its tick labels and y label
    assert title.y0 >= top.y1, (title, top)
    assert title.y1 <= fig.bbox.y1 + 0.5  # and stays on the figure
    assert (tmp_path / "mms.png").stat().st_size > 10_000


def test_spectrogram_y_axis_is_the_energy_table_in_ev(mms_ds):
    ds, moms = mms_ds
    fig = quicklook(ds)
    spec = next(ax for ax in fig.axes if "i_omniflux" in ax.get_ylabel())
    assert "eV" in spec.get_ylabel() and "index" not in spec.get_ylabel()
    assert spec.get_yscale() == "log"
    energy = cdflib.CDF(moms).varget("mms1_dis_energy_fast")
    lo, hi = spec.get_ylim()
    # the axis spans the energies (tens of eV to tens of keV), not the channel numbers 0..31
    assert lo >= 0.5 * np.nanmin(energy) and hi <= 2 * np.nanmax(energy)
    assert hi > 1000
