"""Sphinx extension of helioport's documentation: the sample archives and the executed gallery.

- :class:`SampleEnvironment` writes the sample archive of each installed
  mission (hook ``helioport_sample_archive``), serves them on 127.0.0.1 with
  :class:`helioport.testing.ArchiveServer` and points helioport at that
  server through the ordinary settings (``HELIOPORT_<SOURCE>_URL``,
  ``HELIOPORT_CACHE_DIR``), so the documentation's examples are plain user
  code that runs offline. ``tests/test_docs.py`` runs every ``>>>`` example
  of the pages and every ``$ helioport`` command in this environment.
- The gallery: at ``builder-inited`` every ``docs/gallery/*.py`` script is
  executed in that environment with its working folder in
  ``docs/gallery/generated/``; the figures it saves and a page showing them
  with the script's code are what the build includes. A script that fails
  fails the build.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import shutil
import tempfile
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: set while a SampleEnvironment is active, so the build reuses the one a test started
ACTIVE = "HELIOPORT_DOCS_SAMPLES"
#: the missions whose samples the documentation uses
MISSIONS = ("omni", "mms", "cluster", "themis_asi")
#: the bucket holding every sample archive (``s3://helio-samples/omni/`` is OMNI's mirror)
SAMPLES_BUCKET = "helio-samples"
#: the HelioCloud bucket's real name: with the local endpoint set, the default URL works
HELIOCLOUD_BUCKET = "gov-nasa-hdrl-data1"


class SampleEnvironment:
    """Sample archives of ``missions`` served on 127.0.0.1 and the settings that point at them.

    Use as a context manager: on entry the archives are written under
    ``workdir`` (a new temporary folder by default) and served, and
    :meth:`environ` holds the settings; :meth:`applied` sets them in
    ``os.environ`` for a block and restores the previous values after it.
    """

    def __init__(self, missions: tuple[str, ...] = MISSIONS, workdir: Path | None = None) -> None:
        self.missions = missions
        self._own = workdir is None
        self.workdir = (
            Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="helioport-docs-"))
        )
        self.server: Any = None
        self.s3: Any = None
        self.samples: dict[str, Any] = {}
        self.urls: dict[str, str] = {}

    def __enter__(self) -> SampleEnvironment:  # noqa: PYI034
        from helioport.registry import get_registry
        from helioport.testing import ArchiveServer

        reg = get_registry()
        archive = self.workdir / "archive"
        for mission in self.missions:
            if mission not in reg.missions():
                continue
            self.samples[mission] = reg.call(
                "helioport_sample_archive", mission, mission=mission, root=archive / mission
            )
        self.server = ArchiveServer(archive).start()
        for mission, sample in self.samples.items():
            envs = {s.key: s.env for s in reg.mission(mission).sources}
            urls = sample.base_urls(
                lambda rel, m=mission: self.server.url_for(f"{m}/{rel}/".replace("//", "/"))
            )
            for key, url in urls.items():
                self.urls[envs[key]] = url
        self._start_s3(archive)
        return self

    def _start_s3(self, archive: Path) -> None:
        """The same archives in a bucket of a local S3 server (moto), and a HelioCloud-like
        bucket (CloudCatalog) made from the SPDF-layout ones, when moto and s3fs are there."""
        import importlib.util

        if not all(importlib.util.find_spec(m) for m in ("moto", "s3fs")):
            return
        from helioport.testing import S3Server
        from helioport.testing.heliocloud import write_heliocloud_tree

        self.s3 = S3Server().start()
        self.s3.make_bucket(SAMPLES_BUCKET, public=True)
        self.s3.upload_folder(archive, f"s3://{SAMPLES_BUCKET}/")
        spdf = {m: archive / m for m in ("omni", "mms", "cluster") if m in self.samples}
        tree = write_heliocloud_tree(self.workdir / "heliocloud", spdf, bucket=HELIOCLOUD_BUCKET)
        self.s3.make_bucket(HELIOCLOUD_BUCKET, public=True)
        self.s3.upload_folder(tree.root, f"s3://{HELIOCLOUD_BUCKET}/")

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        if self.s3 is not None:
            self.s3.stop()
        if self._own:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def environ(self, cache_dir: Path | None = None) -> dict[str, str]:
        """The settings: each sample's source URL, a cache folder and an empty config file."""
        cache = Path(cache_dir) if cache_dir else self.workdir / "cache"
        config = self.workdir / "no-config.toml"
        config.touch()  # HELIOPORT_CONFIG must name a file that exists
        s3 = {}
        if self.s3 is not None:  # the local S3 server, anonymous, nothing from the machine
            s3 = {
                "AWS_ENDPOINT_URL_S3": self.s3.endpoint,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": str(self.workdir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.workdir / "no-aws-credentials"),
            }
        return {
            **self.urls,
            **s3,
            "HELIOPORT_CACHE_DIR": str(cache),
            "HELIOPORT_CONFIG": str(config),
            "MPLBACKEND": "Agg",
            ACTIVE: "1",
        }

    @contextlib.contextmanager
    def applied(self, cache_dir: Path | None = None) -> Iterator[dict[str, str]]:
        """Set :meth:`environ` in ``os.environ`` for a block (the old values come back after)."""
        new = self.environ(cache_dir)
        old = {k: os.environ.get(k) for k in new}
        os.environ.update(new)
        try:
            yield new
        finally:
            for key, value in old.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


