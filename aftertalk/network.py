"""Finding the address phones use to reach this laptop, without sending a packet."""
from __future__ import annotations

import ipaddress
import socket

# A documentation-only address (RFC 5737): connecting a UDP socket to it only asks the kernel which
# local address would route there. UDP connect sends nothing on the wire.
_ROUTE_PROBE = ("192.0.2.1", 9)


def lan_address() -> str | None:
    """This machine's LAN IPv4 address, or None when only loopback exists."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_ROUTE_PROBE)
            address = probe.getsockname()[0]
        except OSError:
            return None
    if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
        return None
    return address


def join_host(bind_host: str) -> str:
    """The host name phones should use for a server bound to `bind_host`."""
    if bind_host in ("", "0.0.0.0", "::"):
        return lan_address() or "127.0.0.1"
    return bind_host


def local_host(bind_host: str) -> str:
    """The host the notebook on this laptop uses: loopback whenever the server listens there."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0", "::", "localhost") else bind_host
