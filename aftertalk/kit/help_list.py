"""The help list (data/where_to_get_help.md) and its translations (where_to_get_help.es.md): its sections,
its phone numbers and links, for the handout, lesson 05's help slides and `aftertalk check`.

A translation keeps the English list's sections in the same order, with the same numbers and links in
each: a slide asks for sections by the words of their English headings ("crisis"), and shows the same
sections in the room's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aftertalk.paths import HELP_LIST, current_kit

# A phone number: groups of digits joined by spaces or hyphens, three digits or more, not part of a word
# (so not "24/7", "16 and over" or the "1800" of "1800RESPECT").
PHONE_NUMBER = re.compile(r"(?<![\w/])\d+(?:[ -]\d+)*(?![\w/])")
# A web address as the help list writes it, bare: findahelpline.com, switchboard.lgbt, any local ending
# (.es, .mx) included, so a translation cannot drop or change one unnoticed.
WEB_ADDRESS = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}\b", re.IGNORECASE)


def help_list_path(language: str = "en") -> Path:
    """The help list in `language`, inside a kit: data/where_to_get_help.es.md beside the English one."""
    return HELP_LIST if language == "en" else HELP_LIST.with_suffix(f".{language}.md")


def translations(kit: Path) -> dict[str, Path]:
    """Every translated help list in a kit, by its language code."""
    english = kit / HELP_LIST
    found = {}
    for path in sorted(english.parent.glob(f"{english.stem}.*.md")):
        found[path.name.removeprefix(f"{english.stem}.").removesuffix(".md")] = path
    return found


def phone_numbers(text: str) -> list[str]:
    return [number for number in PHONE_NUMBER.findall(text) if sum(c.isdigit() for c in number) >= 3]


def web_addresses(text: str) -> list[str]:
    return [address.lower() for address in WEB_ADDRESS.findall(text)]


@dataclass
class Section:
    """One `## ` section: its heading, the text under it, and the heading's line in the file."""

    heading: str
    body: str
    lineno: int


@dataclass
class HelpList:
    title: str  # the `# ` line
    sections: list[Section]

    @classmethod
    def parse(cls, text: str) -> HelpList:
        title, sections = "", []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.startswith("# ") and not title:
                title = line[2:].strip()
            elif line.startswith("## "):
                sections.append(Section(line[3:].strip(), "", lineno))
            elif sections:
                sections[-1].body += line + "\n"
        for section in sections:
            section.body = section.body.strip()
        return cls(title, sections)

    def lines_up_with(self, english: HelpList) -> bool:
        """Whether this translation has the English list's sections, one for one."""
        return len(self.sections) == len(english.sections)


def read_help_list(language: str = "en", kit: Path | None = None) -> tuple[Path, str]:
    """The help list a room in `language` is given: its translation when the kit has one, else English."""
    kit = kit or current_kit()
    path = kit / help_list_path(language)
    if language == "en" or not path.is_file():
        path = kit / HELP_LIST
    return path, path.read_text(encoding="utf-8")


def slide_markdown(heading_words: tuple[str, ...], language: str = "en", kit: Path | None = None) -> str:
    """The help list's title and the sections whose English headings hold `heading_words`, in `language`,
    as one slide's Markdown. Every section, given no words. Raises ValueError for a word no heading holds."""
    english = HelpList.parse(read_help_list("en", kit)[1])
    shown = HelpList.parse(read_help_list(language, kit)[1])
    if not shown.lines_up_with(english):
        shown = english  # `aftertalk check` reports the translation; the room still gets the list
    if not heading_words:
        chosen = list(range(len(english.sections)))
    else:
        chosen = []
        for word in heading_words:
            found = [i for i, section in enumerate(english.sections) if word.lower() in section.heading.lower()]
            if not found:
                headings = "; ".join(section.heading for section in english.sections)
                raise ValueError(
                    f"No section of {HELP_LIST} has '{word}' in its heading. Its headings are: {headings}."
                )
            chosen += [i for i in found if i not in chosen]
    parts = [f"### {shown.title}"] if shown.title else []
    # Each section's heading in bold, not as a heading: a heading's margins cost the slide two lines.
    parts += [f"**{shown.sections[i].heading}**\n\n{shown.sections[i].body}" for i in chosen]
    return "\n\n".join(parts) + "\n"
