"""Who may stop a job from the dashboard: control switched on, the launch token, the same origin.

A stop is a POST that carries the token printed at launch (header
``X-Datamill-Token``, form field or JSON field ``token``). A browser's request
must also come from the dashboard's own pages: its ``Origin`` (or, without one,
its ``Referer``) must name the host the request was sent to, so another site
open in the same browser cannot post a stop. A client that is not a browser
sends neither and is judged by its token alone.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from datamill.errors import ConfigError

TOKEN_HEADER = "X-Datamill-Token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token chosen by the user."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} would serve the dashboard to other machines, so it needs --token TOKEN "
            "(a secret of your own, asked for by every stop); or keep the default --host 127.0.0.1 "
            "and reach it through an SSH tunnel (ssh -L 8765:127.0.0.1:8765 HOST)."
        )


def token_ok(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def same_origin(host: str | None, origin: str | None, referer: str | None) -> bool:
    """Whether a request's ``Origin`` (else ``Referer``) names ``host`` (the ``Host``
    header); true when it has neither (not a browser)."""
    source = origin if origin is not None else referer
    if source is None:
        return True
    if not host or source == "null":
        return False
    return urlsplit(source).netloc.lower() == host.lower()
