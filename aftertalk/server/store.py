"""The SQLite store: rooms, question state and per-option counters. Plain functions over sqlite3.

Nothing here can hold an individual answer: a submission only increments counters and adds a voter
hash, inside a transaction that commits before the phone is told its answer counted.

The file holds the present, not the past (DESIGN.md point 10): a copy of the data folder taken
between two commits holds the current counters and nothing from which an earlier state or the order
of arrival could be rebuilt. Three choices give that, each checked page by page in
tests/test_disk_holds_present.py:
- a rollback journal truncated at every commit, not a write-ahead log that keeps every commit as frames
  (`connect`), with `secure_delete` zeroing whatever a write frees;
- counters stored as COUNTER_BASE + n, so every value has the same width and an increment rewrites its
  cell in place instead of moving it (a moved cell marks the latest change);
- every table that answers or people's texts change (counters, box questions, check-in words) rewritten
  in key order in each transaction that writes to it (`transaction`): its pages are then the very pages
  a new database would get from the current rows, with no trace of where a row was slotted in or what
  a counter held before. A question's answer count is a counter row of its own (option id ""), so
  the questions table, which holds the long definitions, is not rewritten per answer.
- who has answered a question (or upvoted a box question) is one sorted blob of voter hashes per
  question, overwritten in place (`_write_voter_set`), not a row per phone: the file holds the set of
  phones, never the order they came in.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from pathlib import Path

from aftertalk import privacy
from aftertalk.errors import Conflict, NotFound, Unavailable
from aftertalk.questions import PREFER_NOT_TO_SAY

SCHEMA = Path(__file__).with_name("schema.sql")
DATABASE_NAME = "aftertalk.sqlite3"
SCHEMA_VERSION = 5  # PRAGMA user_version; before 5: no "set aside" box state; before 4: randomized "prefer not
# to say" counted; before 3: a row per voter; before 2: plain counters (`_migrate`)

# Every counter (option and word counts, answers, upvotes) is stored as COUNTER_BASE + n: SQLite then
# encodes each one as a 6-byte integer whatever n is (up to 2**47), so `count = count + 1` overwrites
# the cell in place. Stored as plain n, going from 1 to 2 or 127 to 128 changes the record's size and
# SQLite moves the cell, and the cells' positions tell which counters changed last. Only this module
# sees the offset: every count it returns is n.
COUNTER_BASE = 2**40

# The tables that answers and people's texts write to, with the key each is rewritten in (`transaction`).
REWRITTEN_IN_KEY_ORDER = {
    "option_counts": "room_code, question_id, option_id",
    "box_questions": "room_code, box_id",
    "word_counts": "room_code, question_id, word",
    "voter_sets": "room_code, set_id",
}
# What the facilitator can do with a box question. Only "shown" reaches the phones and the projector. A
# question set aside (a possible disclosure: facilitator_guide/safety_and_support.md) stays in the
# facilitator's private list until the room ends, and no later action can put it on a screen.
SET_ASIDE = "set_aside"
BOX_STATES = ("pending", "shown", "answered", "hidden", SET_ASIDE)
VOTER_HASH_BYTES = 32  # HMAC-SHA256 (server.voter_hash)
MIN_VOTER_SLOTS = 64  # a voter set's blob holds a power of two of hashes, at least this many
ANSWERS = ""  # the option id of the counter of phones that answered a question (skips excluded)

_QUESTION_COLUMNS = (
    "room_code, question_id, definition, state, position, "
    f"(SELECT count - {COUNTER_BASE} FROM option_counts WHERE option_counts.room_code = questions.room_code "
    "AND option_counts.question_id = questions.question_id AND option_id = '') AS answers"
)
_BOX_COLUMNS = f"room_code, box_id, text, state, flags, upvotes - {COUNTER_BASE} AS upvotes"


class Store(sqlite3.Connection):
    """A connection that remembers what the open transaction must write just before its COMMIT: the
    tables to rewrite in key order, and the voter sets it changed (sorted hashes, by (room, set))."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tables_to_rewrite: set[str] = set()
        self.voter_sets: dict[tuple[str, str], bytes] = {}


