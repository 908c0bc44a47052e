"""Fixtures of the core's suite.

The generic ones (``clean_env``, ``cache_dir``, ``real_file``, ``server_for``,
``sample_archive``, ``sample_copy``) come from the public test kit's pytest
plugin, :mod:`helioport.testing.pytest_plugin`, registered by installing
helioport. The core's integration tests run the whole path on OMNI's sample.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def omni_sample(sample_archive) -> Path:
    """The generated OMNI archive (HRO 1/5-min for 2010-01-01..03 and OMNI2 2010), written once."""
    return sample_archive("omni").root


@pytest.fixture
def omni_root(sample_copy) -> Path:
    """A private copy of the OMNI sample archive a test may change."""
    return sample_copy("omni").root
