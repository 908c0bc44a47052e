"""Settings: cache folder, offline mode, mirrors, network limits.

Precedence, highest first: keyword arguments, environment variables
(``HELIOPORT_CACHE_DIR``, ``HELIOPORT_OFFLINE``, ``HELIOPORT_<KEY>_URL``), the
config file (``HELIOPORT_CONFIG`` or ``<user config dir>/helioport/config.toml``),
built-in defaults. A config file looks like::

    cache_dir = "/data/helioport-cache"
    offline = false
    max_workers = 4

    [urls]
    omni = "https://mirror.example.org/omni/"
    mms_sdc = "/srv/mms-sdc/"
    mms = "s3://my-bucket/mms/"      # object stores: pip install 'helioport[s3]' (gcs, azure)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError, one_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["STORE_SCHEMES", "Config", "config_file_path", "normalise_base_url"]

#: object-store schemes read through fsspec (the backend is an extra: helioport[s3], [gcs], [azure])
STORE_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def config_file_path() -> Path:
    """Where the config file is read from: ``HELIOPORT_CONFIG``, else
    ``<user config dir>/helioport/config.toml`` (``$XDG_CONFIG_HOME`` on Linux).

    ``HELIOPORT_CONFIG`` must name a file that exists (a typo would otherwise
    silently drop every setting), or be ``os.devnull`` (``/dev/null``): no
    config file at all.

    Raises
    ------
    ConfigError
        ``HELIOPORT_CONFIG`` names nothing, or a folder.

    Examples
    --------
    >>> config_file_path()  # doctest: +SKIP
    PosixPath('/home/me/.config/helioport/config.toml')
    """
    env = os.environ.get("HELIOPORT_CONFIG")
    if env:
        path = Path(env).expanduser()
        if str(path) != os.devnull and not path.is_file():
            what = "a folder" if path.is_dir() else "nothing"
            raise ConfigError(
                f"HELIOPORT_CONFIG={env!r} names {what}; point it at a config file (TOML), "
                f"set it to {os.devnull} for no config file, or unset it to use "
                f"{Path(platformdirs.user_config_dir('helioport')) / 'config.toml'}"
            )
        return path
    return Path(platformdirs.user_config_dir("helioport")) / "config.toml"


def normalise_base_url(url: str) -> str:
    """A base URL ending in ``/``: ``https://``/``http://``/``file://`` and object-store URLs
    (``s3://bucket/prefix``, ``gs://``, ``az://``) kept, a folder path made absolute.

    Raises :class:`ConfigError` for schemes helioport cannot read from, and for a
    store URL without a bucket.

    Examples
    --------
    >>> normalise_base_url("S3://helio-public/omni")
    's3://helio-public/omni/'
    """
    text = str(url).strip()
    if not text:
        raise ConfigError(
            "an empty mirror URL was given; use https://..., file:///..., s3://... or a folder path"
        )
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https", "file", *STORE_SCHEMES):
            raise ConfigError(
                f"mirror URL {url!r} has scheme {scheme!r}; use an https:// server, a file:// URL, "
                "a folder path or an object store (s3://, gs://, az://)"
            )
        if scheme in STORE_SCHEMES:
            if not rest.strip("/"):
                raise ConfigError(f"mirror URL {url!r} names no bucket; use {scheme}://BUCKET/...")
            text = f"{scheme}://{rest}"
        if scheme == "file":
            text = Path(text[len("file://") :]).expanduser().resolve().as_uri()
    else:
        text = Path(text).expanduser().resolve().as_uri()
    return text if text.endswith("/") else text + "/"


class Config(BaseModel):
    """Resolved settings of one helioport call (immutable).

    Build it with :meth:`Config.load`, which merges keywords, environment and the
    config file.

    Network limits: ``timeout`` (seconds) bounds the connection and each wait
    for bytes; a file download slower than ``min_speed`` bytes/s over any
    ``speed_window`` seconds is cut and retried (``min_speed = 0`` turns this
    off), so a download of ``n`` bytes ends within about
    ``n / min_speed + 2 * speed_window`` seconds per attempt, whatever the
    server does. ``retries`` more attempts follow a failed one, ``backoff``
    seconds apart (doubling), or what ``Retry-After`` asks up to
    ``max_retry_after``. ``max_files`` is the largest number of files (or
    folder listings) one request may need before it stops and asks for the
    ``max_files=`` option.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cache_dir: Path
    offline: bool = False
    urls: dict[str, str] = Field(default_factory=dict)
    max_workers: int = Field(4, ge=1, le=64)
    per_host: int = Field(2, ge=1, le=16)
    retries: int = Field(4, ge=0, le=20)
    backoff: float = Field(1.0, ge=0.0)
    max_retry_after: float = Field(600.0, ge=0.0)
    timeout: float = Field(60.0, gt=0.0)
    min_speed: float = Field(1024.0, ge=0.0)
    speed_window: float = Field(30.0, gt=0.0)
    max_files: int = Field(5000, ge=1)
    progress: bool | None = None

    @classmethod
    def load(cls, **overrides: Any) -> Config:
        """Merge keyword overrides, environment variables and the config file.

        ``overrides`` with value ``None`` are ignored; ``urls`` given as a keyword
        is merged over the other sources key by key.
        """
        data: dict[str, Any] = {}
        path = config_file_path()
        if path.is_file():
            try:
                data.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        urls = {str(k).lower(): v for k, v in dict(data.pop("urls", {}) or {}).items()}
        env = os.environ
        if env.get("HELIOPORT_CACHE_DIR"):
            data["cache_dir"] = env["HELIOPORT_CACHE_DIR"]
        if "HELIOPORT_OFFLINE" in env:
            data["offline"] = _env_bool("HELIOPORT_OFFLINE", env["HELIOPORT_OFFLINE"])
        for name, value in env.items():
            if name.startswith("HELIOPORT_") and name.endswith("_URL") and value.strip():
                key = name[len("HELIOPORT_") : -len("_URL")].lower()
                if key:
                    urls[key] = value
        kw_urls = overrides.pop("urls", None) or {}
        for k, v in overrides.items():
            if v is not None:
                data[k] = v
        urls.update({str(k).lower(): v for k, v in dict(kw_urls).items()})
        data["urls"] = {k: normalise_base_url(v) for k, v in urls.items()}
        data.setdefault("cache_dir", platformdirs.user_cache_dir("helioport"))
        try:
            cfg = cls(**data)
        except ValidationError as exc:
            where = (
                f"config file {path}" if path.is_file() else "keywords and HELIOPORT_* environment"
            )
            raise ConfigError(f"invalid helioport settings from {where}: {one_line(exc)}") from None
        return cfg.model_copy(update={"cache_dir": Path(cfg.cache_dir).expanduser().resolve()})

    def base_url(self, key: str, default: str) -> str:
        """The base URL of source ``key``: a configured mirror, else ``default``."""
        return self.urls.get(key.lower(), normalise_base_url(default))


def _env_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no")


def describe(cfg: Config) -> Mapping[str, Any]:
    """Plain-data view of the settings (for ``helioport cache info``)."""
    return {
        "config_file": str(config_file_path()),
        "cache_dir": str(cfg.cache_dir),
        "offline": cfg.offline,
        "urls": dict(cfg.urls),
    }
