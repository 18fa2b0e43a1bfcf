-- Delivery (issue 14): Candor mails each member their own link and posts counts to team chat.
-- The outbox holds every message until the server accepted it. It is written in the same
-- transaction as the action that caused it (a crash loses nothing), claimed by one worker at
-- a time (`claim`, `claimed_until`: a lease, so a crashed worker's rows are sent again), and a
-- row is deleted once the mail or chat server accepted it: the body, which may hold a member's
-- link, lives only until then. A row that keeps failing is kept with `failed_at` set and its
-- body emptied, so admins see the failure without the secret.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMP NOT NULL,
    claim TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT,
    failed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (due_at);
CREATE INDEX outbox_claim ON outbox (claim);
-- Which member links were mailed (G13 custody "member"): the nonce the mailed link was made
-- from. A regenerated link has a new nonce, so the mark lapses by itself.
CREATE TABLE mailed_links (
    member_id TEXT PRIMARY KEY NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    invite_nonce TEXT NOT NULL
);
-- A team's incoming-webhook URL for announcements (counts only).
CREATE TABLE team_webhooks (
    team_id TEXT PRIMARY KEY NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    url TEXT NOT NULL
);
-- Which announcements and scheduled reminders a round has had, so every replica's timer
-- queues each once (the primary key is the claim).
CREATE TABLE round_events (
    round_id TEXT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    PRIMARY KEY (round_id, event)
);
