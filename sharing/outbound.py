"""Outbound HTTP of webhooks, safe against server-side request forgery.

A webhook URL names a host a client chose, so the platform must not become a way into its own network:
- `SHARING_WEBHOOK_ALLOWED_HOSTS` (host names or dotted suffixes such as ".gov.example"): when set, no other host;
- every address the host resolves to must be public: loopback, private, shared, link-local (the cloud metadata
  address 169.254.169.254 included), multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6
  too, unless the address lies in `SHARING_WEBHOOK_ALLOWED_NETWORKS` (CIDRs an administrator trusts, e.g. the
  departments' intranet); link-local addresses are refused even then;
- checked at registration and again at every delivery, after DNS resolution, and the connection goes to the very
  address that was checked (no second lookup a rebinding DNS server could answer differently);
- redirects are not followed (http.client never does), and every failure reads the same to the client.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

ALWAYS_REFUSED = [ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10")]


class UnsafeDestination(Exception):
    """The URL's host is not allowed, does not resolve, or resolves to an address the platform must not call."""


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (an IP literal resolves to itself); module-level so tests can stand in."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _allowed_networks() -> list:
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "SHARING_WEBHOOK_ALLOWED_NETWORKS", [])]


def address_allowed(address: str) -> bool:
    """Is `address` one the platform may call (see the module docstring)?"""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in ALWAYS_REFUSED):
        return False
    if any(ip.version == network.version and ip in network for network in _allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast


def host_allowed(host: str) -> bool:
    """Is the host name in SHARING_WEBHOOK_ALLOWED_HOSTS (always, when that list is not set)?"""
    allowed = getattr(settings, "SHARING_WEBHOOK_ALLOWED_HOSTS", None)
    host = host.lower().rstrip(".")
    return not allowed or any(host == h or (h.startswith(".") and host.endswith(h)) for h in allowed)


def checked_destination(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of a URL the platform may call; UnsafeDestination otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise UnsafeDestination("scheme")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination("port") from exc
    if not host_allowed(parts.hostname):
        raise UnsafeDestination("host")
    try:
        addresses = resolve_host(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination("dns") from exc
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise UnsafeDestination("address")
    return parts.scheme, parts.hostname, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # the certificate names the host


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST `body` to `url` after checking its destination; the response status (a redirect is just a status)."""
    scheme, host, port, address = checked_destination(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
