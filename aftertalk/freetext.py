"""Free text from phones: checked, flagged for a second look, and (for one-word check-ins) normalised.

Free text is the riskiest input a workshop takes. Nothing here decides what is shown; it helps the
facilitator spot a name, a number or a link before anything reaches the projector.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import BadRequest

BOX_MAX_LENGTH = 280
WORD_MAX_LENGTH = 30

_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|org|net|io|co|uk|es|de|fr|info|me|app|ly)\b)", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(\+?\d[\d\s().-]{6,}\d)")
_HANDLE = re.compile(r"(^|\s)@\w{2,}")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][a-zà-ÿ]+")
# Capitalised words that are not names, so "I" or "Monday" do not cry wolf.
_NOT_NAMES = {"I", "I'm", "I've", "I'd", "OK", "Okay", "God", "Monday", "Tuesday", "Wednesday", "Thursday",
              "Friday", "Saturday", "Sunday", "English", "Spanish", "BDSM", "PCD", "LGBT", "LGBTQ", "Is", "Why",
              "How", "What", "When", "Can", "Do", "Does", "Should"}
# Spelling variants folded together in word check-ins (after lower-casing and plural folding).
WORD_VARIANTS = {"ok": "okay", "okey": "okay", "k": "okay", "tierd": "tired", "exausted": "exhausted",
                 "greatful": "grateful", "anxios": "anxious", "nervious": "nervous", "curios": "curious"}


def clean_text(text, *, max_length: int, what: str) -> str:
    """The text, trimmed; BadRequest when it is empty, too long, or carries control characters."""
    if not isinstance(text, str):
        raise BadRequest(f"The {what} must be text.")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise BadRequest(f"The {what} is empty. Write something, or leave it.")
    if len(text) > max_length:
        raise BadRequest(f"The {what} is too long: {len(text)} characters, the limit is {max_length}.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in "\n\t" for ch in text):
        raise BadRequest(f"The {what} contains control characters. Type plain text, please.")
    return text


def flags(text: str) -> list[str]:
    """Reasons a question deserves a second look before it is shown: it may identify someone."""
    reasons = []
    if _LINK.search(text):
        reasons.append("a link")
    if _EMAIL.search(text) or _HANDLE.search(text):
        reasons.append("an email address or handle")
    if _PHONE.search(text):
        reasons.append("a phone number")
    if any(word not in _NOT_NAMES for word in _CAPITALISED.findall(text)):
        reasons.append("what may be a name")
    return reasons


def normalise_word(text: str) -> str:
    """One word as it is counted: lower case, no punctuation, plurals and common misspellings folded."""
    word = unicodedata.normalize("NFKC", text).lower()
    word = re.sub(r"[^\w\s'-]", "", word)
    word = re.sub(r"\s+", " ", word).strip(" '-")
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return WORD_VARIANTS.get(word, word)
