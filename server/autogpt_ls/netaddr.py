"""Whether an address stays on this machine or the private network: the rules behind the servers' token
requirement and the web tools' refusal of private addresses."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    """'localhost', any address of 127.0.0.0/8, and ::1 (bracketed or not); anything else reaches the network."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_public(address: str) -> bool:
    """An IP address on the public internet: not loopback, private, link-local (cloud metadata), multicast,
    reserved or unspecified; an IPv4-mapped IPv6 address is judged by its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
