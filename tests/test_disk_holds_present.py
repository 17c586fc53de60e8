"""The disk holds the present, not the past (DESIGN.md point 10).

A real server takes single and multi-select answers, box questions (moderated, set aside, upvoted) and a word
check-in; then, with no request in flight (between commits), the live data folder is copied byte by
byte, as someone with the laptop for a minute would. From that copy alone:
- no write-ahead log holds any frame (so no commit can be replayed), and the journal is empty;
- every b-tree page's unused bytes, every freeblock and every free page is zeros;
- the counter, box and word tables are byte for byte the pages a new database gets from their current
  rows inserted in key order, so they cannot hold an earlier count or the order rows arrived in; in
  particular each page's cells lie in key order, which the arrival order (seeded, shuffled) is not;
- the counter cells sit exactly where they sat before the first answer: none moved.
The page parser below reads the SQLite file format (sqlite.org/fileformat.html) itself, so it sees
what a hex editor would, not what SQLite chooses to return.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest

from aftertalk import Question
from conftest import Phone, ServerProcess, call

# These tests copy their server's folder and read its whole log.
pytestmark = pytest.mark.own_server

SINGLE = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}, {"id": "low", "label": "Low"}],
    }
)
MULTI = Question.from_dict(
    {
        "id": "felt",
        "text": "Which have you felt?",
        "kind": "multi",
        "options": [
            {"id": "calm", "label": "Calm"},
            {"id": "sad", "label": "Sad"},
            {"id": "tears", "label": "Tears"},
            {"id": "guilt", "label": "Guilt"},
        ],
    }
)
WORDS = Question.from_dict({"id": "word", "text": "One word for today?", "kind": "word", "options": []})
CHECKED_TABLES = ("option_counts", "box_questions", "word_counts", "voter_sets")
WAL_HEADER, WAL_FRAME_HEADER = 32, 24


# --- a small reader of the SQLite file format -----------------------------------------------------


def varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for n in range(9):
        byte = data[at + n]
        if n == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + n + 1
    raise AssertionError("unreachable")


class DatabaseFile:
    def __init__(self, data: bytes):
        self.data = data
        self.page_size = struct.unpack(">H", data[16:18])[0] or 65536
        self.usable = self.page_size - data[20]
        self.page_count = len(data) // self.page_size

    def page(self, number: int) -> bytes:
        return self.data[(number - 1) * self.page_size : number * self.page_size]

    def free_pages(self) -> tuple[list[int], list[int]]:
        """(trunk pages, leaf pages) of the freelist."""
        trunk, trunks, leaves = struct.unpack(">I", self.data[32:36])[0], [], []
        while trunk:
            page = self.page(trunk)
            trunks.append(trunk)
            trunk, count = struct.unpack(">II", page[:8])
            leaves += struct.unpack(f">{count}I", page[8 : 8 + 4 * count])
        return trunks, leaves

    def btree_page(self, number: int) -> dict:
        """Header, cells (offset, size, child, overflow) in pointer (key) order, and freeblocks."""
        page, start = self.page(number), 100 if number == 1 else 0
        kind = page[start]
        assert kind in (2, 5, 10, 13), f"page {number} is not a b-tree page"
        first_free, cell_count, content_start, fragmented = struct.unpack(">HHHB", page[start + 1 : start + 8])
        interior = kind in (2, 5)
        header_end = start + (12 if interior else 8)
        cells = []
        for i in range(cell_count):
            offset = at = struct.unpack(">H", page[header_end + 2 * i : header_end + 2 * i + 2])[0]
            child = overflow = size = local = None
            if interior:
                child, at = struct.unpack(">I", page[at : at + 4])[0], at + 4
            if kind == 5:
                _rowid, at = varint(page, at)
            else:
                size, at = varint(page, at)
                if kind == 13:
                    _rowid, at = varint(page, at)
                most = self.usable - 35 if kind == 13 else (self.usable - 12) * 64 // 255 - 23
                least = (self.usable - 12) * 32 // 255 - 23
                local = (
                    size
                    if size <= most
                    else (
                        least + (size - least) % (self.usable - 4)
                        if least + (size - least) % (self.usable - 4) <= most
                        else least
                    )
                )
                at += local
                if local < size:
                    overflow, at = struct.unpack(">I", page[at : at + 4])[0], at + 4
            cells.append(
                {
                    "offset": offset,
                    "size": at - offset,
                    "child": child,
                    "overflow": overflow,
                    "payload": size,
                    "local": local,
                }
            )
        freeblocks, at = [], first_free
        while at:
            following, size = struct.unpack(">HH", page[at : at + 4])
            freeblocks.append((at, size))
            at = following
        return {
            "start": start,
            "kind": kind,
            "cells": cells,
            "freeblocks": freeblocks,
            "fragmented": fragmented,
            "pointers_end": header_end + 2 * cell_count,
            "content_start": content_start or 65536,
            "right_child": struct.unpack(">I", page[start + 8 : start + 12])[0] if interior else None,
        }

    def tree(self, root: int) -> list[int]:
        """The pages of one b-tree, in key order (each interior page before its children)."""
        pages, page = [root], self.btree_page(root)
        for cell in page["cells"]:
            if cell["child"]:
                pages += self.tree(cell["child"])
        if page["right_child"]:
            pages += self.tree(page["right_child"])
        return pages

    def unused_bytes(self, number: int) -> bytes:
        """Every byte of a b-tree page outside its header, cell pointers, cells and freeblock headers."""
        page, parsed = self.page(number), self.btree_page(number)
        used = bytearray(len(page))
        used[: parsed["pointers_end"]] = b"\1" * parsed["pointers_end"]
        for cell in parsed["cells"]:
            used[cell["offset"] : cell["offset"] + cell["size"]] = b"\1" * cell["size"]
        for at, _ in parsed["freeblocks"]:
            used[at : at + 4] = b"\1" * 4
        return bytes(byte for byte, in_use in zip(page, used) if not in_use)

    def overflow_chain(self, cell: dict) -> list[bytes]:
        """The overflow pages of a cell whose payload spills, each without its next-page number; the
        last one whole, so that bytes after the payload are seen too."""
        pages, number, left = [], cell["overflow"], cell["payload"] - cell["local"]
        while number:
            page = self.page(number)
            pages.append(page[4:])
            number, left = struct.unpack(">I", page[:4])[0], left - (self.usable - 4)
        assert left <= 0, "the overflow chain ends before the payload does"
        return pages

    def tree_image(self, root: int) -> list[bytes]:
        """The table's pages in key order, each cell's overflow pages after its page, with page numbers
        blanked (they depend on which pages happened to be free, not on the rows)."""
        image = []
        for number in self.tree(root):
            page, parsed = bytearray(self.page(number)), self.btree_page(number)
            if parsed["right_child"] is not None:
                page[parsed["start"] + 8 : parsed["start"] + 12] = bytes(4)
            chains = []
            for cell in parsed["cells"]:
                if cell["child"]:
                    page[cell["offset"] : cell["offset"] + 4] = bytes(4)
                if cell["overflow"]:
                    end = cell["offset"] + cell["size"]
                    page[end - 4 : end] = bytes(4)
                    chains += self.overflow_chain(cell)
            image.append(bytes(page[parsed["start"] :]))
            image += chains
        return image


def roots(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?immutable=1", uri=True) as db:
        return dict(db.execute("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0"))


def wal_commits(wal: bytes) -> list[list[int]]:
    """The page numbers written by each commit in a WAL file (frames whose header says "commit")."""
    commits, current = [], []
    if len(wal) < WAL_HEADER:
        return commits
    page_size = struct.unpack(">I", wal[8:12])[0]
    for at in range(WAL_HEADER, len(wal) - WAL_FRAME_HEADER - page_size + 1, WAL_FRAME_HEADER + page_size):
        page_number, commit_size = struct.unpack(">II", wal[at : at + 8])
        current.append(page_number)
        if commit_size:
            commits.append(current)
            current = []
    return commits


# --- the room ---------------------------------------------------------------------------------------


def fill_the_room(server, room, rnd: random.Random) -> dict:
    """Answers, box questions and words, in an arrival order that is not the key order."""
    room.open(SINGLE)
    room.open(MULTI)
    room.open(WORDS)
    copy_before = copy_folder(server.data_dir, server.data_dir.parent / "before-answers")
    for n in range(14):
        phone = Phone(server, room.code, f"p{n}")
        assert phone.answer("mood", [rnd.choice(["good", "meh", "low"])])[0] == 200
        ticks = rnd.sample(["calm", "sad", "tears", "guilt"], rnd.randint(1, 3))
        assert phone.answer("felt", ticks, skip=n == 3)[0] == 200
    words = ["wired", "calm", "tired", "hopeful", "anxious", "fine", "curious", "sleepy", "ok"]
    rnd.shuffle(words)
    assert words != sorted(words)
    for n, word in enumerate(words + words[:4]):  # some words twice, so their counters grow in place
        status, body = call(
            server,
            "POST",
            f"/r/{room.code}/answer",
            body={"question": "word", "word": word},
            headers={"Cookie": Phone(server, room.code, f"w{n}").cookie},
        )
        assert status == 200, body
    texts = [f"Question number {n}: is it normal to {'really ' * rnd.randint(0, 12)}feel this way?" for n in range(9)]
    for n, text in enumerate(texts):
        status, body = call(
            server,
            "POST",
            f"/r/{room.code}/box",
            body={"text": text},
            headers={"Cookie": Phone(server, room.code, f"b{n}").cookie},
        )
        assert status == 200, body
    shown, set_aside = (q["id"] for q in rnd.sample(room.box(), 2))
    room.show_box_question(shown)
    room.set_aside_box_question(set_aside)  # a possible disclosure: its state changes, its row must not move
    for n in range(3):
        status, body = call(
            server,
            "POST",
            f"/r/{room.code}/box/{shown}/upvote",
            body={},
            headers={"Cookie": Phone(server, room.code, f"up{n}").cookie},
        )
        assert status == 200, body
    return {"texts": texts, "before": copy_before}


def copy_folder(data_dir: Path, to: Path) -> Path:
    """Byte copies of every file in the folder, as `cp -r` would take them."""
    to.mkdir()
    for path in data_dir.iterdir():
        if path.is_file():
            shutil.copyfile(path, to / path.name)
    return to


def assert_only_the_present(copy: Path, tmp_path: Path):
    """The checks every copy must pass; returns the parsed file, its tables, and the live rows' order."""
    database = copy / "aftertalk.sqlite3"
    # No log to replay: no WAL with a frame, and any rollback journal is empty.
    wal = copy / "aftertalk.sqlite3-wal"
    if wal.exists():
        assert wal_commits(wal.read_bytes()) == [], "the WAL holds commits that replay the answers one batch at a time"
    journal = copy / "aftertalk.sqlite3-journal"
    assert not journal.exists() or journal.stat().st_size == 0

    file = DatabaseFile(database.read_bytes())
    tables = roots(database)
    trunks, leaves = file.free_pages()
    for number in leaves:
        assert not any(file.page(number)), f"free page {number} still holds data"
    for number in trunks:
        assert not any(file.page(number)[8 + 4 * struct.unpack(">I", file.page(number)[4:8])[0] :])
    for name, root in tables.items():
        for number in file.tree(root):
            assert not any(file.unused_bytes(number)), f"{name}: page {number} keeps old bytes in its free space"

    # The counter, box and word tables are exactly what their current rows alone give.
    with sqlite3.connect(f"file:{database}?immutable=1", uri=True) as live:
        fresh_path = tmp_path / "fresh.sqlite3"
        with sqlite3.connect(fresh_path) as fresh:
            fresh.execute("PRAGMA secure_delete = ON")
            for table in CHECKED_TABLES:
                (schema,) = live.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchone()
                fresh.execute(schema)
                rows = live.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
                if rows:
                    fresh.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        box_in_key_order = [text for (text,) in live.execute("SELECT text FROM box_questions ORDER BY box_id")]
        words_in_key_order = [word for (word,) in live.execute("SELECT word FROM word_counts ORDER BY word")]
        voter_sets = [hashes for (hashes,) in live.execute("SELECT hashes FROM voter_sets")]
    fresh_file, fresh_roots = DatabaseFile(fresh_path.read_bytes()), roots(fresh_path)
    for table in CHECKED_TABLES:
        assert file.tree_image(tables[table]) == fresh_file.tree_image(fresh_roots[table]), (
            f"{table}: the pages differ from those its current rows give, so they keep some of the past"
        )

    # Who answered is a sorted set: the hashes in order, then zeros, a power of two of 32-byte slots.
    for blob in voter_sets:
        slots = [blob[at : at + 32] for at in range(0, len(blob), 32)]
        used = [slot for slot in slots if any(slot)]
        assert slots == used + [bytes(32)] * (len(slots) - len(used)) and used == sorted(used)
        assert len(slots) >= 64 and len(slots) & (len(slots) - 1) == 0
    return file, tables, box_in_key_order, words_in_key_order, voter_sets


