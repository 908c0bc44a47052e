"""The fsspec filesystem of a URL: folders, ``file://``, ``s3://``, ``gs://``, ``az://``.

:func:`filesystem` gives one instance per protocol and settings per process
(thread-safe), created on first use, so ``s3fs`` is imported only when an
``s3://`` URL is used; a missing backend is a :class:`ConfigError` naming the
extra to install.

Google Cloud Storage (``gs://``) and Azure (``az://``, ``abfs://``) get the
same bounds where their backends accept them (gcsfs: each request's connection
and reads; adlfs: connection and reads of whole-object calls); their own
retries cannot be turned off through gcsfs or adlfs.

S3 follows the AWS conventions: the endpoint is ``AWS_ENDPOINT_URL_S3``, else
``AWS_ENDPOINT_URL`` (else AWS itself), passed to the client explicitly;
``AWS_PROFILE`` and the other credential sources work as in botocore; when none
gives credentials, requests are anonymous (public buckets). Connections and
reads wait at most ``config.timeout``; botocore and s3fs do not retry by
themselves (the transport's :func:`~helioport.transport.retry.with_retries`
does, with its backoff), so an unreachable endpoint fails within seconds.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..config import STORE_SCHEMES
from ..errors import ConfigError
from .listing import url_to_path

if TYPE_CHECKING:  # fsspec is imported when a store or file:// URL is first read (import cost)
    from fsspec.spec import AbstractFileSystem

__all__ = [
    "anonymous",
    "bucket_of",
    "described",
    "endpoint_of",
    "filesystem",
    "is_http",
    "is_local",
    "is_s3",
    "scheme_of",
    "store_host",
    "store_path",
]

log = logging.getLogger(__name__)

#: scheme -> (fsspec protocol, module of the backend, helioport extra that installs it)
_BACKENDS: dict[str, tuple[str, str, str]] = {
    "s3": ("s3", "s3fs", "s3"),
    "s3a": ("s3", "s3fs", "s3"),
    "gs": ("gcs", "gcsfs", "gcs"),
    "gcs": ("gcs", "gcsfs", "gcs"),
    "az": ("az", "adlfs", "azure"),
    "abfs": ("abfs", "adlfs", "azure"),
    "abfss": ("abfs", "adlfs", "azure"),
}
_lock = threading.Lock()
_INSTANCES_MAX = 16
_instances: OrderedDict[tuple, AbstractFileSystem] = OrderedDict()
_credentials: dict[str, bool] = {}


def is_http(url: str) -> bool:
    """Whether ``url`` is an ``http(s)`` URL (served by the HTTP sessions, not by fsspec)."""
    return url.lower().startswith(("http://", "https://"))


def scheme_of(url: str) -> str:
    """``"file"`` for a folder path or ``file://`` URL, else the URL's scheme in lower case.

    Examples
    --------
    >>> scheme_of("/srv/omni/"), scheme_of("file:///srv/omni/"), scheme_of("S3://b/k")
    ('file', 'file', 's3')
    """
    if "://" not in url:
        return "file"
    return url.split("://", 1)[0].lower()


def is_local(url: str) -> bool:
    """Whether ``url`` is a folder path or a ``file://`` URL."""
    return scheme_of(url) == "file"


def store_path(url: str) -> str:
    """The path fsspec knows ``url`` by: the local path, or ``bucket/key`` (unquoted).

    Examples
    --------
    >>> store_path("s3://helio-public/omni/a%2Bb_v01.cdf")
    'helio-public/omni/a+b_v01.cdf'
    """
    if is_local(url):
        return str(url_to_path(url))
    return unquote(url.split("://", 1)[1]).rstrip("/")


def bucket_of(url: str) -> str:
    """The bucket (container) of a store URL."""
    return store_path(url).split("/", 1)[0]


