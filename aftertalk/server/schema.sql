-- Aftertalk store. Privacy by construction: counters per option, never one row per answer,
-- no timestamps on answers, no addresses or user agents anywhere.
-- The file holds the present, not the past (store.py's docstring says how):
-- - How many phones answered a question (skips excluded) is its option_counts row with option_id ''.
-- - Counters (count, upvotes) hold store.COUNTER_BASE + n, so that every value has the same width
--   and an increment overwrites its cell in place; store.py adds and removes the offset. They have no
--   default, so that no row can be written without it.
-- - option_counts, box_questions and word_counts are rewritten in key order by store.py in every
--   transaction that writes to them, with a DELETE that SQLite does page by page (zeroing each page)
--   only when no foreign key is involved: they, and voter_sets, have none; store.end_room erases them.
-- - voter_sets keeps each set of phones sorted in one fixed-size blob, overwritten in place.

CREATE TABLE IF NOT EXISTS rooms (
    code        TEXT PRIMARY KEY,           -- the short join code phones type
    room_key    BLOB NOT NULL,              -- HMAC key for voter hashes; deleted when the room ends
    token_hash  TEXT NOT NULL,              -- sha256 of the facilitator's secret token
    threshold   INTEGER NOT NULL DEFAULT 5  -- reveal threshold k: no count below it is ever shown
);

CREATE TABLE IF NOT EXISTS questions (
    room_code   TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    definition  TEXT NOT NULL,              -- the question as JSON, as the facilitator sent it
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed', 'revealed')),
    position    INTEGER NOT NULL,           -- order of opening, so phones see the oldest open poll first
    PRIMARY KEY (room_code, question_id)
);

CREATE TABLE IF NOT EXISTS option_counts (
    room_code   TEXT NOT NULL,
    question_id TEXT NOT NULL,
    option_id   TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (room_code, question_id, option_id)
) WITHOUT ROWID;

-- Who has answered: per question (set_id = the question id) and per box question's upvotes (set_id
-- "box:" + box id), the HMACs(room key, device token + set) of the phones, 32 bytes each, sorted, then
-- zeros up to a power of two of slots. Sorted, not one row per phone: the file keeps which phones
-- answered, never in what order (store._write_voter_set). The token itself is never stored, and the
-- hashes of different questions cannot be linked to each other.
CREATE TABLE IF NOT EXISTS voter_sets (
    room_code   TEXT NOT NULL,
    set_id      TEXT NOT NULL,
    hashes      BLOB NOT NULL,
    PRIMARY KEY (room_code, set_id)
) WITHOUT ROWID;

-- The anonymous question box. Each question gets a random id and the table is ordered by it, so
-- neither time nor order of arrival is kept (in the file too: see above). Text only; no author, no
-- device. Only 'shown' reaches the phones and the projector; 'set_aside' (a possible disclosure) is
-- the facilitator's alone and never leaves that state (store.set_box_state).
CREATE TABLE IF NOT EXISTS box_questions (
    room_code   TEXT NOT NULL,
    box_id      TEXT NOT NULL,
    text        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'shown', 'answered', 'hidden', 'set_aside')),
    flags       TEXT NOT NULL DEFAULT '',   -- why it deserves a second look: name, phone, email, link
    upvotes     INTEGER NOT NULL,
    PRIMARY KEY (room_code, box_id)
) WITHOUT ROWID;

-- One-word check-ins: a counter per normalised word, never one row per answer.
CREATE TABLE IF NOT EXISTS word_counts (
    room_code   TEXT NOT NULL,
    question_id TEXT NOT NULL,
    word        TEXT NOT NULL,
    count       INTEGER NOT NULL,
    hidden      INTEGER NOT NULL DEFAULT 0, -- the facilitator hid it before the reveal
    PRIMARY KEY (room_code, question_id, word)
) WITHOUT ROWID;
