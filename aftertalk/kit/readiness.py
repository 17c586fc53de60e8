"""Is this laptop ready for the day? Python, the kit's data, the network phones will use, open files.

`install_check()` (notebook 00) prints a short readiness list; `laptop_findings()` gives `aftertalk check`
its "this laptop" lines. Every check here only looks: none binds a port for longer than a probe, and
none changes the process (the open-files limit is read, not raised).
"""

from __future__ import annotations

import platform

from aftertalk import network
from aftertalk.kit.findings import Finding
from aftertalk.kit.reference import load_reference
from aftertalk.network import DEFAULT_PORT, port_is_free
from aftertalk.questions import QuestionError, load_questions

LARGE_ROOM = 1000  # phones; below this many, a low open-files limit is worth a warning
FILES_KEPT_BACK = 50  # the server's own files: the database, its log, the listening sockets


def join_url() -> str | None:
    """The address phones will join at on this laptop's network, or None with only loopback."""
    address = network.lan_address()
    return f"http://{address}:{DEFAULT_PORT}/" if address else None


def network_findings() -> list[Finding]:
    """The LAN address phones will use and the poll port. Neither can fail: each at most warns."""
    findings = []
    url = join_url()
    if url:
        findings.append(Finding(True, f"phones will join at {url}"))
    else:
        findings.append(
            Finding(
                True,
                "no network address found, only this laptop itself (loopback)",
                "before the workshop, join the venue's Wi-Fi or a phone hotspot so that "
                "phones can reach you (a rehearsal works without one)",
                warning=True,
            )
        )
    if port_is_free("0.0.0.0", DEFAULT_PORT):
        findings.append(Finding(True, f"port {DEFAULT_PORT} is free for the poll server"))
    else:
        findings.append(
            Finding(
                True,
                f"port {DEFAULT_PORT} is in use (an Aftertalk server may already run)",
                "another free port will be used, and the QR code carries it",
                warning=True,
            )
        )
    return findings


def open_files_finding() -> Finding:
    """How many phones the poll server will have room for: each holds two connections, and the server
    raises its open-files limit as far as this laptop lets it. Read here, not done: a check changes nothing."""
    limit = network.open_files_limit_in_reach()
    if limit is None or (limit - FILES_KEPT_BACK) // 2 >= LARGE_ROOM:
        return Finding(True, "open files: room for more than 1,000 phones")
    return Finding(
        True,
        f"open files: the poll server can hold about {(limit - FILES_KEPT_BACK) // 2:,} phones "
        f"(this laptop's open-files limit is {limit:,})",
        "for a larger room, raise the hard limit (ulimit -Hn) before starting the workshop",
        warning=True,
    )


def laptop_findings() -> list[Finding]:
    return network_findings() + [open_files_finding()]


def machine_findings() -> list[Finding]:
    """Python, the question bank, the reference data, the LAN address, the poll port, open files."""
    findings = [Finding(True, f"Python {platform.python_version()}")]
    try:
        findings.append(Finding(True, f"question bank: {len(load_questions())} questions load"))
    except QuestionError as error:
        findings.append(Finding(False, f"question bank: {error}", "fix the question file it names"))
    try:
        findings.append(Finding(True, f"reference data: {len(load_reference())} published figures"))
    except (ValueError, OSError) as error:
        findings.append(Finding(False, f"reference data: {error}", "fix the CSV it names"))
    return findings + laptop_findings()


def install_check() -> bool:
    """Print whether the kit is ready on this laptop; return True when nothing failed."""
    findings = machine_findings()
    for finding in findings:
        print(finding.line())
    ready = all(f.ok for f in findings)
    print("All good: the kit is ready." if ready else "Some checks failed: see the lines marked FAIL.")
    return ready
