"""One result of a check, for both the kit linter (lint.py) and this laptop's readiness (readiness.py),
printed as `aftertalk check` and `install_check()` print it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Finding:
    """One result of a check. `ok` is False for a failure; a warning is ok but worth reading."""

    ok: bool
    what: str
    advice: str = ""
    warning: bool = False
    path: str | None = None  # the file it is about, as shown to the reader
    lineno: int | None = None

    def line(self) -> str:
        """The install-check form: "ok  what", "warn what; advice" or "FAIL what; advice"."""
        mark = "FAIL" if not self.ok else "warn" if self.warning else "ok  "
        return f"{mark} {self.what}" + (f"; {self.advice}" if self.advice else "")

    def problem_line(self) -> str:
        """The `aftertalk check` form: "file:line: what is wrong; what to do"."""
        where = ":".join(str(part) for part in (self.path, self.lineno) if part is not None)
        kind = "warning: " if self.warning else ""
        return f"{where or 'this laptop'}: {kind}{self.what}" + (f"; {self.advice}" if self.advice else "")