def connect(data_dir) -> Store:
    """Open (and create) the store in `data_dir`, with a rollback journal and the schema applied."""
    path = Path(data_dir) / DATABASE_NAME
    # Room keys and unrevealed counts: readable by this user only (SQLite gives its rollback journal
    # the same permissions as the database).
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=Store)
    db.row_factory = sqlite3.Row
    # A rollback journal, emptied at every commit: between commits the folder holds the database file
    # and an empty journal. (A write-ahead log keeps each commit's pages as frames until a checkpoint,
    # so a copy of it replays the answers batch by batch.) While a commit is being written the journal
    # holds that one batch's pages as they were before it; SECURITY.md states this window.
    db.execute("PRAGMA journal_mode = TRUNCATE")
    # NORMAL with a rollback journal syncs at every commit: a killed process or a power cut loses no
    # acknowledged answer. The sync costs about 0.6 ms per commit here, shared by the answers of a
    # batch (group_commit.py); benchmarks/README.md has the measurements.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    # Freed cells, freed pages and erased rooms are overwritten with zeros, not just unlinked.
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA temp_store = MEMORY")  # sorts never spill answers into a temporary file
    db.execute("PRAGMA busy_timeout = 5000")
    _migrate(db)
    db.executescript(SCHEMA.read_text())
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return db


