"""Group commit: answers arriving together share one transaction, and each is acknowledged only once
it is saved. A refused answer spoils none of the others; a failed commit acknowledges none of them."""

import asyncio
import json
import secrets
import socket

import pytest

from aftertalk import Question
from aftertalk.errors import Conflict, Unavailable
from aftertalk.server import store
from aftertalk.server.group_commit import GroupCommit
from conftest import Phone

MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)


@pytest.fixture
def db(tmp_path):
    db = store.connect(tmp_path)
    store.create_room(db, "ROOM1", secrets.token_bytes(32), "hash", 5)
    store.open_question(db, "ROOM1", "mood", MOOD.to_dict(), ["good", "meh"])
    yield db
    db.close()


def answer(voter: bytes, option="good"):
    return lambda db: store.count_answer(db, "ROOM1", "mood", voter, [option])


def commits_while(db, coroutine) -> tuple[list, int]:
    """Run `coroutine` (given the GroupCommit) to its end; return its outcomes and how many COMMITs ran."""
    statements = []
    db.set_trace_callback(statements.append)
    try:
        outcomes = asyncio.run(coroutine(GroupCommit(db)))
    finally:
        db.set_trace_callback(None)
    return outcomes, statements.count("COMMIT")


def test_answers_sent_together_are_counted_in_one_commit(db):
    async def room_answers_at_once(answers):
        return await asyncio.gather(*[answers.write(answer(secrets.token_bytes(32))) for _ in range(50)])

    outcomes, commits = commits_while(db, room_answers_at_once)
    assert outcomes == [None] * 50
    assert commits == 1
    assert store.option_counts(db, "ROOM1", "mood")["good"] == 50


def test_a_second_answer_from_one_phone_is_refused_and_spoils_no_other(db):
    twice = secrets.token_bytes(32)

    async def batch_with_a_repeat(answers):
        writes = [
            answers.write(answer(twice)),
            answers.write(answer(secrets.token_bytes(32), "meh")),
            answers.write(answer(twice, "meh")),
            answers.write(answer(secrets.token_bytes(32))),
        ]
        return await asyncio.gather(*writes, return_exceptions=True)

    outcomes, commits = commits_while(db, batch_with_a_repeat)
    assert outcomes[0] is None and outcomes[1] is None and outcomes[3] is None
    assert isinstance(outcomes[2], Conflict) and "already answered" in outcomes[2].message
    assert commits == 1
    assert store.option_counts(db, "ROOM1", "mood") == {"good": 2, "meh": 1}
    assert store.get_question(db, "ROOM1", "mood")["answers"] == 3


def test_a_full_disk_refuses_the_whole_batch_and_counts_nothing(db):
    # SQLite's own page limit gives the same "database or disk is full" error as a full disk.
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")

    async def a_room_of_answers(answers):
        writes = [answers.write(answer(secrets.token_bytes(32))) for _ in range(300)]
        return await asyncio.gather(*writes, return_exceptions=True)

    outcomes, _ = commits_while(db, a_room_of_answers)
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes)
    assert "Nothing was counted" in outcomes[0].message
    assert store.option_counts(db, "ROOM1", "mood")["good"] == 0
    assert store.get_question(db, "ROOM1", "mood")["answers"] == 0


def test_an_unexpected_error_fails_its_batch_instead_of_leaving_phones_waiting(db):
    def broken(db):
        raise RuntimeError("a bug")

    async def batch_with_a_bug(answers):
        writes = [answers.write(answer(secrets.token_bytes(32))), answers.write(broken)]
        return await asyncio.wait_for(asyncio.gather(*writes, return_exceptions=True), timeout=5)

    outcomes, _ = commits_while(db, batch_with_a_bug)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert store.option_counts(db, "ROOM1", "mood")["good"] == 0


def test_phones_answering_at_the_same_instant_are_each_counted_once(server, room):
    """Over HTTP: every request is on the wire before the server reads any, so they arrive together."""
    room.open(MOOD)
    phones = [Phone(server, room.code, f"p{n}") for n in range(40)]
    senders = phones + [phones[0]]  # the first phone sends a second answer in the same instant
    connections = []
    for number, phone in enumerate(senders):
        body = json.dumps({"question": "mood", "options": ["good" if number % 4 else "meh"]}).encode()
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        connection.sendall(
            f"POST /r/{room.code}/answer HTTP/1.1\r\nHost: test\r\nCookie: {phone.cookie}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        connections.append(connection)
    statuses = []
    for connection in connections:
        with connection, connection.makefile("rb") as reply:
            statuses.append(int(reply.readline().split()[1]))
    assert sorted(statuses) == [200] * 40 + [409]
    assert room.count("mood") == 40