def test_a_copy_of_the_live_folder_holds_only_the_present(server, room, tmp_path):
    rnd = random.Random(1310)
    filled = fill_the_room(server, room, rnd)
    copy = copy_folder(server.data_dir, tmp_path / "copy")  # every request has its reply: no commit in flight

    file, tables, box_in_key_order, words_in_key_order, voter_sets = assert_only_the_present(copy, tmp_path)
    assert box_in_key_order != filled["texts"], "the box ids happened to sort in arrival order: the test proves nothing"
    assert len(voter_sets) == 4  # mood, felt, word, and the shown box question's upvotes

    # Which means, page by page: cells lie in key order, from the end of the page down.
    for table in ("box_questions", "word_counts"):
        for number in file.tree(tables[table]):
            offsets = [cell["offset"] for cell in file.btree_page(number)["cells"]]
            assert offsets == sorted(offsets, reverse=True), f"{table}: page {number} keeps its rows' arrival order"
    assert len(box_in_key_order) == 9 and len(words_in_key_order) == 9

    # And no counter moved since the questions were opened.
    before = DatabaseFile((filled["before"] / "aftertalk.sqlite3").read_bytes())
    before_tables = roots(filled["before"] / "aftertalk.sqlite3")
    assert [cell["offset"] for cell in before.btree_page(before_tables["option_counts"])["cells"]] == [
        cell["offset"] for cell in file.btree_page(tables["option_counts"])["cells"]
    ]
    assert room.count("mood") == 14 and room.count("felt") == 13


