"""Which trigger target URLs DORA Hub may call.

Outgoing webhooks run inside the deployment's network, so a target must never reach the cloud
metadata service (credentials) or other link-local addresses. Private and loopback addresses
stay allowed: self-hosted CI on the same network is the common case. The check runs when a
trigger is saved and again on every send, against the addresses the request then connects to,
so a DNS answer that changes after saving (rebinding) cannot slip through.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTNAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task credentials
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)


class TargetRefused(ValueError):
    """The URL is not one DORA Hub will call; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def parse_target(url: str) -> Target:
    """Check the URL's form and host name (no DNS); raise TargetRefused when it is refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Only http:// and https:// targets are allowed.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("Put credentials in the trigger secret, not in the URL.")
    if host in METADATA_HOSTNAMES:
        raise TargetRefused(f"{host} is a cloud metadata service.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        check_address(literal)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        path=path,
    )


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 spelling reaches: mapped (`::ffff:a.b.c.d`), compatible
    (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:aabb:ccdd::`) and Teredo."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in NAT64 or address in NAT64_LOCAL:
        found.append(low32)
    if address in IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        found.append(low32)
    return found


def check_address(address: IPAddress) -> None:
    for candidate in (address, *embedded_ipv4(address)):
        if candidate in METADATA_ADDRESSES:
            raise TargetRefused(f"{address} is a cloud metadata address.")
        if candidate.is_link_local:
            raise TargetRefused(f"{address} is a link-local address.")


def resolve(target: Target) -> list[tuple[int, str]]:
    """The (family, address) pairs the host resolves to, all of them checked; raises OSError
    when the name does not resolve and TargetRefused when any address is refused."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    resolved: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        check_address(address)
        if (family, str(sockaddr[0])) not in resolved:
            resolved.append((family, str(sockaddr[0])))
    return resolved


def validate_target(url: str) -> None:
    """Save-time check: refused forms, names and resolved addresses. A name that does not
    resolve from here is accepted; the send-time check decides then."""
    target = parse_target(url)
    try:
        resolve(target)
    except OSError:
        return
