"""This laptop on the network: the address phones use (found without sending a packet), the poll
port, whether a port is free, and how many connections the process may hold."""

from __future__ import annotations

import ipaddress
import logging
import socket

DEFAULT_PORT = 8765  # the poll server's port, printed on join cards

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


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


OPEN_FILES_WHEN_UNLIMITED = 65536  # the limit to ask for when the hard limit is unlimited


def _open_files_wanted(hard: int, unlimited: int) -> int:
    """How far the server raises its open-files limit: to the hard limit, or a fixed cap when there is none."""
    return hard if hard != unlimited else OPEN_FILES_WHEN_UNLIMITED


def open_files_limit_in_reach() -> int | None:
    """The open-files limit `raise_open_files_limit` would give a process started here, found by reading
    the limits only: nothing is changed. None when there is no limit to reach (unlimited, or Windows).

    On macOS an unlimited hard limit stops at 10,240 in practice; the answer says 65,536 there, and both
    are far above a lecture hall's needs, which is all `aftertalk check` asks.
    """
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(soft, _open_files_wanted(hard, resource.RLIM_INFINITY))


def raise_open_files_limit() -> None:
    """Each phone holds two connections; a laptop's default 1,024 open files would cap a room near 480
    (256 on macOS: about 120). Windows has no such limit for sockets (and no `resource` module)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _open_files_wanted(hard, resource.RLIM_INFINITY)
    # macOS reports an unlimited hard limit but refuses more than its per-process maximum (10,240).
    for limit in (wanted, 10240, 4096):
        if soft == resource.RLIM_INFINITY or soft >= limit:
            return
        if hard == resource.RLIM_INFINITY or limit <= hard:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
                return
            except (ValueError, OSError):
                continue
    logging.getLogger("aftertalk.server").warning(
        "Could not raise the open-files limit above %d; a room of more than about %d phones will not all connect.",
        soft,
        soft // 2 - 20,
    )