def test_a_voter_set_that_outgrows_its_blob_keeps_no_order(tmp_path):
    """70 phones answer one question, each in its own commit, in a seeded order: the set's blob grows
    from 64 slots to 128 on the way, and the file still holds only the sorted set."""
    from aftertalk.server import store

    data = tmp_path / "data"
    data.mkdir()
    db = store.connect(data)
    store.create_room(db, "ROOM1", b"k" * 32, "token", 5)
    store.open_question(db, "ROOM1", "mood", SINGLE.to_dict(), [o.id for o in SINGLE.all_options])
    voters = [bytes([n]) * 32 for n in range(1, 71)]
    random.Random(7).shuffle(voters)
    for n, voter in enumerate(voters):
        with store.transaction(db):
            store.count_answer(db, "ROOM1", "mood", voter, [["good", "meh", "low"][n % 3]])
    assert store.has_voted(db, "ROOM1", "mood", voters[0]) and not store.has_voted(db, "ROOM1", "mood", bytes(32))
    with store.transaction(db):
        try:
            store.count_answer(db, "ROOM1", "mood", voters[5], ["good"])
        except Exception as refused:
            assert "already answered" in str(refused)
        else:
            raise AssertionError("a second answer from one phone was counted")
    db.close()
    *_, voter_sets = assert_only_the_present(copy_folder(data, tmp_path / "copy"), tmp_path)
    assert voter_sets == [b"".join(sorted(voters)) + bytes(32 * 58)]


