"""A real S3 API on 127.0.0.1 for tests: moto's server, with helpers to fill buckets (public).

:class:`S3Server` starts moto's ``ThreadedMotoServer`` on a free port and
stops it on exit; point helioport at it with ``AWS_ENDPOINT_URL_S3`` (the
``s3_server`` fixture of :mod:`helioport.testing.pytest_plugin` does). Buckets
are made public-read by default (a bucket policy letting anyone list and
read), like the public HelioCloud bucket, so anonymous requests work. The
server counts the requests it answers per S3 operation (:attr:`S3Server.counts`).
moto keeps one state per process: buckets outlive a server; :meth:`S3Server.reset`
empties it.

Needs ``moto[server]`` (in helioport's ``test`` extra) and ``boto3``.

Examples
--------
>>> with S3Server() as s3:                                        # doctest: +SKIP
...     s3.make_bucket("helio-public")
...     s3.upload_folder(sample_root, "s3://helio-public/omni/")
...     os.environ["AWS_ENDPOINT_URL_S3"] = s3.endpoint
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from typing_extensions import Self

__all__ = ["S3Server"]

#: keys and region the helpers sign with (moto accepts any)
_KEYS = {
    "aws_access_key_id": "helioport-test",
    "aws_secret_access_key": "helioport-test-secret",
    "region_name": "us-east-1",
}
# moto authorizes an anonymous HEAD as "s3:HeadObject" (AWS as s3:GetObject): both are allowed
_PUBLIC_ACTIONS = ["s3:GetObject", "s3:HeadObject", "s3:ListBucket", "s3:GetBucketLocation"]


class S3Server:
    """moto's S3 server on 127.0.0.1 (a free port), as a context manager.

    Attributes
    ----------
    endpoint : str
        ``http://127.0.0.1:<port>``, for ``AWS_ENDPOINT_URL_S3``.
    counts : collections.Counter
        Requests answered so far, by operation (``"ListObjectsV2"``,
        ``"GetObject"``, ``"HeadObject"``...); :meth:`reset_counts` clears it.
    """

    def __init__(self) -> None:
        self.port = 0
        self.endpoint = ""
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: Any = None

    def start(self) -> Self:
        """Start the server (quiet: moto's and werkzeug's request logs are silenced)."""
        from moto.server import ThreadedMotoServer

        for name in ("werkzeug", "moto", "botocore", "boto3", "s3fs", "aiobotocore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._install_counter()
        return self

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _install_counter(self) -> None:
        """Count each request by S3 operation, as the server answers it."""
        app = self._server._server.app  # the werkzeug WSGI application moto serves
        counts, lock = self.counts, self._lock

        def counting(environ: dict, start_response: Any) -> Any:
            with lock:
                counts[_operation(environ)] += 1
            return app(environ, start_response)

        self._server._server.app = counting

    def reset_counts(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self.counts.clear()

    def reset(self) -> None:
        """Remove every bucket and forget the counts (moto's state is one per process)."""
        import requests

        requests.post(f"{self.endpoint}/moto-api/reset", timeout=30).raise_for_status()
        self.reset_counts()

    # -- contents ------------------------------------------------------------------
    def client(self) -> Any:
        """A boto3 S3 client on this server, with test credentials."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, **_KEYS)

    def make_bucket(self, name: str, *, public: bool = True) -> None:
        """Create bucket ``name``; ``public`` lets anyone list and read it (bucket policy)."""
        client = self.client()
        client.create_bucket(Bucket=name)
        if public:
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": _PUBLIC_ACTIONS,
                        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    }
                ],
            }
            client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))

    def upload_folder(self, folder: Path, url: str) -> list[str]:
        """Upload every file under ``folder`` to ``s3://bucket/prefix/`` (same layout); return
        the keys written."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        client = self.client()
        keys = []
        root = Path(folder)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            key = f"{prefix}/{rel}" if prefix else rel
            client.upload_file(str(path), bucket, key)
            keys.append(key)
        return keys

    def put(self, url: str, data: bytes) -> None:
        """Write one object ``s3://bucket/key``."""
        bucket, _, key = url.removeprefix("s3://").partition("/")
        self.client().put_object(Bucket=bucket, Key=key, Body=data)


def _operation(environ: dict) -> str:
    """The S3 operation of a request, roughly: enough to count listings and reads."""
    method = environ.get("REQUEST_METHOD", "")
    path = environ.get("PATH_INFO", "/").strip("/")
    query = environ.get("QUERY_STRING", "")
    if method == "GET" and "/" not in path:
        return "ListObjectsV2" if "list-type=2" in query else "ListObjects"
    if method == "GET":
        return "GetObject"
    if method == "HEAD":
        return "HeadObject" if "/" in path else "HeadBucket"
    if method == "PUT":
        return "PutObject" if "/" in path else "PutBucket"
    return method
