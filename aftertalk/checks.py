"""Checks a facilitator runs before the day: is this laptop ready to run a workshop?"""
from __future__ import annotations

import platform
from dataclasses import dataclass

from . import network
from .local_server import DEFAULT_PORT, port_is_free
from .questions import QuestionError, load_questions
from .reference import load_reference


@dataclass
class Finding:
    ok: bool
    what: str
    advice: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.what}" + (f"; {self.advice}" if self.advice else "")


def machine_findings() -> list[Finding]:
    """Python, the question bank, the reference data, the LAN address and the poll port."""
    findings = [Finding(True, f"Python {platform.python_version()}")]
    try:
        findings.append(Finding(True, f"question bank: {len(load_questions())} questions load"))
    except QuestionError as error:
        findings.append(Finding(False, f"question bank: {error}", "fix the question file it names"))
    try:
        findings.append(Finding(True, f"reference data: {len(load_reference())} published figures"))
    except (ValueError, OSError) as error:
        findings.append(Finding(False, f"reference data: {error}", "fix the CSV it names"))
    address = network.lan_address()
    if address:
        findings.append(Finding(True, f"phones will join at http://{address}:{DEFAULT_PORT}/"))
    else:
        findings.append(Finding(False, "no network address found, only this laptop itself",
                                "join the venue's Wi-Fi or a phone hotspot, so phones can reach you"))
    if port_is_free("0.0.0.0", DEFAULT_PORT):
        findings.append(Finding(True, f"port {DEFAULT_PORT} is free for the poll server"))
    else:
        findings.append(Finding(True, f"port {DEFAULT_PORT} is in use (an Aftertalk server may already "
                                      "run); another free port will be used"))
    return findings


def install_check() -> bool:
    """Print whether the kit is ready on this laptop; return True when everything passed."""
    findings = machine_findings()
    for finding in findings:
        print(finding.line())
    ready = all(f.ok for f in findings)
    print("All good: the kit is ready." if ready else "Some checks failed: see the lines marked FAIL.")
    return ready