def test_a_store_from_before_voter_sets_keeps_who_answered(tmp_path):
    """A store written with a row per voter (user_version 2) opens with those voters in sorted sets:
    they still cannot answer or upvote twice, and the per-voter tables are gone."""
    from aftertalk.server import store

    data = tmp_path / "data"
    data.mkdir()
    db = store.connect(data)
    store.create_room(db, "ROOM1", b"k" * 32, "token", 5)
    store.open_question(db, "ROOM1", "mood", SINGLE.to_dict(), [o.id for o in SINGLE.all_options])
    store.add_box_question(db, "ROOM1", "ab" * 8, "Is this normal?", "")
    # Back to the layout before voter sets: a row per voter, and user_version 2.
    db.executescript("""
        DROP TABLE voter_sets;
        CREATE TABLE voters (room_code TEXT NOT NULL, question_id TEXT NOT NULL, voter_hash BLOB NOT NULL,
                             PRIMARY KEY (room_code, question_id, voter_hash)) WITHOUT ROWID;
        CREATE TABLE box_voters (room_code TEXT NOT NULL, box_id TEXT NOT NULL, voter_hash BLOB NOT NULL,
                                 PRIMARY KEY (room_code, box_id, voter_hash)) WITHOUT ROWID;
        PRAGMA user_version = 2;""")
    db.executemany("INSERT INTO voters VALUES ('ROOM1', 'mood', ?)", [(bytes([n]) * 32,) for n in (9, 3, 5)])
    db.execute("INSERT INTO box_voters VALUES ('ROOM1', ?, ?)", ("ab" * 8, bytes([4]) * 32))
    db.close()

    db = store.connect(data)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {"voters", "box_voters"}.isdisjoint(tables) and "voter_sets" in tables
    assert all(store.has_voted(db, "ROOM1", "mood", bytes([n]) * 32) for n in (3, 5, 9))
    (blob,) = db.execute("SELECT hashes FROM voter_sets WHERE set_id = 'mood'").fetchone()
    assert blob == b"".join(bytes([n]) * 32 for n in (3, 5, 9)) + bytes(32 * 61)
    with store.transaction(db):
        try:
            store.count_answer(db, "ROOM1", "mood", bytes([5]) * 32, ["good"])
        except Exception as refused:
            assert "already answered" in str(refused)
        else:
            raise AssertionError("a phone that had answered before the migration answered again")
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION


def test_a_store_from_before_set_aside_keeps_its_box_and_can_set_aside(tmp_path):
    """A store written before the "set aside" state (user_version 4, whose box table's CHECK knows only
    four states) opens with its box questions as they were, and one can be set aside and then not shown."""
    from aftertalk.server import store

    data = tmp_path / "data"
    data.mkdir()
    db = store.connect(data)
    store.create_room(db, "ROOM1", b"k" * 32, "token", 5)
    for box_id, text in (("ab" * 8, "Is this normal?"), ("cd" * 8, "Who do I tell?")):
        store.add_box_question(db, "ROOM1", box_id, text, "")
    store.set_box_state(db, "ROOM1", "ab" * 8, "shown")
    # Back to the box table before set-aside, and user_version 4.
    old_check = "CHECK (state IN ('pending', 'shown', 'answered', 'hidden'))"
    db.executescript(f"""
        ALTER TABLE box_questions RENAME TO new_box_questions;
        CREATE TABLE box_questions (room_code TEXT NOT NULL, box_id TEXT NOT NULL, text TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' {old_check}, flags TEXT NOT NULL DEFAULT '',
            upvotes INTEGER NOT NULL, PRIMARY KEY (room_code, box_id)) WITHOUT ROWID;
        INSERT INTO box_questions SELECT * FROM new_box_questions;
        DROP TABLE new_box_questions;
        PRAGMA user_version = 4;""")
    with pytest.raises(sqlite3.IntegrityError):  # the old table refuses the new state
        db.execute("UPDATE box_questions SET state = 'set_aside'")
    db.close()

    db = store.connect(data)
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert [(q["text"], q["state"], q["upvotes"]) for q in store.box_questions(db, "ROOM1")] == [
        ("Is this normal?", "shown", 0),
        ("Who do I tell?", "pending", 0),
    ]
    store.set_box_state(db, "ROOM1", "cd" * 8, store.SET_ASIDE)
    with pytest.raises(Exception, match="was set aside"):
        store.set_box_state(db, "ROOM1", "cd" * 8, "shown")
    assert [q["state"] for q in store.box_questions(db, "ROOM1")] == ["shown", "set_aside"]
    assert "old_box_questions" not in {name for (name,) in db.execute("SELECT name FROM sqlite_schema")}
    db.close()