# -- the gallery ---------------------------------------------------------------------------------
def _split_docstring(source: str) -> tuple[str, str, str]:
    """(title, text, code) of a gallery script whose module docstring is its title and text."""
    import ast

    tree = ast.parse(source)
    doc = ast.get_docstring(tree) or ""
    first, _, rest = doc.partition("\n")
    body_start = tree.body[1].lineno if len(tree.body) > 1 else 1
    code = "\n".join(source.splitlines()[body_start - 1 :])
    return first.strip(), textwrap.dedent(rest).strip(), code


def run_gallery(srcdir: Path, *, quiet: bool = False) -> list[Path]:
    """Execute ``srcdir/gallery/*.py`` and write their pages; the figures written.

    Each script runs with its working folder in ``gallery/generated/<name>/``;
    every PNG it leaves there is shown on its page.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    gallery = Path(srcdir) / "gallery"
    out = gallery / "generated"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    figures: list[Path] = []
    cwd = Path.cwd()
    for script in sorted(gallery.glob("*.py")):
        here = out / script.stem
        here.mkdir()
        t0 = time.perf_counter()
        os.chdir(here)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a gallery page shows figures, not warnings
                with contextlib.redirect_stdout(io.StringIO()):
                    runpy.run_path(str(script), run_name="__main__")
        finally:
            os.chdir(cwd)
            plt.close("all")
        pngs = sorted(here.glob("*.png"))
        if not pngs:
            raise RuntimeError(f"gallery script {script.name} saved no PNG figure")
        figures += pngs
        title, text, code = _split_docstring(script.read_text())
        images = "\n\n".join(f".. image:: {script.stem}/{p.name}\n   :alt: {title}" for p in pngs)
        page = (
            f".. generated from gallery/{script.name} by docs/_ext/helioport_docs.py\n\n"
            f"{title}\n{'=' * len(title)}\n\n{text}\n\n{images}\n\n"
            f".. code-block:: python\n\n{textwrap.indent(code.strip(), '   ')}\n\n"
            f"*Executed in {time.perf_counter() - t0:.1f} s against the sample archives.*\n"
        )
        (out / f"{script.stem}.rst").write_text(page)
        if not quiet:
            print(f"helioport gallery: {script.name} -> {', '.join(p.name for p in pngs)}")
    return figures


def _builder_inited(app: Any) -> None:
    srcdir = Path(app.srcdir)
    if os.environ.get(ACTIVE):
        run_gallery(srcdir)
        return
    with SampleEnvironment() as env, env.applied():
        run_gallery(srcdir)


def setup(app: Any) -> dict[str, Any]:
    """Register the gallery runner."""
    app.connect("builder-inited", _builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
