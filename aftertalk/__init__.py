"""Aftertalk: anonymous phone polls for a workshop about the feelings people have after sex.

The names below load on first use, so that `import aftertalk` (and every `aftertalk` command) starts
quickly and a command's Ctrl-C or error is its own, not one from importing pandas or tornado.
"""

from __future__ import annotations

import importlib

_MODULE_OF = {
    "install_check": "kit.readiness",
    "Room": "notebook.client",
    "RoomError": "notebook.http",
    "room": "notebook.local_server",
    "Option": "questions",
    "Question": "questions",
    "QuestionError": "questions",
    "load_questions": "questions",
}

__all__ = ["install_check", "Option", "Question", "QuestionError", "Room", "RoomError", "load_questions", "room"]


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'aftertalk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
