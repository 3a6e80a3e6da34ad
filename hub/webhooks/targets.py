"""Where webhooks may go: https to public addresses only, unless ``HUB_WEBHOOKS_ALLOW_PRIVATE`` says otherwise.

A URL is checked when it is registered (its name must resolve to allowed addresses only) and again
at every send: the HTTP session built here refuses a connection whose *connected* peer address is
not allowed, so a name that resolves to a public address at registration and to 127.0.0.1 later
(DNS rebinding) is refused at the socket, after resolution, with no window in between.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

MAX_URL_LENGTH = 2000


class TargetError(ValueError):
    """A URL webhooks may not be sent to; the message says why."""

    field = "url"


def address_problem(address: str, allow_private: bool) -> str | None:
    """Why ``address`` (an IP) may not be connected to, or None when it may."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a host address"
    if allow_private:
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if not ip.is_global:  # private, shared (CGNAT), reserved, documentation ranges
        return f"{ip} is a private or reserved address"
    return None


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise TargetError(f"the host {host!r} cannot be resolved ({err})") from None
    return sorted({info[4][0] for info in infos})


def check_url(url: str, allow_private: bool, *, resolve_host: bool = True) -> str:
    """The URL, stripped, when webhooks may be sent to it; raises TargetError otherwise."""
    url = (url or "").strip()
    if not url:
        raise TargetError("enter the endpoint's URL")
    if len(url) > MAX_URL_LENGTH:
        raise TargetError(f"the URL has more than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as err:
        raise TargetError(f"{url!r} is not a valid URL ({err})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetError("the URL must start with https:// and name a host")
    if parts.username or parts.password:
        raise TargetError("the URL must not carry a user name or password")
    if parts.fragment:
        raise TargetError("the URL must not have a #fragment")
    if not resolve_host:
        return url
    addresses = resolve(parts.hostname, port)
    problems = [p for p in (address_problem(a, allow_private) for a in addresses) if p]
    if problems:
        raise TargetError(f"{parts.hostname} resolves to a blocked address: {problems[0]} "
                          "(set HUB_WEBHOOKS_ALLOW_PRIVATE=1 to allow private targets)")
    if parts.scheme == "http" and not (allow_private and all(_is_private(a) for a in addresses)):
        # plain http only reaches a receiver on this machine or network, and only when allowed
        raise TargetError("the URL must use https:// (http:// is allowed only for private targets "
                          "with HUB_WEBHOOKS_ALLOW_PRIVATE=1)")
    return url


def _is_private(address: str) -> bool:
    return address_problem(address, allow_private=False) is not None


class BlockedAddressError(NewConnectionError):
    """The connection reached an address webhooks may not go to."""


def _guarded(base: type, allow_private: bool) -> type:
    class Guarded(base):
        def _new_conn(self):
            sock = super()._new_conn()
            peer = sock.getpeername()[0]
            problem = address_problem(peer, allow_private)
            if problem:
                sock.close()
                raise BlockedAddressError(self, f"blocked address: {problem}")
            return sock

    return Guarded


@lru_cache(maxsize=2)
def _pool_classes(allow_private: bool) -> dict[str, type]:
    http_pool = type("GuardedHTTPPool", (HTTPConnectionPool,),
                     {"ConnectionCls": _guarded(HTTPConnection, allow_private)})
    https_pool = type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                      {"ConnectionCls": _guarded(HTTPSConnection, allow_private)})
    return {"http": http_pool, "https": https_pool}


class GuardedAdapter(HTTPAdapter):
    """An adapter whose connections check the peer address they reached, and never retry."""

    def __init__(self, allow_private: bool, pool_maxsize: int = 10) -> None:
        self._allow_private = allow_private
        super().__init__(max_retries=0, pool_maxsize=pool_maxsize)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._allow_private)


def guarded_session(allow_private: bool, pool_maxsize: int = 10) -> requests.Session:
    """A session for sending webhooks: guarded connections, no proxies or netrc from the environment."""
    session = requests.Session()
    session.trust_env = False  # a proxy would be connected to instead of the checked peer
    adapter = GuardedAdapter(allow_private, pool_maxsize)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