# The tables of a store written before issue 13 (user_version absent), as `git show 4d1b40d:aftertalk/schema.sql`.
SCHEMA_BEFORE_ISSUE_13 = """
CREATE TABLE rooms (code TEXT PRIMARY KEY, room_key BLOB NOT NULL, token_hash TEXT NOT NULL,
                    threshold INTEGER NOT NULL DEFAULT 5);
CREATE TABLE questions (room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE, question_id TEXT NOT NULL,
    definition TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'revealed')),
    position INTEGER NOT NULL, answers INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_code, question_id));
CREATE TABLE option_counts (room_code TEXT NOT NULL, question_id TEXT NOT NULL, option_id TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_code, question_id, option_id),
    FOREIGN KEY (room_code, question_id) REFERENCES questions(room_code, question_id) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE voters (room_code TEXT NOT NULL, question_id TEXT NOT NULL, voter_hash BLOB NOT NULL,
    PRIMARY KEY (room_code, question_id, voter_hash),
    FOREIGN KEY (room_code, question_id) REFERENCES questions(room_code, question_id) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE box_questions (room_code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE, box_id TEXT NOT NULL,
    text TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'shown', 'answered', 'hidden')),
    flags TEXT NOT NULL DEFAULT '', upvotes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_code, box_id)) WITHOUT ROWID;
CREATE TABLE box_voters (room_code TEXT NOT NULL, box_id TEXT NOT NULL, voter_hash BLOB NOT NULL,
    PRIMARY KEY (room_code, box_id, voter_hash),
    FOREIGN KEY (room_code, box_id) REFERENCES box_questions(room_code, box_id) ON DELETE CASCADE) WITHOUT ROWID;
CREATE TABLE word_counts (room_code TEXT NOT NULL, question_id TEXT NOT NULL, word TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_code, question_id, word),
    FOREIGN KEY (room_code, question_id) REFERENCES questions(room_code, question_id) ON DELETE CASCADE) WITHOUT ROWID;
"""
OLD_STORE_TOKEN = "old-store-facilitator-token"
# What an older Aftertalk counted: "prefer not to say" on randomized questions, in its option and in
# the answers (14 each, 3 of them declines), and a show of hands of 12 where 2 preferred not to say and
# nobody raised a hand for anything else, which no multi-select room can give today.
OLD_QUESTIONS = {
    "told": (
        {
            "id": "told",
            "text": "Have you told someone?",
            "kind": "single",
            "privacy": "randomized",
            "options": [
                {"id": "friend", "label": "A friend"},
                {"id": "partner", "label": "A partner"},
                {"id": "nobody", "label": "Nobody"},
            ],
        },
        {"friend": 5, "partner": 3, "nobody": 3, "prefer_not_to_say": 3},
        14,
    ),
    "cried": (
        {
            "id": "cried",
            "text": "Have you cried after sex?",
            "kind": "yesno",
            "privacy": "randomized",
            "options": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
        },
        {"yes": 6, "no": 5, "prefer_not_to_say": 3},
        14,
    ),
    "felt": (MULTI.to_dict(), {"calm": 0, "sad": 0, "tears": 0, "guilt": 0, "prefer_not_to_say": 2}, 12),
}


