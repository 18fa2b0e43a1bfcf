-- Closing the loop (issue 16). Both tables are staff records, not anonymous data: what a
-- leader or facilitator committed to, who owns it, and how it stands. Members read them
-- (their team's actions, the action items of a review they wrote for) with dates only.
--
-- An action a leader records after a round's results: the question it answers (one of the
-- round's frozen questions) or a comment theme in the leader's words, an owner among staff,
-- a due day and a status. `done_on` is the day it was marked done, so the culture metrics
-- can count what was done by the next round's close; a day, never a time.
CREATE TABLE round_actions (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    question_id TEXT,
    theme TEXT,
    owner_id TEXT REFERENCES staff_users (id),
    due_on DATE,
    status TEXT NOT NULL,
    done_on DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX round_actions_team ON round_actions (team_id);
CREATE INDEX round_actions_round ON round_actions (round_id);
-- An action item a facilitator records while reading a review's accounts.
CREATE TABLE review_items (
    id TEXT PRIMARY KEY NOT NULL,
    review_id TEXT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    owner_id TEXT REFERENCES staff_users (id),
    due_on DATE,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX review_items_review ON review_items (review_id);
-- What raised an action item: a released account by the number facilitators read it under
-- (its release position, shuffled within its batch), and optionally one of its timeline
-- entries (1-based; 0 is the account as a whole). Never an account's row id: ids are
-- rewritten at close, and a link can only be made to an account already released.
CREATE TABLE review_item_links (
    item_id TEXT NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
    account_position INTEGER NOT NULL,
    entry INTEGER NOT NULL,
    PRIMARY KEY (item_id, account_position, entry)
);
