"""The SQLite store: rooms, question state and per-option counters. Plain functions over sqlite3.

Nothing here can hold an individual answer: a submission only increments counters and adds a voter
hash, inside a transaction that commits before the phone is told its answer counted.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

from . import privacy
from .errors import Conflict, NotFound, Unavailable

SCHEMA = Path(__file__).with_name("schema.sql")
DATABASE_NAME = "aftertalk.sqlite3"


def connect(data_dir) -> sqlite3.Connection:
    """Open (and create) the store in `data_dir`, in WAL mode with the schema applied."""
    path = Path(data_dir) / DATABASE_NAME
    # Room keys and unrevealed counts: readable by this user only (SQLite gives its -wal and -shm
    # files the same permissions as the database).
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode survives a killed process (the commit is in the WAL file); only a power cut
    # can lose the last commits. That is the trade-off that keeps 1,000 answers fast.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")  # erased rooms are overwritten, not just unlinked
    db.execute("PRAGMA busy_timeout = 5000")
    db.executescript(SCHEMA.read_text())
    return db


@contextlib.contextmanager
def transaction(db: sqlite3.Connection):
    """BEGIN IMMEDIATE ... COMMIT; a full or read-only disk becomes `Unavailable`, never a lost answer."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.OperationalError as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise Unavailable("The poll server cannot save answers right now "
                          f"({error}). Nothing was counted; please try again in a moment.") from error


def create_room(db, code: str, room_key: bytes, token_hash: str, threshold: int) -> None:
    with transaction(db):
        db.execute("INSERT INTO rooms (code, room_key, token_hash, threshold) VALUES (?, ?, ?, ?)",
                   (code, room_key, token_hash, threshold))


def get_room(db, code: str):
    """The room row (code, room_key, token_hash), or None."""
    return db.execute("SELECT * FROM rooms WHERE code = ?", (code,)).fetchone()


def room_codes(db) -> list[str]:
    return [row["code"] for row in db.execute("SELECT code FROM rooms")]


def get_question(db, code: str, question_id: str):
    """The question row with its definition decoded, or raise NotFound."""
    row = db.execute("SELECT * FROM questions WHERE room_code = ? AND question_id = ?",
                     (code, question_id)).fetchone()
    if row is None:
        raise NotFound(f"There is no question '{question_id}' in room {code}. "
                       "Open it first, or check the question id.")
    return row


def _question_state(db, code: str, question_id: str) -> str:
    """The poll's state (open, closed, revealed), or raise NotFound; without the definition's text."""
    row = db.execute("SELECT state FROM questions WHERE room_code = ? AND question_id = ?",
                     (code, question_id)).fetchone()
    if row is None:
        get_question(db, code, question_id)  # raises NotFound with its message
    return row["state"]


def list_questions(db, code: str) -> list:
    return db.execute("SELECT * FROM questions WHERE room_code = ? ORDER BY position",
                      (code,)).fetchall()


def open_question(db, code: str, question_id: str, definition: dict, option_ids) -> bool:
    """Open a poll. Returns False when the same question is already open (a retried request).

    A closed poll never reopens, and a room asks each question once: a second chart of the same
    question under a new id could be subtracted from the first, and the difference would single
    out whoever answered only one of them. A before/after pair is declared (`after` names the first)
    and released by `privacy.pair_withheld`.
    """
    encoded = json.dumps(definition, sort_keys=True)
    with transaction(db):
        row = db.execute("SELECT state, definition FROM questions WHERE room_code = ? AND question_id = ?",
                         (code, question_id)).fetchone()
        if row is not None:
            if row["state"] != "open":
                raise Conflict(f"Question '{question_id}' was already closed in this room, and a closed "
                               "poll never reopens: two charts of one question could be subtracted to "
                               "single out someone who answered only one of them.")
            if row["definition"] != encoded:
                raise Conflict(f"Question '{question_id}' is already open with a different wording. "
                               "Close it first, or use a new id.")
            return False
        first = definition.get("after")
        for earlier in db.execute("SELECT question_id, definition, state FROM questions WHERE room_code = ?",
                                  (code,)).fetchall():
            if earlier["question_id"] == first:
                if earlier["state"] == "open":
                    raise Conflict(f"'{question_id}' is the second half of a pair with '{first}', which is "
                                   f"still open. Close '{first}' first, so that its count is final.")
            elif privacy.same_question(json.loads(earlier["definition"]), definition):
                raise Conflict(
                    f"'{question_id}' asks the same question as '{earlier['question_id']}', which this room "
                    "has already asked. A room asks each question once: the two charts could be subtracted, "
                    "and the difference would single out someone who answered only one of them. To ask it "
                    f"at the start and at the end, declare the pair in the question file (after: "
                    f"{earlier['question_id']}); otherwise change the question.")
        position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM questions WHERE room_code = ?",
                              (code,)).fetchone()[0]
        db.execute("INSERT INTO questions (room_code, question_id, definition, state, position) "
                   "VALUES (?, ?, ?, 'open', ?)", (code, question_id, encoded, position))
        db.executemany("INSERT INTO option_counts (room_code, question_id, option_id) VALUES (?, ?, ?)",
                       [(code, question_id, option_id) for option_id in option_ids])
    return True


