-- Anonymous conversations on pulse comments (issue 16, part 2; THREAT-MODEL G1, G8).
-- A comment's thread: a random id (the comment id leaders see, given afresh when the round
-- closes), the round, the comment's words as written, and the keyed hash of the receipt its
-- writer was shown once. No member, no token, no time, no sequence. `locator` is a keyed hash
-- of the token's answer locator, kept only while the round is open so replacing an answer
-- (G17) replaces its thread; the close rewrites every thread in random order without it.
CREATE TABLE comment_threads (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    receipt_hash TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    locator TEXT
);
CREATE INDEX comment_threads_round ON comment_threads (round_id);
CREATE INDEX comment_threads_locator ON comment_threads (locator);

-- A reply in a thread, by a leader ('staff') or the comment's writer ('writer'). `position`
-- orders one thread's replies (the conversation's own order), nothing across threads.
-- `written_on` is the day of a staff reply; a writer's reply carries no day at all.
CREATE TABLE comment_replies (
    id TEXT PRIMARY KEY NOT NULL,
    thread_id TEXT NOT NULL REFERENCES comment_threads (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    author TEXT NOT NULL CHECK (author IN ('staff', 'writer')),
    body TEXT NOT NULL,
    written_on DATE
);
CREATE INDEX comment_replies_thread ON comment_replies (thread_id);