def write_old_store(data: Path, version: int) -> None:
    """A store as an older Aftertalk left it, with OLD_QUESTIONS revealed: the layout before issue 13
    (version 0), or today's layout at version 3, as the migration to 3 left such a store."""
    from aftertalk.server import store
    from aftertalk.server.base import token_hash

    data.mkdir()
    if version == 0:
        db = sqlite3.connect(data / store.DATABASE_NAME)
        db.executescript(SCHEMA_BEFORE_ISSUE_13)
        db.execute("INSERT INTO rooms VALUES ('ROOM1', ?, ?, 5)", (b"k" * 32, token_hash(OLD_STORE_TOKEN)))
        for position, (question_id, (definition, counts, answers)) in enumerate(OLD_QUESTIONS.items(), 1):
            definition = Question.from_dict(definition).to_dict()
            db.execute(
                "INSERT INTO questions VALUES ('ROOM1', ?, ?, 'revealed', ?, ?)",
                (question_id, json.dumps(definition, sort_keys=True), position, answers),
            )
            db.executemany(
                "INSERT INTO option_counts VALUES ('ROOM1', ?, ?, ?)",
                [(question_id, option_id, count) for option_id, count in counts.items()],
            )
        db.commit()
        db.close()
        return
    db = store.connect(data)
    store.create_room(db, "ROOM1", b"k" * 32, token_hash(OLD_STORE_TOKEN), 5)
    for question_id, (definition, counts, answers) in OLD_QUESTIONS.items():
        question = Question.from_dict(definition)
        store.open_question(db, "ROOM1", question_id, question.to_dict(), [o.id for o in question.all_options])
        db.executemany(
            "UPDATE option_counts SET count = ? WHERE question_id = ? AND option_id = ?",
            [
                (store.COUNTER_BASE + count, question_id, option_id)
                for option_id, count in {**counts, store.ANSWERS: answers}.items()
            ],
        )
    db.execute("UPDATE questions SET state = 'revealed'")
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


@pytest.mark.parametrize("version", [0, 3])
def test_an_older_store_shows_no_decliners_and_no_error(tmp_path, version):
    """A store from an older Aftertalk opens in a real server: a randomized question's "prefer not to
    say" answers become skips (n is the number of randomized reports, so n minus the reports gives
    away no decliner, and a single choice's reports add up to n instead of failing with a 500), and
    a show of hands today's rules call impossible is withheld as a whole, not a 500 with a traceback."""
    write_old_store(tmp_path / "data", version)
    server = ServerProcess(tmp_path / "data").start()
    try:
        results = {}
        for question_id in OLD_QUESTIONS:
            status, results[question_id] = call(
                server, "GET", f"/api/rooms/ROOM1/questions/{question_id}/results", token=OLD_STORE_TOKEN
            )
            assert status == 200, results[question_id]
    finally:
        server.stop()
    for question_id in ("told", "cried"):
        shown = results[question_id]
        assert shown["n"] == 11 and shown["revealable"], shown
        assert sum(o["count"] for o in shown["options"]) == shown["n"]
    felt = results["felt"]
    assert felt["withheld"] == "could_point_to_someone" and not felt["revealable"]
    assert all(o["hidden"] and o["count"] is None and o["share"] is None for o in felt["options"])
    assert "Traceback" not in server.output() and "ERROR" not in server.output()
