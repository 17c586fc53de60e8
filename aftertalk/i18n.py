"""Interface strings in the participant's language: gettext .po catalogs, read with Babel.

The .po files under aftertalk/locale/ are read as they are (no compile step), so an educator can add a
language by adding one file. English is the source language and needs no catalog.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # each in its own language, for the picker


@functools.cache
def available_languages() -> tuple[str, ...]:
    """English plus every language with a catalog, in a stable order.

    Read once per process, like the catalogs: every page asks, and a glob per page is wasted work.
    A new language is picked up when the server restarts.
    """
    found = sorted(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/aftertalk.po"))
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """msgid -> translation for one language; untranslated and fuzzy entries are left out, and so are plural
    entries (Babel gives their id as a tuple): the interface looks strings up by their one msgid."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "aftertalk.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as file:
        messages = read_po(file, locale=language)
    return {
        m.id: m.string
        for m in messages
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def translator(language: str):
    """A gettext-style `_` for `language`: unknown strings come back in English."""
    table = catalog(language)
    return lambda text: table.get(text, text)


def choose_language(requested: str | None, remembered: str | None, accept_language: str) -> str:
    """The page's language: an explicit choice, then the phone's remembered one, then the browser's."""
    available = available_languages()
    for choice in (requested, remembered):
        if choice in available:
            return choice
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in available:
            return code
    return SOURCE_LANGUAGE
