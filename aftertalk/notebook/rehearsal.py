"""Simulated participants: real HTTP answers from pretend phones, for practice runs and for tests.

Each pretend phone has its own device cookie and answers through the same participant route a real
phone uses, so a rehearsal exercises the whole path. Choices come from a seeded generator, so the
same seed gives the same room every time.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request

from aftertalk import privacy
from aftertalk.questions import Question

# Headless (tests, or a notebook run with no one watching): answer at once and play polls through.
HEADLESS_VARIABLE = "AFTERTALK_HEADLESS"
DEFAULT_PACE_SECONDS = 4.0
SKIP_CHANCE = 0.05
CHECK_IN_WORDS = ["calm", "curious", "tired", "nervous", "hopeful", "okay", "open", "relieved"]
BOX_QUESTIONS = [
    "Is it normal to feel sad after sex even when it was good?",
    "How do I tell a partner I need space afterwards without hurting them?",
    "What can I say if my partner cries after sex?",
    "Why do I feel restless straight after?",
    "Does aftercare only matter after kinky sex?",
    "What if Jordan thinks my crying means something is wrong?",
    # To practise "Set aside (possible disclosure)": never shown, never read aloud (safety_and_support.md).
    "Something happened to me once that I didn't agree to. Now I freeze after sex. Who can I talk to?",
]
PREFER_NOT_CHANCE = 0.05
# The server lets a phone send 10 answers at once, then one a second (server.py): a phone told to slow
# down waits a second and tries again, at most this many times.
FLOOD_WAIT_SECONDS = 1.0
FLOOD_RETRIES = 10


def headless() -> bool:
    return os.environ.get(HEADLESS_VARIABLE) == "1"


class Rehearsal:
    def __init__(self, server_url: str, code: str, *, participants: int = 12, seed: int = 0, pace: float | None = None):
        if not isinstance(participants, int) or participants < 1:
            raise ValueError("A rehearsal needs at least one simulated participant.")
        self.server_url, self.code = server_url.rstrip("/"), code
        self.participants, self.seed = participants, seed
        if pace is None:
            pace = 0.0 if headless() else DEFAULT_PACE_SECONDS
        self.pace = pace
        self.sent: dict[str, list[list[str] | None]] = {}  # what each pretend phone chose, to check results
        self.threads: list[threading.Thread] = []
        #: Answers the server refused for another reason than a closed poll, one line each, so that a
        #: rehearsal that went wrong says so instead of thinning out unseen.
        self.refused: list[str] = []

    def choices(self, question: Question) -> list[list[str] | None]:
        """The answers the pretend phones give to `question`: a list of option ids each, None = skip."""
        rng = random.Random(f"{self.seed}:{question.id}")
        if question.kind == "word":  # a few common words, so several clear the 2-person rule
            return [
                None if rng.random() < SKIP_CHANCE else [rng.choice(CHECK_IN_WORDS)] for _ in range(self.participants)
            ]
        feelings = [o for o in question.options if not o.exclusive]
        exclusive = [o for o in question.options if o.exclusive]
        weights = [rng.uniform(0.2, 1.0) for _ in feelings]
        answers: list[list[str] | None] = []
        for _ in range(self.participants):
            roll = rng.random()
            if roll < SKIP_CHANCE:
                answers.append(None)
            elif roll < SKIP_CHANCE + PREFER_NOT_CHANCE and question.prefer_not_to_say:
                answers.append([question.all_options[-1].id])
            elif question.kind == "multi":
                ticked = [o.id for o, w in zip(feelings, weights) if rng.random() < w * 0.7]
                answers.append(ticked or [rng.choice(exclusive or feelings).id])
            else:
                answers.append([rng.choices(feelings, weights=weights)[0].id])
        design = question.design()
        if design is None:
            return answers
        # Like a real phone, randomize every answer but a skip (and "prefer not to say", which the
        # randomizer sends as it is).
        ids = [o.id for o in question.options]
        return [None if chosen is None else privacy.randomize_answer(design, ids, chosen, rng) for chosen in answers]

    def answer(self, question: Question) -> None:
        """Every pretend phone answers, now (pace 0) or spread over `pace` seconds in the background."""
        answers = self.choices(question)
        self.sent[question.id] = answers
        if self.pace <= 0:
            for phone, chosen in enumerate(answers):
                self._send(phone, question, chosen)
            return
        thread = threading.Thread(target=self._send_paced, args=(question, answers), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _send_paced(self, question, answers):
        gap = self.pace / max(len(answers), 1)
        for phone, chosen in enumerate(answers):
            time.sleep(gap)
            try:
                self._send(phone, question, chosen)
            except urllib.error.HTTPError as error:
                if error.code == 409:
                    return  # the facilitator closed the poll early: the rest simply did not answer
                self.refused.append(f"pretend phone {phone} on '{question.id}': {error.code} {error.reason}")
            except OSError:
                return  # the server went away (the room ended): nobody is left to answer

    def _send(self, phone: int, question: Question, chosen: list[str] | None) -> None:
        body = {"question": question.id, "options": chosen or [], "skip": chosen is None}
        if question.kind == "word" and chosen:
            body = {"question": question.id, "word": chosen[0]}
        self._post(phone, "answer", body)

    def ask(self, how_many: int = 4) -> list[str]:
        """Pretend phones drop `how_many` of BOX_QUESTIONS in the anonymous box, each from its own phone
        (among them, one names someone, to flag, and one may be a disclosure, to set aside)."""
        texts = random.Random(f"{self.seed}:box").sample(BOX_QUESTIONS, min(how_many, len(BOX_QUESTIONS)))
        for phone, text in enumerate(texts):
            self._post(phone, "box", {"text": text})
        return texts

    def _post(self, phone: int, route: str, body: dict) -> None:
        """Send as the phone would. A phone that answers faster than a person could (a rehearsal at
        pace 0 opening poll after poll) meets the server's flood limit, 429: like a person, it waits
        a moment and sends again."""
        request = urllib.request.Request(
            f"{self.server_url}/r/{self.code}/{route}", method="POST", data=json.dumps(body).encode()
        )
        request.add_header("Content-Type", "application/json")
        # Each room has its own pretend phones, as a real room has its own people.
        request.add_header("Cookie", f"aftertalk_device=rehearsal-{self.seed}-{self.code}-phone-{phone:04d}")
        for attempt in range(FLOOD_RETRIES + 1):
            try:
                with urllib.request.urlopen(request, timeout=10):
                    return
            except urllib.error.HTTPError as error:
                if error.code != 429 or attempt == FLOOD_RETRIES:
                    raise
                time.sleep(FLOOD_WAIT_SECONDS)