def endpoint_of(scheme: str) -> str | None:
    """The S3 endpoint configured for ``scheme`` (``AWS_ENDPOINT_URL_S3``, else
    ``AWS_ENDPOINT_URL``); ``None`` for AWS itself and for other stores."""
    if _BACKENDS.get(scheme, ("",))[0] != "s3":
        return None
    env = os.environ
    value = (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").strip()
    return value or None


def store_host(url: str) -> str:
    """The server ``url`` is read from, for messages: the S3 endpoint's host, else the service.

    Examples
    --------
    >>> store_host("gs://bucket/x")
    'Google Cloud Storage'
    """
    scheme = scheme_of(url)
    if scheme == "file":
        return "the local file system"
    endpoint = endpoint_of(scheme)
    if endpoint:
        return urlsplit(endpoint).netloc or endpoint
    protocol = _BACKENDS.get(scheme, (scheme,))[0]
    return {"s3": "AWS S3", "gcs": "Google Cloud Storage"}.get(protocol, "Azure storage")


def described(url: str) -> str:
    """The server of ``url`` with where it was configured (for messages)."""
    host = store_host(url)
    endpoint = endpoint_of(scheme_of(url))
    if endpoint is None:
        return host
    name = "AWS_ENDPOINT_URL_S3" if os.environ.get("AWS_ENDPOINT_URL_S3") else "AWS_ENDPOINT_URL"
    return f"{host} (the S3 endpoint {name}={endpoint})"


# -- filesystems -------------------------------------------------------------------
def filesystem(url: str, *, timeout: float = 60.0) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem serving ``url`` and the path of ``url`` on it.

    One instance per protocol and settings per process (thread-safe), created
    on first use; the backend module (``s3fs``, ``gcsfs``, ``adlfs``) is
    imported then.

    Raises
    ------
    ConfigError
        The scheme is not one helioport reads, or its backend is not installed
        (the message names the extra: ``pip install 'helioport[s3]'``), or the
        AWS settings are broken (``AWS_PROFILE`` naming no profile).

    Examples
    --------
    >>> fs, path = filesystem("file:///srv/omni/hro_1min/")
    >>> path
    '/srv/omni/hro_1min'
    """
    import fsspec

    scheme = scheme_of(url)
    if scheme == "file":
        return fsspec.filesystem("file"), store_path(url)
    if scheme not in _BACKENDS:
        raise ConfigError(
            f"cannot read {url}: helioport reads https://, file://, folders and "
            f"{', '.join(sorted(s + '://' for s in STORE_SCHEMES))}"
        )
    protocol, module, extra = _BACKENDS[scheme]
    options, fingerprint = _options(protocol, timeout)
    key = (os.getpid(), protocol, fingerprint, repr(sorted(options.items())))
    with _lock:
        fs = _instances.get(key)
    if fs is None:
        fs = _create(protocol, module, extra, options, scheme)
        with _lock:
            fs = _instances.setdefault(key, fs)
            while len(_instances) > _INSTANCES_MAX:  # settings changed many times (tests)
                _instances.popitem(last=False)
    return fs, store_path(url)


def _create(
    protocol: str, module: str, extra: str, options: dict[str, Any], scheme: str
) -> AbstractFileSystem:
    try:
        importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{scheme}:// needs {module}: pip install 'helioport[{extra}]'") from None
    import fsspec

    fs = fsspec.filesystem(protocol, skip_instance_cache=True, **options)
    if protocol == "s3":
        fs.retries = 1  # one try per call: helioport's with_retries retries, with its backoff
    return fs


def _options(protocol: str, timeout: float) -> tuple[dict[str, Any], str]:
    """The filesystem's keyword arguments and a digest of the settings they came from."""
    if protocol == "gcs":
        return _gcs_options(timeout), _env_fingerprint(("GOOGLE_", "GCSFS_", "STORAGE_EMULATOR"))
    if protocol in ("az", "abfs"):
        # adlfs forwards these to whole-object calls (cat_file, get); its range reads and
        # its retries (azure-core's policy) are not configurable through adlfs
        seconds = max(1, round(timeout))
        options = {"connection_timeout": seconds, "read_timeout": seconds}
        return options, _env_fingerprint(("AZURE_",))
    if protocol != "s3":
        return {}, ""
    fingerprint = _aws_fingerprint()
    profile = os.environ.get("AWS_PROFILE") or None
    anon = not _has_aws_credentials(profile, fingerprint)
    options: dict[str, Any] = {
        "anon": anon,
        "use_listings_cache": False,
        "config_kwargs": {
            "connect_timeout": timeout,
            "read_timeout": timeout,
            "retries": {"max_attempts": 1, "mode": "standard"},
        },
    }
    endpoint = endpoint_of("s3")
    if endpoint:
        options["client_kwargs"] = {"endpoint_url": endpoint}
    if profile and not anon:
        options["profile"] = profile
    return options, fingerprint


def _gcs_options(timeout: float) -> dict[str, Any]:
    """gcsfs's settings: every request waits at most ``timeout`` to connect and per read.

    gcsfs passes ``requests_timeout`` to each aiohttp request; an
    ``aiohttp.ClientTimeout`` bounds the connection and each wait for bytes
    (a bare number would bound the whole request). gcsfs retries 5xx, 429 and
    timeouts itself (up to 6 tries; the count is fixed in gcsfs) before
    helioport's own retries.
    """
    try:
        import aiohttp
    except ImportError:  # gcsfs is missing too: _create says which extra to install
        return {"requests_timeout": timeout}
    return {"requests_timeout": aiohttp.ClientTimeout(sock_connect=timeout, sock_read=timeout)}


def _env_fingerprint(prefixes: tuple[str, ...]) -> str:
    """A digest of the environment variables starting with ``prefixes`` (a backend's settings:
    a new instance is made when they change)."""
    found = sorted((k, v) for k, v in os.environ.items() if k.startswith(prefixes))
    return hashlib.sha256(repr(found).encode()).hexdigest()


def _aws_fingerprint() -> str:
    """A digest of the ``AWS_*`` settings (they decide endpoint and credentials)."""
    return _env_fingerprint(("AWS_",))


def _has_aws_credentials(profile: str | None, fingerprint: str) -> bool:
    """Whether botocore finds credentials (environment, profile, SSO, instance role...)."""
    with _lock:
        if fingerprint in _credentials:
            return _credentials[fingerprint]
    try:
        import botocore.exceptions
        import botocore.session
    except ImportError:
        raise ConfigError("s3:// needs s3fs: pip install 'helioport[s3]'") from None
    try:
        found = botocore.session.Session(profile=profile).get_credentials() is not None
    except botocore.exceptions.ProfileNotFound:
        raise ConfigError(
            f"AWS_PROFILE={profile!r} names no profile of the AWS config files "
            "(~/.aws/config, ~/.aws/credentials); fix or unset AWS_PROFILE (public buckets "
            "are read anonymously)"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(
            f"the AWS credentials cannot be read ({exc}); fix the AWS settings (AWS_PROFILE, "
            "~/.aws/config), or remove them to read public buckets anonymously"
        ) from None
    log.info("s3: %s", "credentials found" if found else "no credentials: anonymous requests")
    with _lock:
        _credentials[fingerprint] = found
    return found


def anonymous() -> bool:
    """Whether S3 requests go out anonymously (no credentials found)."""
    return not _has_aws_credentials(os.environ.get("AWS_PROFILE") or None, _aws_fingerprint())


def is_s3(url: str) -> bool:
    """Whether ``url`` is read through s3fs (``s3://``, ``s3a://``)."""
    return _BACKENDS.get(scheme_of(url), ("",))[0] == "s3"