def close_question(db, code: str, question_id: str) -> None:
    """open -> closed; closing a closed or revealed poll changes nothing."""
    with transaction(db):
        get_question(db, code, question_id)
        db.execute("UPDATE questions SET state = 'closed' "
                   "WHERE room_code = ? AND question_id = ? AND state = 'open'", (code, question_id))


def reveal_question(db, code: str, question_id: str) -> None:
    """Closes the poll if it is still open, then marks it revealed."""
    with transaction(db):
        get_question(db, code, question_id)
        db.execute("UPDATE questions SET state = 'revealed' WHERE room_code = ? AND question_id = ?",
                   (code, question_id))


def _claim_vote(db, code: str, question_id: str, voter_hash: bytes) -> None:
    """Inside a transaction: the poll must be open and this device must not have answered it yet."""
    if _question_state(db, code, question_id) != "open":
        raise Conflict("This poll has closed, so answers are no longer counted. "
                       "Wait for the next question.")
    try:
        db.execute("INSERT INTO voters (room_code, question_id, voter_hash) VALUES (?, ?, ?)",
                   (code, question_id, voter_hash))
    except sqlite3.IntegrityError:
        raise Conflict("This phone has already answered this question. "
                       "Each phone can answer once.") from None


def count_answer(db, code: str, question_id: str, voter_hash: bytes, option_ids, *, skip: bool = False) -> None:
    """Inside a transaction (the server's group commit): count one device's answer, adding its voter
    hash and one to each chosen option (ids distinct). Raises Conflict before writing anything.

    A skip marks the device done and counts nothing. (A randomized multi-select answer may tick
    no option at all and still counts as an answer.)
    """
    _claim_vote(db, code, question_id, voter_hash)
    if not skip:
        db.execute("UPDATE option_counts SET count = count + 1 WHERE room_code = ? AND question_id = ? "
                   f"AND option_id IN ({','.join('?' * len(option_ids))})", (code, question_id, *option_ids))
        db.execute("UPDATE questions SET answers = answers + 1 WHERE room_code = ? AND question_id = ?",
                   (code, question_id))


def record_tally(db, code: str, question_id: str, counts: dict[str, int], people: int) -> None:
    """Store a show-of-hands tally typed in by the facilitator, and reveal it.

    Only a poll that no phone has answered can take a tally, so phone answers and hands never mix.
    """
    with transaction(db):
        row = get_question(db, code, question_id)
        voted = db.execute("SELECT 1 FROM voters WHERE room_code = ? AND question_id = ? LIMIT 1",
                           (code, question_id)).fetchone()
        if row["state"] != "open" or voted:
            raise Conflict(f"Question '{question_id}' already has answers from phones or was closed; "
                           "a show-of-hands tally needs a poll of its own. Use a new question id.")
        db.executemany("UPDATE option_counts SET count = ? WHERE room_code = ? AND question_id = ? AND option_id = ?",
                       [(count, code, question_id, option_id) for option_id, count in counts.items()])
        db.execute("UPDATE questions SET answers = ?, state = 'revealed' WHERE room_code = ? AND question_id = ?",
                   (people, code, question_id))


def has_voted(db, code: str, question_id: str, voter_hash: bytes) -> bool:
    return db.execute("SELECT 1 FROM voters WHERE room_code = ? AND question_id = ? AND voter_hash = ?",
                      (code, question_id, voter_hash)).fetchone() is not None


