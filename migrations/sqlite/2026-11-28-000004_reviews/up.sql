-- Pre-review accounts: reviews (staff records), who facilitates each, anonymous accounts
-- and their follow-up threads. Accounts and follow-ups are WITHOUT ROWID and carry no
-- member, no time and no sequence (THREAT-MODEL G1); they are rewritten in random order
-- when the review closes.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    incident_date DATE NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    -- Frozen at open (G9).
    threshold INTEGER NOT NULL,
    deadline TIMESTAMP,
    retention_days INTEGER NOT NULL,
    invited INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Only the day (G1).
    closed_on DATE,
    -- The day retention deleted the free text; only the counts below remain.
    purged_on DATE,
    -- Filled at close: the only traces that outlive the text.
    issued INTEGER,
    accounts_total INTEGER,
    followups_asked INTEGER,
    followups_answered INTEGER
);
CREATE INDEX reviews_status ON reviews (status);

CREATE TABLE review_facilitators (
    review_id TEXT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    PRIMARY KEY (review_id, user_id)
);
CREATE INDEX review_facilitators_user ON review_facilitators (user_id);

-- One anonymous account: a random id, the review, the account as JSON, the keyed hash of
-- its receipt, and whether it has been released to the facilitators.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    review_id TEXT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    receipt_hash TEXT NOT NULL UNIQUE,
    released BOOLEAN NOT NULL
) WITHOUT ROWID;
CREATE INDEX accounts_review ON accounts (review_id);

-- A facilitator's question on an account and its writer's reply; `position` orders the
-- questions of one thread (the facilitator's own sequence), nothing else.
CREATE TABLE followups (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    reply TEXT
) WITHOUT ROWID;
CREATE INDEX followups_account ON followups (account_id);
