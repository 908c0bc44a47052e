"""What the failures of folders and object stores mean, as helioport errors.

:func:`store_error` turns what an fsspec backend raises (botocore, aiohttp,
gcsfs, google-auth, azure-core, OS errors) into a :class:`Transient` (another
try may cure it; ``unreachable`` when the endpoint cannot be reached), a
:class:`ConfigError` (no such bucket, unusable credentials) or a final
:class:`DownloadError` (refused; ``missing`` set when the file does not
exist, :func:`missing_file`). Backend errors are recognised by module and
class name, so no backend is imported to recognise its errors.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

from ..errors import ConfigError, DownloadError, HelioportError
from .retry import Transient, connection_failure, failure
from .storefs import anonymous, bucket_of, described, is_local, is_s3, scheme_of, store_host

__all__ = [
    "backend_errors",
    "bucket_missing",
    "error_chain",
    "error_codes",
    "missing_file",
    "store_error",
]

_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "TooManyRequests",
    "503",
    "500",
    "502",
    "504",
}
_TRANSIENT_TYPES = {
    "ReadTimeoutError",
    "ReadTimeout",
    "TimeoutError",
    "timeout",
    "FSTimeoutError",
    "ConnectionResetError",
    "ConnectionClosedError",
    "IncompleteRead",
    "IncompleteReadError",
    "ClientPayloadError",
    "ServerDisconnectedError",
    "ResponseParserError",
    "BrokenPipeError",
}
_NO_BUCKET = {"NoSuchBucket", "ContainerNotFound"}
_UNREACHABLE_TYPES = {"EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError"}


#: the backends' error classes, by module and name (caught once the backend is loaded)
_BACKEND_ERRORS = (
    ("botocore.exceptions", ("BotoCoreError", "ClientError")),
    ("aiohttp", ("ClientError",)),
    ("gcsfs.retry", ("HttpError", "ChecksumError")),
    ("google.auth.exceptions", ("GoogleAuthError",)),
    ("azure.core.exceptions", ("AzureError",)),
)
_GOOGLE = "google.auth.exceptions."
_AZURE = "azure.core.exceptions."


def backend_errors() -> tuple[type[BaseException], ...]:
    """What fsspec backends raise: OS errors, timeouts, and the errors of the backend libraries
    loaded so far (botocore, aiohttp, gcsfs, google-auth, azure-core), none imported here."""
    found: list[type[BaseException]] = [OSError, TimeoutError, asyncio.TimeoutError, ValueError]
    for module, names in _BACKEND_ERRORS:
        mod = sys.modules.get(module)
        for name in names if mod is not None else ():
            cls = getattr(mod, name, None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                found.append(cls)
    return tuple(found)


def bucket_missing(exc: BaseException) -> bool:
    """Whether ``exc`` says the bucket (container) itself does not exist."""
    return bool(error_codes(exc)[0] & _NO_BUCKET)


def missing_file(message: str) -> DownloadError:
    """A final :class:`DownloadError` saying the file does not exist (HTTP 404/410, no such
    object or file), with ``missing`` set: unlike a refusal (403) or a broken answer, a
    caller may take it as the absence of the file.

    Examples
    --------
    >>> err = missing_file("s3://b/x_2009.csv does not exist")
    >>> err.missing, err.transient
    (True, False)
    """
    err = failure(DownloadError, message, transient=False)
    err.missing = True  # type: ignore[attr-defined]
    return err


def error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [v for v in getattr(e, "kwargs", {}).values() if isinstance(v, BaseException)]


def error_codes(exc: BaseException) -> tuple[set[str], int | None]:
    """The error codes (``NoSuchBucket``, ``SlowDown``, ``ContainerNotFound``) and the HTTP
    status in ``exc``'s chain (botocore's ``response``, gcsfs's ``code``, azure-core's
    ``status_code`` and ``error_code``, aiohttp's ``status``)."""
    codes: set[str] = set()
    statuses: list[object] = []
    for e in error_chain(exc):
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
            if code:
                codes.add(str(code))
            statuses.append((response.get("ResponseMetadata") or {}).get("HTTPStatusCode"))
        kinds = _kinds(e)
        if "gcsfs.retry.HttpError" in kinds:
            statuses.append(getattr(e, "code", None))
        if _AZURE + "HttpResponseError" in kinds:
            statuses.append(getattr(e, "status_code", None))
            if getattr(e, "error_code", None):
                codes.add(str(e.error_code))  # type: ignore[attr-defined]
        if "aiohttp.client_exceptions.ClientResponseError" in kinds:
            statuses.append(getattr(e, "status", None))
    status = next((int(x) for x in statuses if str(x).isdigit()), None)
    return codes, status


def _kinds(exc: BaseException) -> set[str]:
    """``module.Name`` of the class of ``exc`` and of its bases (errors matched by name, so
    that no backend is imported to recognise its errors)."""
    return {f"{c.__module__}.{c.__name__}" for c in type(exc).__mro__}


