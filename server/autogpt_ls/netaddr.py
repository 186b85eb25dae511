"""Whether a bind address stays on this machine: the one rule both servers' token requirement rests on."""

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
