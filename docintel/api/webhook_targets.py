"""Where completion webhooks may go: the server-side request forgery (SSRF) defence.

A webhook URL comes from an API client, and the server POSTs to it, so it must not become a way to
reach what only the server can reach (the database, the model server, a cloud metadata endpoint).
The rules, checked at upload and again, on a fresh DNS answer, before every attempt:

- ``http`` or ``https`` only, no user name or password in the URL;
- port 80 or 443 unless an allow-list entry names the port (``host:8443``, or ``host:*``);
- with ``DOCINTEL_WEBHOOK_ALLOWED_HOSTS`` set, the host must match one of its entries: a name
  (``ehr.example.org``), a domain and its subdomains (``.example.org``), an address or a network in
  CIDR form (``10.20.0.0/16``);
- every address the name resolves to must be public, unless the host matched an entry: a listed host
  may be private or loopback (the integration engine usually is); link-local addresses (cloud metadata
  at 169.254.169.254) only when an address or network entry names them; unspecified and multicast
  addresses never.

The connection then goes to the address that was checked (the name is sent as Host and TLS SNI), so a
second DNS answer cannot swap in another address between the check and the request.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from docintel.errors import DocintelError, InputError

DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookRefused(InputError):
    """The webhook URL points somewhere this server does not send requests to."""

    default_code = "webhook_not_allowed"


class WebhookUnresolved(DocintelError):
    """The webhook's host name does not resolve (now): a later attempt may succeed."""

    default_code = "webhook_host_unresolved"
    retryable = True


@dataclass(frozen=True)
class AllowedHost:
    """One entry of ``DOCINTEL_WEBHOOK_ALLOWED_HOSTS``."""

    name: str = ""  # "ehr.example.org", or ".example.org" for the domain and its subdomains
    network: IPNetwork | None = None
    port: int | None = None  # None: the scheme's usual ports (80, 443) only
    any_port: bool = False

    @classmethod
    def parse(cls, entry: str) -> AllowedHost:
        entry = entry.strip().lower()
        host, port_text = entry, ""
        if entry.startswith("["):  # [v6 address or network]:port
            host, _, rest = entry[1:].partition("]")
            port_text = rest.removeprefix(":")
        elif entry.count(":") == 1:
            host, port_text = entry.split(":")
        port = None if port_text in ("", "*") else int(port_text)
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            return cls(name=host, port=port, any_port=port_text == "*")
        return cls(network=network, port=port, any_port=port_text == "*")

    def matches_host(self, host: str) -> bool:
        if self.network is not None:
            address = _address(host)
            return address is not None and address in self.network
        if self.name.startswith("."):
            return host == self.name[1:] or host.endswith(self.name)
        return host == self.name

    def allows_port(self, port: int) -> bool:
        return self.any_port or (port in DEFAULT_PORTS.values() if self.port is None else port == self.port)


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as given
    address: str

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the name."""
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        return self.host if self.port == DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"


def _address(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    return mapped or address


def parse_allowed_hosts(entries: Iterable[str]) -> list[AllowedHost]:
    allowed = []
    for entry in entries:
        try:
            allowed.append(AllowedHost.parse(entry))
        except ValueError:
            raise ValueError(f"DOCINTEL_WEBHOOK_ALLOWED_HOSTS: {entry!r} is not a host, address or "
                             "network (with an optional :port or :*)") from None
    return allowed


def _resolve(host: str, port: int) -> list[IPAddress]:
    literal = _address(host)
    if literal is not None:
        return [literal]
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookUnresolved(message=f"the webhook host {host} does not resolve") from None
    found = []
    for *_, sockaddr in answers:
        address = _address(str(sockaddr[0]).split("%")[0])
        if address is not None and address not in found:
            found.append(address)
    if not found:
        raise WebhookUnresolved(message=f"the webhook host {host} does not resolve")
    return found


def _address_allowed(address: IPAddress, matched: list[AllowedHost]) -> bool:
    if address.is_unspecified or address.is_multicast:
        return False
    if any(entry.network is not None and address in entry.network for entry in matched):
        return True  # named explicitly by address or network
    if address.is_link_local:
        return False
    if matched:  # a listed host: private and loopback are what it is listed for
        return True
    return address.is_global


def check_webhook_url(url: str, allowed_hosts: Iterable[str], *, resolve=_resolve) -> WebhookTarget:
    """The target to connect to for ``url``, or ``WebhookRefused`` saying why not."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise WebhookRefused(message="the webhook URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WebhookRefused(message="a webhook URL must start with https:// or http://")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused(message="a webhook URL must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise WebhookRefused(message="the webhook URL has no host")
    port = port or DEFAULT_PORTS[scheme]
    entries = parse_allowed_hosts(allowed_hosts)
    refused_host = WebhookRefused(message=f"webhooks may not be sent to {host}: it is not in "
                                          "DOCINTEL_WEBHOOK_ALLOWED_HOSTS")
    if entries and not any(entry.matches_host(host) or entry.network is not None for entry in entries):
        raise refused_host  # no entry could match, whatever the name resolves to
    addresses = resolve(host, port)
    # An entry matches by name, or by network when every address of the host lies in it.
    matched = [entry for entry in entries if entry.matches_host(host) or (
        entry.network is not None and all(address in entry.network for address in addresses))]
    if entries and not matched:
        raise refused_host
    if port not in DEFAULT_PORTS.values() and not any(entry.allows_port(port) for entry in matched):
        raise WebhookRefused(message=f"webhooks go to ports 80 and 443 only, unless "
                                     f"DOCINTEL_WEBHOOK_ALLOWED_HOSTS names port {port} for {host}")
    if not all(_address_allowed(address, matched) for address in addresses):
        raise WebhookRefused(message=f"webhooks may not be sent to {host}: it resolves to a private, "
                                     "loopback or link-local address not allowed by "
                                     "DOCINTEL_WEBHOOK_ALLOWED_HOSTS")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return WebhookTarget(url=url, scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))
