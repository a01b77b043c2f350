"""Calling a broker's API endpoint once (USE-03), refusing private targets: the only network I/O in compliance/.

The checklist never calls this; the marketplace runs it in a job and passes the result in as
`ProductFacts.api_check`. Guarded against server-side request forgery: every address the host resolves
to must be public, the connection goes to the address that was checked (no second lookup a rebinding DNS
server could answer differently), and redirects are reported, never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[..., list[tuple[Any, ...]]]
READ_CAP = 64 * 1024
USER_AGENT = "data-exchange-compliance-check/1"
# A server that trickles bytes could keep each read inside the timeout for ever; the whole call is cut
# off at this multiple of the timeout.
DEADLINE_FACTOR = 3
_HEAD_REFUSED = (405, 501)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EndpointRefused(Exception):
    """A URL the check will not call: wrong scheme, no host, or a non-public address."""


def address_is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `ip` is a globally routable unicast address; IPv6 forms embedding IPv4 are judged by that."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
            return address_is_public(ip.ipv4_mapped)
        if ip in _NAT64:  # the last 32 bits are the IPv4 target
            return address_is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_is_public(embedded):
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def _result(
    url: str, started: float, *, reachable: bool = False, status: int | None = None, error: str | None = None,
    address: str = "",
) -> dict[str, Any]:  # fmt: skip
    return {
        "url": url,
        "reachable": reachable,
        "status": status,
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        "error": error,
        "address": address,
    }


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; EndpointRefused otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise EndpointRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        what = repr(parts.scheme) if parts.scheme else "a relative URL"
        raise EndpointRefused(f"only http and https URLs are called, not {what}")
    if not parts.hostname:
        raise EndpointRefused("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _addresses(host: str, port: int, resolver: Resolver) -> list[tuple[int, tuple[Any, ...]]]:
    """(family, sockaddr) for every address of `host`, in the resolver's order, without duplicates."""
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise EndpointRefused(f"the host {host} cannot be resolved: {exc}") from exc
    seen: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            seen.setdefault(str(sockaddr[0]), (family, sockaddr))
    if not seen:
        raise EndpointRefused(f"the host {host} has no IPv4 or IPv6 address")
    return list(seen.values())


def _ip(sockaddr: tuple[Any, ...]) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to one fixed socket address, whatever the Host header says."""

    def __init__(self, host: str, port: int, sockaddr: tuple[Any, ...], family: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._sockaddr, self._family = sockaddr, family

    def _open(self) -> socket.socket:
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same over TLS; the certificate is verified against the host name, not the pinned address."""

    def __init__(self, *args: Any, context: ssl.SSLContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._context = context

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(self._open(), server_hostname=self.host)


def _request(connection: _PinnedHTTPConnection, method: str, path: str) -> int:
    connection.request(method, path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    response = connection.getresponse()
    if method == "GET":
        response.read(READ_CAP)  # enough to see the server answer; a large body is not downloaded
    return response.status


def _call(scheme: str, host: str, port: int, path: str, family: int, sockaddr: tuple[Any, ...], timeout: float) -> int:
    status = 0
    for method in ("HEAD", "GET"):
        if scheme == "https":
            connection: _PinnedHTTPConnection = _PinnedHTTPSConnection(
                host, port, sockaddr, family, timeout, context=ssl.create_default_context()
            )
        else:
            connection = _PinnedHTTPConnection(host, port, sockaddr, family, timeout)
        # shutdown() wakes a read blocked in another thread; close() alone would not.
        cut = threading.Event()
        watchdog = threading.Timer(timeout * DEADLINE_FACTOR, _cut, (connection, cut))
        watchdog.daemon = True
        watchdog.start()
        try:
            status = _request(connection, method, path)
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set():
                raise TimeoutError(f"no complete answer within {timeout * DEADLINE_FACTOR:g} s") from exc
            raise
        finally:
            watchdog.cancel()
            connection.close()
        if status not in _HEAD_REFUSED:
            break
    return status


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def check_endpoint(
    url: str, *, timeout: float = 5.0, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo
) -> dict[str, Any]:
    """Call `url` once (HEAD, then GET if HEAD is refused) and say whether and how it answered.

    Returns {"url", "reachable", "status", "elapsed_ms", "error", "address"}: `reachable` means an HTTP
    answer came back, whatever its status; redirects are not followed, their 3xx status is the answer.
    `timeout` bounds the connect and each read; the whole call is cut off at three times it.
    """
    started = time.monotonic()
    try:
        scheme, host, port, path = _target(url)
        addresses = _addresses(host, port, resolver)
    except EndpointRefused as exc:
        return _result(url, started, error=str(exc))
    if not allow_private:
        for _family, sockaddr in addresses:
            ip = _ip(sockaddr)
            if not address_is_public(ip):
                return _result(
                    url, started, address=str(ip),
                    error=f"refused: {host} resolves to {ip}, which is not a public address",
                )  # fmt: skip
    errors: list[str] = []
    for family, sockaddr in addresses:
        address = str(_ip(sockaddr))
        try:
            status = _call(scheme, host, port, path, family, sockaddr, timeout)
        except TimeoutError as exc:
            detail = str(exc) if str(exc) not in ("", "timed out") else f"no answer within {timeout:g} s"
            errors.append(f"{address}: timed out: {detail}")
        except ssl.SSLError as exc:
            errors.append(f"{address}: TLS error: {exc.reason or exc}")
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{address}: {type(exc).__name__}: {exc}".rstrip(": "))
        else:
            return _result(url, started, reachable=True, status=status, address=address)
        if time.monotonic() - started > timeout * DEADLINE_FACTOR:
            break
    return _result(url, started, error="; ".join(errors), address=str(_ip(addresses[0][1])))