def option_counts(db, code: str, question_id: str) -> dict[str, int]:
    rows = db.execute("SELECT option_id, count FROM option_counts WHERE room_code = ? AND question_id = ?",
                      (code, question_id))
    return {row["option_id"]: row["count"] for row in rows}


def end_room(db, code: str) -> None:
    """Erase the room: its key, token hash, questions, counts and voter hashes."""
    with transaction(db):
        db.execute("DELETE FROM rooms WHERE code = ?", (code,))
    # Fold the WAL back into the main file so erased pages do not linger in the log.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def default_data_dir() -> Path:
    """Where the laptop's rooms live: $AFTERTALK_DATA_DIR, or ~/.aftertalk."""
    return Path(os.environ.get("AFTERTALK_DATA_DIR") or Path.home() / ".aftertalk")


# --- the anonymous question box -------------------------------------------------------------------

def add_box_question(db, code: str, box_id: str, text: str, flags: str) -> None:
    with transaction(db):
        db.execute("INSERT INTO box_questions (room_code, box_id, text, flags) VALUES (?, ?, ?, ?)",
                   (code, box_id, text, flags))


def box_questions(db, code: str, states=("pending", "shown", "answered", "hidden")) -> list:
    """The room's box, ordered by random id: the order says nothing about who asked first."""
    marks = ",".join("?" * len(states))
    return db.execute(f"SELECT * FROM box_questions WHERE room_code = ? AND state IN ({marks}) ORDER BY box_id",
                      (code, *states)).fetchall()


def set_box_state(db, code: str, box_id: str, state: str) -> None:
    with transaction(db):
        updated = db.execute("UPDATE box_questions SET state = ? WHERE room_code = ? AND box_id = ?",
                             (state, code, box_id)).rowcount
        if not updated:
            raise NotFound(f"There is no question '{box_id}' in this room's question box.")


def upvote_box_question(db, code: str, box_id: str, voter_hash: bytes) -> None:
    with transaction(db):
        row = db.execute("SELECT state FROM box_questions WHERE room_code = ? AND box_id = ?",
                         (code, box_id)).fetchone()
        if row is None or row["state"] != "shown":
            raise NotFound("That question is not on the screen, so it cannot be upvoted.")
        try:
            db.execute("INSERT INTO box_voters (room_code, box_id, voter_hash) VALUES (?, ?, ?)",
                       (code, box_id, voter_hash))
        except sqlite3.IntegrityError:
            raise Conflict("This phone has already upvoted that question.") from None
        db.execute("UPDATE box_questions SET upvotes = upvotes + 1 WHERE room_code = ? AND box_id = ?",
                   (code, box_id))


# --- one-word check-ins ---------------------------------------------------------------------------

def count_word(db, code: str, question_id: str, voter_hash: bytes, word: str) -> None:
    """Inside a transaction, like count_answer: one phone's voter hash plus one on its word's counter."""
    _claim_vote(db, code, question_id, voter_hash)
    db.execute("INSERT INTO word_counts (room_code, question_id, word, count) VALUES (?, ?, ?, 1) "
               "ON CONFLICT (room_code, question_id, word) DO UPDATE SET count = count + 1",
               (code, question_id, word))
    db.execute("UPDATE questions SET answers = answers + 1 WHERE room_code = ? AND question_id = ?",
               (code, question_id))


def word_counts(db, code: str, question_id: str) -> list:
    return db.execute("SELECT word, count, hidden FROM word_counts WHERE room_code = ? AND question_id = ? "
                      "ORDER BY count DESC, word", (code, question_id)).fetchall()


def hide_word(db, code: str, question_id: str, word: str) -> None:
    """Keep a word off the chart; only between close and reveal. A word nobody gave changes nothing
    and is not an error: whether anyone typed a word is never an answer to a request."""
    with transaction(db):
        if get_question(db, code, question_id)["state"] != "closed":
            raise Conflict("Words can be reviewed and hidden only after the poll is closed and before it "
                           "is revealed.")
        db.execute("UPDATE word_counts SET hidden = 1 WHERE room_code = ? AND question_id = ? AND word = ?",
                   (code, question_id, word))
