"""Test tooling for helioport and its plugin authors (public API).

- :class:`ArchiveServer`: serves a folder over HTTP on 127.0.0.1 like the real
  archives (Apache indexes, ETag/Last-Modified/304, Range) with fault
  injection; a plugin mounts its archive's web-service API emulation under a
  URL prefix (:meth:`ArchiveServer.mount`, :class:`ApiRequest`, :class:`ApiResponse`);
- :mod:`helioport.testing.cdfwriter`: CDF fixtures with real variable names
  (:func:`write_cdf`, :class:`VarSpec`); :func:`write_sav` writes IDL SAVE
  files (skymaps, calibration files) that :func:`scipy.io.readsav` reads;
- :class:`S3Server`: a real S3 API (moto's server) on 127.0.0.1 for object-store
  mirrors and HelioCloud-like buckets (``helioport[test]``; moto is imported on start);
- :func:`check_plugin`: the plugin conformance suite (:func:`check_dataset` for one Dataset);
- :mod:`helioport.testing.pytest_plugin`: pytest fixtures (``clean_env``,
  ``cache_dir``, ``real_file``, ``server_for``, ``sample_archive``,
  ``sample_copy``), registered with pytest by installing helioport.

Examples
--------
A plugin's own tests::

    from helioport.testing import check_plugin

    def test_my_plugin_conforms(tmp_path):
        report = check_plugin("mymission", tmp_path)
        assert report.ok, str(report)
"""

from .cdfwriter import VarSpec, write_cdf
from .conformance import ConformanceReport, check_dataset, check_plugin
from .s3server import S3Server
from .savfile import write_sav
from .server import ApiHandler, ApiRequest, ApiResponse, ArchiveServer, LoggedRequest, serve_forever

__all__ = [
    "ApiHandler",
    "ApiRequest",
    "ApiResponse",
    "ArchiveServer",
    "ConformanceReport",
    "LoggedRequest",
    "S3Server",
    "VarSpec",
    "check_dataset",
    "check_plugin",
    "serve_forever",
    "write_cdf",
    "write_sav",
]
