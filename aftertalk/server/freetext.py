"""Free text from phones: checked, flagged for a second look, and (for one-word check-ins) normalised.

Free text is the riskiest input a workshop takes. Nothing here decides what is shown; it helps the
facilitator spot a name, a number or a link before anything reaches the projector.
"""

from __future__ import annotations

import re
import unicodedata

from aftertalk.errors import BadRequest

BOX_MAX_LENGTH = 280

_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|org|net|io|co|uk|es|de|fr|info|me|app|ly)\b)", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(\+?\d[\d\s().-]{6,}\d)")
_PLATFORMS = (
    r"insta(?:gram)?|ig|snap(?:chat)?|tik ?tok|twitter|x|discord|telegram|tg|whats ?app|fb|facebook|"
    r"threads|bsky|bluesky|reddit|kik|signal|twitch|tumblr|grindr|tinder|hinge|bumble|linkedin"
)
_HANDLE = re.compile(
    r"(^|\s)@\w{2,}"  # @sam_k
    r"|\b[^\W_]+_\w+"  # x_99, sam_k: people do not put underscores in a question, handles have them
    rf"|\b({_PLATFORMS})\s*[:=]\s*@?[\w.]{{2,}}"  # insta: samk, snap=samk
    rf"|\b(my|his|her|their|on)\s+({_PLATFORMS})\s+(is\s+)?@?[\w.]*\d[\w.]*",
    re.I,
)  # my snap is sam99
_WORD = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+")
# A capital at a sentence start (the text's start, or after . ! ? … ¿ ¡) may just open the sentence.
_SENTENCE_START = re.compile(r"(^|[.!?¿¡…]\s*|[¿¡]|\n)$")
# Capitalised words that are not names, so "I" or "Monday" do not cry wolf.
_NOT_NAMES = {
    "I",
    "I'm",
    "I've",
    "I'd",
    "OK",
    "Okay",
    "God",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "English",
    "Spanish",
    "BDSM",
    "PCD",
    "LGBT",
    "LGBTQ",
    "Is",
    "Why",
    "How",
    "What",
    "When",
    "Can",
    "Do",
    "Does",
    "Should",
}
# Words that open a question or sentence: at a sentence start these are not names, any other capitalised
# word there is looked at like one elsewhere ("Sam cried after", "¿Lucía me odia?").
_OPENERS = set(
    """
a about after afterwards again all also although am an and any anyone anything are aren't as at be because
before being both but by can can't could couldn't did didn't do does doesn't doing don't during each even
ever every everyone feeling feelings few first for from had has hasn't have haven't having he her here his
how however i if in instead is isn't it it's its just last lately like many maybe me might more most much
must my never no none not now of often on once one only or other others our people perhaps please should
shouldn't since so some someone something sometimes still such than thank thanks that that's the their them
then there there's these they this those though to too usually very was wasn't we were weren't what what's
when where whether which while who whom whose why will with without would wouldn't yes yet you your
hi hello hey sorry well okay ok yeah so sex crying aftercare partner partners tears sadness anxiety
a al algo alguien algún alguna alguno aunque cada casi como cómo con cuando cuándo cuál cuáles de del
después desde donde dónde el él ella ellos en entonces es esa ese eso esta está estoy este esto hay hoy la
las lo los me mi mis mucho muy nada ni no nos nosotros o otra otro para pero por porque puedo puede qué que
quién quiénes se sé si sí siempre sin sobre soy su sus también tengo tiene todo todos tu tú un una uno y ya
yo hola vale bueno llorar llanto sexo pareja tristeza siento sentir
""".split()
)
# Spelling variants folded together in word check-ins (after lower-casing and plural folding).
WORD_VARIANTS = {
    "ok": "okay",
    "okey": "okay",
    "k": "okay",
    "tierd": "tired",
    "exausted": "exhausted",
    "greatful": "grateful",
    "anxios": "anxious",
    "nervious": "nervous",
    "curios": "curious",
}


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
    if any(_may_be_a_name(text, match) for match in _WORD.finditer(text)):
        reasons.append("what may be a name")
    return reasons


def _may_be_a_name(text: str, match: re.Match) -> bool:
    word = match.group()
    if word in _NOT_NAMES:
        return False
    if _SENTENCE_START.search(text[: match.start()]):
        return word.lower() not in _OPENERS
    return True


def normalise_word(text: str) -> str:
    """One word as it is counted: lower case, no punctuation, plurals and common misspellings folded."""
    word = unicodedata.normalize("NFKC", text).lower()
    word = re.sub(r"[^\w\s'-]", "", word)
    word = re.sub(r"\s+", " ", word).strip(" '-")
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return WORD_VARIANTS.get(word, word)
