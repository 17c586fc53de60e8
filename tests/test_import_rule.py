"""The package shows its two processes (DESIGN.md, "The parts"): the notebook side never loads the server.

Shared, pure modules (questions, privacy, i18n, errors, network, paths) sit below `server/`, `notebook/`
and `kit/`. The notebook and kit sides talk to the server over HTTP only, so `import aftertalk` in a
kernel, and everything a lesson touches, loads neither tornado's web app nor sqlite3.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aftertalk"
SIDES = ("server", "notebook", "kit")


def side_of(module: str) -> str:
    """'server', 'notebook', 'kit', 'cli' or 'shared', for a dotted module name under aftertalk."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in SIDES:
        return parts[1]
    return "cli" if parts[1:2] in (["cli"], ["__main__"]) else "shared"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every aftertalk module `path` imports, at the top or inside a function, as dotted names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("aftertalk")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("aftertalk"):
                found.add(target)
                found |= {f"{target}.{alias.name}" for alias in node.names}  # `from aftertalk import server`
    return found


# Which side may import which: the notebook and kit sides never reach the server; the server needs
# neither; shared code needs none of them. Only `aftertalk serve` (the cli) starts the server.
ALLOWED = {
    "shared": {"shared"},
    "server": {"shared", "server"},
    "notebook": {"shared", "notebook", "kit"},
    "kit": {"shared", "kit"},
    "cli": {"shared", "server", "notebook", "kit", "cli"},
}


def test_no_module_imports_across_the_process_line():
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        side = side_of(module_name(path))
        for target in sorted(imports_of(path)):
            if target == "aftertalk":
                continue
            if side_of(target) not in ALLOWED[side]:
                broken.append(f"{path.relative_to(PACKAGE.parent)} ({side}) imports {target} ({side_of(target)})")
    assert not broken, "\n".join(broken)


def test_the_rule_sees_an_import_of_the_server_from_the_notebook_side(tmp_path):
    """The checker itself: a notebook module that imports the store is caught, relative or absolute."""
    for line in ("from aftertalk.server import store\n", "from ..server.app import SERVER_INFO\n"):
        planted = PACKAGE / "notebook" / "_planted_for_test.py"
        planted.write_text(line)
        try:
            targets = imports_of(planted)
        finally:
            planted.unlink()
        assert any(side_of(t) == "server" for t in targets), (line, targets)


def test_a_kernel_that_runs_a_lesson_loads_no_web_server_and_no_database():
    """What a lesson's cells import: the package, the room, its widgets, charts, exports, rehearsal and
    the kit's checks. None of it may pull in tornado's web app, sqlite3 or aftertalk.server."""
    script = (
        "import sys, aftertalk\n"
        "aftertalk.room, aftertalk.Room, aftertalk.install_check, aftertalk.load_questions()\n"
        "from aftertalk.notebook import client, local_server, panel, charts, export, rehearsal, workshop\n"
        "from aftertalk.kit import lint, lessons, readiness, reference\n"
        "print(sorted(m for m in sys.modules if m in ('tornado.web', 'sqlite3', '_sqlite3')"
        " or m.startswith('aftertalk.server')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_aftertalk_alone_loads_nothing_heavy():
    script = (
        "import sys, aftertalk\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tornado', 'sqlite3', 'pandas', "
        "'matplotlib', 'ipywidgets') or m.startswith('aftertalk.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_two_modules_import_each_other():
    """Not even inside a function: `client.Room` makes panels, so the panels must not need `client`
    (they use `http.py`). A cycle means two modules are one concern split in two, or one doing two."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        graph[name] = {target for target in imports_of(path) if target != name}
    modules = set(graph)
    cycles = []
    for module, targets in graph.items():
        for target in targets & modules:
            if module in graph.get(target, set()) and module < target:
                cycles.append(f"{module} <-> {target}")
    assert not cycles, cycles