def store_error(exc: BaseException, url: str, *, what: str = "read") -> Exception:
    """What a failure of the store means: a :class:`Transient` (another try may cure it; an
    unreachable endpoint has ``unreachable`` set) or a final helioport error naming ``url``.

    ``FileNotFoundError`` is not mapped here: the callers know what a missing path means.
    """
    if isinstance(exc, (Transient, HelioportError)):
        return exc
    host = store_host(url)
    names = {type(e).__name__ for e in error_chain(exc)}
    kinds = set().union(*(_kinds(e) for e in error_chain(exc)))
    codes, status = error_codes(exc)
    if codes & _NO_BUCKET:
        return _no_bucket(url, host)
    if names & {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}:
        return ConfigError(
            f"cannot {what} {url}: the AWS credentials are incomplete ({exc}); set "
            "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or remove them to read "
            "public buckets anonymously"
        )
    cloud = _cloud_error(exc, kinds, url, what)
    if cloud is not None:
        return cloud
    if names & _UNREACHABLE_TYPES or "ConnectionRefusedError" in names or "gaierror" in names:
        found = connection_failure(exc, url)
        reason = found.cause.partition(": ")[2] if found.unreachable else str(exc)
        return Transient(f"cannot reach {described(url)}: {reason}", unreachable=True)
    if codes & _TRANSIENT_CODES or (status is not None and (status >= 500 or status in (408, 429))):
        return Transient(f"{host} answered {status or ''} {'/'.join(sorted(codes))}".strip())
    if names & _TRANSIENT_TYPES:
        return Transient(f"{type(exc).__name__} talking to {host}: {exc}")
    if (
        isinstance(exc, PermissionError)
        or status in (401, 403)
        or "AccessDenied" in codes
        or _forbidden(exc)
    ):
        return _refused(url, host, what)
    if status in (404, 410) or _AZURE + "ResourceNotFoundError" in kinds:
        return missing_file(f"{url} does not exist ({host}); check the URL or the mirror")
    return failure(
        DownloadError,
        f"cannot {what} {url} ({host}): {type(exc).__name__}: {exc}",
        transient=False,
    )


def _no_bucket(url: str, host: str) -> ConfigError:
    where = (
        "the endpoint (AWS_ENDPOINT_URL_S3)"
        if is_s3(url)
        else "the storage account (AZURE_STORAGE_ACCOUNT_NAME)"
        if scheme_of(url) in ("az", "abfs", "abfss")
        else "the project's buckets"
    )
    return ConfigError(
        f"the bucket {bucket_of(url)!r} does not exist at {host} ({url}); check the URL "
        f"(base_url= or HELIOPORT_<SOURCE>_URL) and {where}"
    )


def _cloud_error(exc: BaseException, kinds: set[str], url: str, what: str) -> Exception | None:
    """Google's and Azure's failures that their status codes do not tell (sign-in, connection)."""
    host = store_host(url)
    if _GOOGLE + "TransportError" in kinds:
        return Transient(f"cannot reach Google's sign-in service for {host}: {exc}")
    if _GOOGLE + "GoogleAuthError" in kinds:
        return ConfigError(
            f"cannot {what} {url}: the Google Cloud credentials cannot be used ({exc}); set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or run `gcloud auth "
            "application-default login` (public buckets are read anonymously when no "
            "credentials are found)"
        )
    if _AZURE + "ClientAuthenticationError" in kinds:
        return _refused(url, host, what)
    if _AZURE + "ServiceRequestError" in kinds:  # the request could not be sent
        return Transient(f"cannot reach {host}: {type(exc).__name__}: {exc}", unreachable=True)
    if _AZURE + "ServiceResponseError" in kinds:  # the connection broke while answering
        return Transient(f"{type(exc).__name__} talking to {host}: {exc}")
    return None


def _forbidden(exc: BaseException) -> bool:
    """gcsfs's answer to a 403: a plain ``OSError("Forbidden: <path>...")``."""
    return any(type(e) is OSError and str(e).startswith("Forbidden") for e in error_chain(exc))


def _refused(url: str, host: str, what: str) -> DownloadError:
    if is_local(url):
        return failure(
            DownloadError,
            f"cannot {what} {url}: permission denied; check the mirror folder's permissions",
            transient=False,
        )
    if scheme_of(url) in ("gs", "gcs"):
        hint = (
            "check the Google Cloud credentials (GOOGLE_APPLICATION_CREDENTIALS, or `gcloud auth "
            "application-default login`) and their rights on this bucket"
        )
    elif not is_s3(url):
        hint = (
            "check the Azure credentials (AZURE_STORAGE_ACCOUNT_NAME with "
            "AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN or "
            "AZURE_STORAGE_CONNECTION_STRING) and their rights on this container"
        )
    elif anonymous():
        hint = (
            "no credentials were found, so the request was anonymous: set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for a private bucket"
        )
    else:
        hint = "check that the credentials in use may read this bucket"
    return failure(
        DownloadError, f"cannot {what} {url}: {host} refused access (403); {hint}", transient=False
    )