def _migrate(db: Store) -> None:
    """Bring a store written by an older Aftertalk (user_version below 5) to this layout, keeping its
    rooms: from before 2, counters move to COUNTER_BASE + n, each question's answer count moves to its
    counter row, and the counter, box and word tables are made again without their foreign keys
    (schema.sql); from before 3, voters move into sorted voter sets; from before 4, a randomized
    question's "prefer not to say" answers become the skips they are today (`_uncount_randomized_declines`);
    and from before 5, the box table is made again so that its states include "set aside"."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if "rooms" not in tables or db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    version = db.execute("PRAGMA user_version").fetchone()[0]
    schema = SCHEMA.read_text()
    with transaction(db):
        if version < 3:
            # 3: a row per voter becomes one sorted set per question (and per box question's upvotes).
            db.execute(_create_statement(schema, "voter_sets"))
            for table, set_id in (("voters", "question_id"), ("box_voters", "'box:' || box_id")):
                sets: dict[tuple[str, str], list[bytes]] = {}
                for row in db.execute(f"SELECT room_code, {set_id} AS set_id, voter_hash FROM {table}"):
                    sets.setdefault((row["room_code"], row["set_id"]), []).append(row["voter_hash"])
                for (code, set_id_value), hashes in sets.items():
                    db.voter_sets[(code, set_id_value)] = b"".join(sorted(hashes))
                db.execute(f"DROP TABLE {table}")
        if version < 2:
            for table in ("box_questions", "word_counts", "option_counts"):
                _make_again(db, schema, table)
            for table, column in (("option_counts", "count"), ("word_counts", "count"), ("box_questions", "upvotes")):
                db.execute(f"UPDATE {table} SET {column} = {column} + {COUNTER_BASE}")
            db.execute(
                "INSERT INTO option_counts (room_code, question_id, option_id, count) "
                f"SELECT room_code, question_id, '', answers + {COUNTER_BASE} FROM questions"
            )
            db.execute("UPDATE questions SET answers = 0")  # the old column stays, unused
            db.tables_to_rewrite.update(REWRITTEN_IN_KEY_ORDER)
        elif version < 5:
            # 5: SQLite cannot change a CHECK in place; the box table is made again with today's states.
            _make_again(db, schema, "box_questions")
            db.tables_to_rewrite.add("box_questions")
        _uncount_randomized_declines(db)


def _make_again(db, schema: str, table: str) -> None:
    """Inside a transaction: make `table` again as schema.sql has it today, with the same rows (the old
    table's pages are zeroed as it is dropped: `secure_delete`)."""
    db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
    db.execute(_create_statement(schema, table))
    db.execute(f"INSERT INTO {table} SELECT * FROM old_{table}")
    db.execute(f"DROP TABLE old_{table}")


def _uncount_randomized_declines(db) -> None:
    """Inside a transaction: take a randomized question's "prefer not to say" answers out of its counts.

    Older stores counted them, in the option and in the answers. Today they are skips (app.py's
    AnswerHandler): kept, the one exact count beside the estimates would be n minus the reports, and
    a single-choice question's reports would no longer add up to n (a 500 on its results).
    """
    for row in db.execute("SELECT room_code, question_id, definition FROM questions").fetchall():
        if json.loads(row["definition"]).get("privacy") != "randomized":
            continue
        declined = db.execute(
            f"SELECT count - {COUNTER_BASE} FROM option_counts WHERE room_code = ? "
            "AND question_id = ? AND option_id = ?",
            (row["room_code"], row["question_id"], PREFER_NOT_TO_SAY),
        ).fetchone()
        if declined and declined[0]:
            db.execute(
                "UPDATE option_counts SET count = count - ? WHERE room_code = ? AND question_id = ? "
                "AND option_id IN ('', ?)",
                (declined[0], row["room_code"], row["question_id"], PREFER_NOT_TO_SAY),
            )
            db.tables_to_rewrite.add("option_counts")


def _create_statement(schema: str, table: str) -> str:
    """schema.sql's CREATE TABLE for `table`, for a migration that makes an old table again."""
    found = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \(.*?\) WITHOUT ROWID", schema, re.S)
    if found is None:  # schema.sql ships with this code, so this is a bug in the package, not in a store
        raise RuntimeError(f"schema.sql has no WITHOUT ROWID table {table!r}")
    return found.group()


@contextlib.contextmanager
def transaction(db: Store):
    """BEGIN IMMEDIATE ... COMMIT; a full or read-only disk becomes `Unavailable`, never a lost answer.

    Before the COMMIT, each table marked in `db.tables_to_rewrite` is rewritten in key order, so the
    committed file never shows where a new row was slotted in.
    """
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            for (code, set_id), hashes in db.voter_sets.items():
                _write_voter_set(db, code, set_id, hashes)
            for table in sorted(db.tables_to_rewrite):
                _rewrite_in_key_order(db, table)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.tables_to_rewrite.clear()
            db.voter_sets.clear()
        db.execute("COMMIT")
    except sqlite3.OperationalError as error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise Unavailable(
            "The poll server cannot save answers right now "
            f"({error}). Nothing was counted; please try again in a moment."
        ) from error


def _rewrite_in_key_order(db: sqlite3.Connection, table: str) -> None:
    """Inside a transaction: delete the whole table and insert its rows again in key order.

    SQLite fills a page's cell area from its end downwards, so the byte offsets of the cells in a page
    record the order they were inserted in, even in a table sorted by a random key. A DELETE without
    WHERE on a table without foreign keys zeroes its root page and frees (and, with `secure_delete`,
    zeroes) the others; the rows inserted again in key order then give the very pages a new database
    would get from the same rows, whatever order they arrived in. The whole table, not one room's rows:
    a page shared with another room's rows would keep the holes of the old layout. It costs a pass over
    the table, which only box questions and check-in words (a few hundred rows) pay.
    """
    rows = [tuple(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY {REWRITTEN_IN_KEY_ORDER[table]}")]
    db.execute(f"DELETE FROM {table}")
    if rows:
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


# --- who has answered: sorted voter sets ------------------------------------------------------------


def _voter_set(db, code: str, set_id: str) -> bytes:
    """The sorted voter hashes of one set, with what the open transaction has added to it."""
    changed = db.voter_sets.get((code, set_id))
    if changed is not None:
        return changed
    row = db.execute("SELECT hashes FROM voter_sets WHERE room_code = ? AND set_id = ?", (code, set_id)).fetchone()
    if row is None:
        return b""
    # The slots after the last hash are zeros. (A hash ending in zero bytes keeps its length through
    # the rounding up; one of 32 zero bytes would need HMAC-SHA256 to give exactly that.)
    used = -(-len(row["hashes"].rstrip(b"\0")) // VOTER_HASH_BYTES)
    return row["hashes"][: used * VOTER_HASH_BYTES]


def _find_voter(hashes: bytes, voter_hash: bytes) -> tuple[int, bool]:
    """Binary search of a sorted set: (the slot where voter_hash is or would go, whether it is there)."""
    low, high = 0, len(hashes) // VOTER_HASH_BYTES
    while low < high:
        middle = (low + high) // 2
        if hashes[middle * VOTER_HASH_BYTES : (middle + 1) * VOTER_HASH_BYTES] < voter_hash:
            low = middle + 1
        else:
            high = middle
    found = hashes[low * VOTER_HASH_BYTES : (low + 1) * VOTER_HASH_BYTES] == voter_hash
    return low, found


def _add_voter(db, code: str, set_id: str, voter_hash: bytes) -> bool:
    """Inside a transaction: add a phone to a set; False, with nothing changed, if it is in it already.
    Written at the transaction's end (`_write_voter_set`), once however many phones a batch adds."""
    if len(voter_hash) != VOTER_HASH_BYTES:
        raise ValueError(f"a voter hash has {VOTER_HASH_BYTES} bytes, not {len(voter_hash)}")
    hashes = _voter_set(db, code, set_id)
    slot, found = _find_voter(hashes, voter_hash)
    if found:
        return False
    at = slot * VOTER_HASH_BYTES
    db.voter_sets[(code, set_id)] = hashes[:at] + voter_hash + hashes[at:]
    return True


def _write_voter_set(db, code: str, set_id: str, hashes: bytes) -> None:
    """Store a set as its sorted hashes followed by zeros, in a blob of a power of two of slots.

    Sorted, so its bytes depend on which phones answered and not on their order; of a fixed size, so
    SQLite overwrites the blob where it lies (a same-size update is written in place, overflow pages
    included) instead of moving it. When the set outgrows its blob, the blob doubles and the table is
    rewritten in key order, as the counters' tables are, so no row's place tells which grew last.
    """
    slots = MIN_VOTER_SLOTS
    while slots * VOTER_HASH_BYTES < len(hashes):
        slots *= 2
    blob = hashes.ljust(slots * VOTER_HASH_BYTES, b"\0")
    row = db.execute(
        "SELECT length(hashes) AS size FROM voter_sets WHERE room_code = ? AND set_id = ?", (code, set_id)
    ).fetchone()
    if row is not None and row["size"] == len(blob):
        db.execute("UPDATE voter_sets SET hashes = ? WHERE room_code = ? AND set_id = ?", (blob, code, set_id))
        return
    db.execute("INSERT OR REPLACE INTO voter_sets (room_code, set_id, hashes) VALUES (?, ?, ?)", (code, set_id, blob))
    db.tables_to_rewrite.add("voter_sets")


def create_room(db, code: str, room_key: bytes, token_hash: str, threshold: int) -> None:
    with transaction(db):
        db.execute(
            "INSERT INTO rooms (code, room_key, token_hash, threshold) VALUES (?, ?, ?, ?)",
            (code, room_key, token_hash, threshold),
        )


def get_room(db, code: str):
    """The room row (code, room_key, token_hash), or None."""
    return db.execute("SELECT * FROM rooms WHERE code = ?", (code,)).fetchone()


def room_codes(db) -> list[str]:
    return [row["code"] for row in db.execute("SELECT code FROM rooms")]


def get_question(db, code: str, question_id: str):
    """The question row with its definition decoded, or raise NotFound."""
    row = db.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE room_code = ? AND question_id = ?", (code, question_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no question '{question_id}' in room {code}. Open it first, or check the question id.")
    return row


def _question_state(db, code: str, question_id: str) -> str:
    """The poll's state (open, closed, revealed), or raise NotFound; without the definition's text."""
    row = db.execute(
        "SELECT state FROM questions WHERE room_code = ? AND question_id = ?", (code, question_id)
    ).fetchone()
    if row is None:
        get_question(db, code, question_id)  # raises NotFound with its message
    return row["state"]


def list_questions(db, code: str) -> list:
    return db.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE room_code = ? ORDER BY position", (code,)
    ).fetchall()


def _versions_of_one_question(first_id: str, first: dict, second_id: str, second: dict) -> bool:
    """Whether two question definitions are versions of one question (`instead_of`, as pcd_ever_private
    is of pcd_ever): one names the other, or both name the same third."""
    usual = {first.get("instead_of") or first_id, second.get("instead_of") or second_id}
    return len(usual) == 1


def open_question(db, code: str, question_id: str, definition: dict, option_ids) -> bool:
    """Open a poll. Returns False when the same question is already open (a retried request).

    A closed poll never reopens, and a room asks each question once: a second chart of the same
    question under a new id could be subtracted from the first, and the difference would single
    out whoever answered only one of them. A before/after pair is declared (`after` names the first,
    which must be the same question and already revealed) and released by `privacy.pair_withheld`.
    """
    encoded = json.dumps(definition, sort_keys=True)
    with transaction(db):
        row = db.execute(
            "SELECT state, definition FROM questions WHERE room_code = ? AND question_id = ?", (code, question_id)
        ).fetchone()
        if row is not None:
            if row["state"] != "open":
                raise Conflict(
                    f"Question '{question_id}' was already closed in this room, and a closed "
                    "poll never reopens: two charts of one question could be subtracted to "
                    "single out someone who answered only one of them."
                )
            if row["definition"] != encoded:
                raise Conflict(
                    f"Question '{question_id}' is already open with a different wording. "
                    "Close it first, or use a new id."
                )
            return False
        first = definition.get("after")
        for earlier in db.execute(
            "SELECT question_id, definition, state FROM questions WHERE room_code = ?", (code,)
        ).fetchall():
            asked = json.loads(earlier["definition"])
            if earlier["question_id"] == first:
                if not privacy.pairs_with(asked, definition):
                    raise Conflict(
                        f"'{question_id}' says it is the second half of a pair with '{first}', but this room "
                        f"asked '{first}' as a different question. A pair asks the same kind, text and options "
                        "twice, so that its two charts compare like with like; open the same question, or "
                        "drop `after`."
                    )
                if earlier["state"] != "revealed":
                    # Whether the second chart shows depends on the first's counts: it must not say
                    # anything about counts the room has not been shown.
                    raise Conflict(
                        f"'{question_id}' is the second half of a pair with '{first}', which is "
                        f"{earlier['state']} but not revealed yet. Reveal '{first}' first: whether "
                        "the second chart can show depends on the first one's counts."
                    )
            elif _versions_of_one_question(earlier["question_id"], asked, question_id, definition):
                raise Conflict(
                    f"'{question_id}' and '{earlier['question_id']}' are two versions of one question, and this "
                    f"room has already asked '{earlier['question_id']}'. A room asks one version: answers to "
                    "both could be set side by side, which would undo the extra privacy of the randomized one."
                )
            elif privacy.same_question(asked, definition):
                raise Conflict(
                    f"'{question_id}' asks the same question as '{earlier['question_id']}', which this room "
                    "has already asked. A room asks each question once: the two charts could be subtracted, "
                    "and the difference would single out someone who answered only one of them. To ask it "
                    f"at the start and at the end, declare the pair in the question file (after: "
                    f"{earlier['question_id']}); otherwise change the question."
                )
        position = db.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM questions WHERE room_code = ?", (code,)
        ).fetchone()[0]
        db.execute(
            "INSERT INTO questions (room_code, question_id, definition, state, position) VALUES (?, ?, ?, 'open', ?)",
            (code, question_id, encoded, position),
        )
        db.executemany(
            "INSERT INTO option_counts (room_code, question_id, option_id, count) VALUES (?, ?, ?, ?)",
            [(code, question_id, option_id, COUNTER_BASE) for option_id in (ANSWERS, *option_ids)],
        )
        db.tables_to_rewrite.add("option_counts")
    return True


def close_question(db, code: str, question_id: str) -> None:
    """open -> closed; closing a closed or revealed poll changes nothing."""
    with transaction(db):
        get_question(db, code, question_id)
        db.execute(
            "UPDATE questions SET state = 'closed' WHERE room_code = ? AND question_id = ? AND state = 'open'",
            (code, question_id),
        )


def reveal_question(db, code: str, question_id: str) -> None:
    """Closes the poll if it is still open, then marks it revealed."""
    with transaction(db):
        get_question(db, code, question_id)
        db.execute(
            "UPDATE questions SET state = 'revealed' WHERE room_code = ? AND question_id = ?", (code, question_id)
        )


def _claim_vote(db, code: str, question_id: str, voter_hash: bytes) -> None:
    """Inside a transaction: the poll must be open and this device must not have answered it yet."""
    if _question_state(db, code, question_id) != "open":
        raise Conflict("This poll has closed, so answers are no longer counted. Wait for the next question.")
    if not _add_voter(db, code, question_id, voter_hash):
        raise Conflict("This phone has already answered this question. Each phone can answer once.")


def count_answer(db, code: str, question_id: str, voter_hash: bytes, option_ids, *, skip: bool = False) -> None:
    """Inside a transaction (the server's group commit): count one device's answer, adding its voter
    hash and one to each chosen option (ids distinct). Raises Conflict before writing anything.

    A skip marks the device done and counts nothing. (A randomized multi-select answer may tick
    no option at all and still counts as an answer.)

    The counters are rewritten in key order, and the question's voter set in hash order, at the
    batch's commit: the file tells neither which answer nor which phone came when.
    """
    _claim_vote(db, code, question_id, voter_hash)
    if not skip:
        db.execute(
            "UPDATE option_counts SET count = count + 1 WHERE room_code = ? AND question_id = ? "
            f"AND option_id IN ({','.join('?' * (len(option_ids) + 1))})",
            (code, question_id, ANSWERS, *option_ids),
        )
        db.tables_to_rewrite.add("option_counts")


def record_tally(db, code: str, question_id: str, counts: dict[str, int], people: int) -> None:
    """Store a show-of-hands tally typed in by the facilitator, and reveal it.

    Only a poll that no phone has answered can take a tally, so phone answers and hands never mix.
    """
    with transaction(db):
        row = get_question(db, code, question_id)
        voted = _voter_set(db, code, question_id)
        if row["state"] != "open" or voted:
            raise Conflict(
                f"Question '{question_id}' already has answers from phones or was closed; "
                "a show-of-hands tally needs a poll of its own. Use a new question id."
            )
        db.executemany(
            "UPDATE option_counts SET count = ? WHERE room_code = ? AND question_id = ? AND option_id = ?",
            [
                (COUNTER_BASE + count, code, question_id, option_id)
                for option_id, count in {**counts, ANSWERS: people}.items()
            ],
        )
        db.execute(
            "UPDATE questions SET state = 'revealed' WHERE room_code = ? AND question_id = ?", (code, question_id)
        )
        db.tables_to_rewrite.add("option_counts")


def has_voted(db, code: str, question_id: str, voter_hash: bytes) -> bool:
    return _find_voter(_voter_set(db, code, question_id), voter_hash)[1]


def option_counts(db, code: str, question_id: str) -> dict[str, int]:
    rows = db.execute(
        f"SELECT option_id, count - {COUNTER_BASE} AS count FROM option_counts "
        "WHERE room_code = ? AND question_id = ? AND option_id != ''",
        (code, question_id),
    )
    return {row["option_id"]: row["count"] for row in rows}


def end_room(db, code: str) -> None:
    """Erase the room: its key, token hash, questions, counts and voter hashes (zeroed on disk by
    `secure_delete`; the rest cascades from `rooms`)."""
    with transaction(db):
        for table in ("voter_sets", "box_questions", "word_counts", "option_counts"):  # no foreign key: schema.sql
            db.execute(f"DELETE FROM {table} WHERE room_code = ?", (code,))
        db.execute("DELETE FROM rooms WHERE code = ?", (code,))


def add_box_question(db, code: str, box_id: str, text: str, flags: str) -> None:
    with transaction(db):
        db.execute(
            "INSERT INTO box_questions (room_code, box_id, text, flags, upvotes) VALUES (?, ?, ?, ?, ?)",
            (code, box_id, text, flags, COUNTER_BASE),
        )
        db.tables_to_rewrite.add("box_questions")


def box_questions(db, code: str, states=BOX_STATES) -> list:
    """The room's box, ordered by random id: the order says nothing about who asked first."""
    marks = ",".join("?" * len(states))
    return db.execute(
        f"SELECT {_BOX_COLUMNS} FROM box_questions WHERE room_code = ? AND state IN ({marks}) ORDER BY box_id",
        (code, *states),
    ).fetchall()


def set_box_state(db, code: str, box_id: str, state: str) -> None:
    """Move a box question to `state` (one of BOX_STATES). A question set aside stays set aside: showing
    it, or moving it anywhere from which it could be shown, is a Conflict that changes nothing."""
    with transaction(db):
        row = db.execute(
            "SELECT state FROM box_questions WHERE room_code = ? AND box_id = ?", (code, box_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no question '{box_id}' in this room's question box.")
        if row["state"] == SET_ASIDE and state != SET_ASIDE:
            # Worded for any screen: the panel may show this line on the projector.
            raise Conflict(
                f"Question '{box_id}' was set aside, so it is never shown on the phones or the projector, "
                "and it cannot be moved back. It stays in your private list until the room ends."
            )
        db.execute("UPDATE box_questions SET state = ? WHERE room_code = ? AND box_id = ?", (state, code, box_id))
        db.tables_to_rewrite.add("box_questions")


def upvote_box_question(db, code: str, box_id: str, voter_hash: bytes) -> None:
    with transaction(db):
        row = db.execute(
            "SELECT state FROM box_questions WHERE room_code = ? AND box_id = ?", (code, box_id)
        ).fetchone()
        if row is None or row["state"] != "shown":
            raise NotFound("That question is not on the screen, so it cannot be upvoted.")
        if not _add_voter(db, code, f"box:{box_id}", voter_hash):
            raise Conflict("This phone has already upvoted that question.")
        db.execute("UPDATE box_questions SET upvotes = upvotes + 1 WHERE room_code = ? AND box_id = ?", (code, box_id))
        db.tables_to_rewrite.add("box_questions")


# --- one-word check-ins ---------------------------------------------------------------------------


def count_word(db, code: str, question_id: str, voter_hash: bytes, word: str) -> None:
    """Inside a transaction, like count_answer: one phone's voter hash plus one on its word's counter."""
    _claim_vote(db, code, question_id, voter_hash)
    db.execute(
        "INSERT INTO word_counts (room_code, question_id, word, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (room_code, question_id, word) DO UPDATE SET count = count + 1",
        (code, question_id, word, COUNTER_BASE + 1),
    )
    db.execute(
        "UPDATE option_counts SET count = count + 1 WHERE room_code = ? AND question_id = ? AND option_id = ''",
        (code, question_id),
    )
    db.tables_to_rewrite.update(("word_counts", "option_counts"))  # once per batch, at its commit


def word_counts(db, code: str, question_id: str) -> list:
    return db.execute(
        f"SELECT word, count - {COUNTER_BASE} AS count, hidden FROM word_counts "
        "WHERE room_code = ? AND question_id = ? ORDER BY count DESC, word",
        (code, question_id),
    ).fetchall()


def hide_word(db, code: str, question_id: str, word: str) -> None:
    """Keep a word off the chart; only between close and reveal. A word nobody gave changes nothing
    and is not an error: whether anyone typed a word is never an answer to a request."""
    with transaction(db):
        if get_question(db, code, question_id)["state"] != "closed":
            raise Conflict("Words can be reviewed and hidden only after the poll is closed and before it is revealed.")
        db.execute(
            "UPDATE word_counts SET hidden = 1 WHERE room_code = ? AND question_id = ? AND word = ?",
            (code, question_id, word),
        )
        db.tables_to_rewrite.add("word_counts")
