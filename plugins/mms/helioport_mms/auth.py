"""MMS team (non-public) access: credentials and the SDC team API.

The LASP SDC serves public data under ``.../mms/sdc/public/files/api/v1/``
and, to logged-in team members, everything (also not yet released files)
under ``.../mms/sdc/sitl/files/api/v1/`` with HTTP Basic authentication (the
path pySPEDAS' ``mms_login_lasp`` uses). Here:

- credentials come from ``HELIOPORT_MMS_USER`` and ``HELIOPORT_MMS_PASSWORD``,
  or, with only the user set, from the system keyring (service
  ``helioport-mms``, optional ``keyring`` package);
- they are never logged, never part of a URL, a cache key or a
  :class:`~helioport.schema.RemoteFile`; :class:`Credentials` hides the
  password in its ``repr``;
- they reach the server only through the transport:
  :meth:`~helioport.transport.ArchiveContext.register_auth` attaches them to
  requests under the team API.

The request option ``team`` chooses: ``None`` (default) uses team access when
credentials are set, ``False`` always the public API, ``True`` requires it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helioport.errors import ConfigError, InvalidRequestError
from helioport.transport import ArchiveContext

__all__ = ["KEYRING_SERVICE", "Credentials", "find_credentials", "team_base_url"]

log = logging.getLogger(__name__)

KEYRING_SERVICE = "helioport-mms"
ENV_USER = "HELIOPORT_MMS_USER"
ENV_PASSWORD = "HELIOPORT_MMS_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    """An SDC user name and password; the password never shows in ``repr`` or ``str``.

    Examples
    --------
    >>> Credentials("alice", "secret")
    Credentials(user='alice', password='***')
    """

    user: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password='***')"

    __str__ = __repr__

    def as_tuple(self) -> tuple[str, str]:
        """``(user, password)``, the form ``requests`` takes for Basic authentication."""
        return (self.user, self.password)


def _from_keyring(user: str) -> str | None:
    try:
        import keyring  # optional dependency
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # noqa: BLE001 - any keyring backend failure means "no password"
        log.info("keyring lookup for %s failed: %s", KEYRING_SERVICE, type(exc).__name__)
        return None


def find_credentials(env: Mapping[str, str] | None = None) -> Credentials | None:
    """MMS SDC credentials from the environment (or the keyring), ``None`` when not set.

    Parameters
    ----------
    env
        Environment to read (default :data:`os.environ`).

    Raises
    ------
    ConfigError
        The user is set but no password is found in the environment or keyring.

    Examples
    --------
    >>> find_credentials({}) is None
    True
    >>> find_credentials({"HELIOPORT_MMS_USER": "alice", "HELIOPORT_MMS_PASSWORD": "pw"}).user
    'alice'
    """
    env = os.environ if env is None else env
    user = (env.get(ENV_USER) or "").strip()
    if not user:
        return None
    password = env.get(ENV_PASSWORD) or _from_keyring(user)
    if not password:
        raise ConfigError(
            f"{ENV_USER} is set but no password was found: set {ENV_PASSWORD}, or store it with "
            f"`keyring set {KEYRING_SERVICE} {user}` (pip install keyring), or unset {ENV_USER} "
            "for public data"
        )
    return Credentials(user, password)


def team_base_url(
    ctx: ArchiveContext, options: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> str | None:
    """The SDC team API base when team access applies, else ``None``.

    Registers the credentials with the transport (``ctx.register_auth``) for
    URLs under the team base; they are never put into URLs.

    Raises
    ------
    InvalidRequestError
        ``team=True`` was asked without credentials.
    """
    want = options.get("team")
    if want is False:
        return None
    creds = find_credentials(env)
    if creds is None:
        if want:
            raise InvalidRequestError(
                f"team=True needs MMS SDC credentials: set {ENV_USER} and {ENV_PASSWORD} "
                f"(or the keyring entry {KEYRING_SERVICE!r})"
            )
        return None
    base = ctx.base_url("mms_sdc_team")
    ctx.register_auth(base, creds.as_tuple())
    log.info("MMS SDC team access as user %s", creds.user)
    return base
