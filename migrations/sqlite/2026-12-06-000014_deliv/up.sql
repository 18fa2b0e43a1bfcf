-- Delivery for reviews (issue 14). Both tables are staff-side bookkeeping about a review,
-- never about a writer: neither names an account, a member or a time anyone wrote.
--
-- Which scheduled messages a review has had (the reminder before its deadline), so every
-- replica's timer queues each once (the primary key is the claim), as round_events does.
CREATE TABLE review_events (
    review_id TEXT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    PRIMARY KEY (review_id, event)
);
-- A follow-up notice waiting to go to every invitee of a review alike: at most one per review
-- (the primary key), so several questions asked in a short time give one message each. The
-- row is deleted in the transaction that queues the messages.
CREATE TABLE review_notices (
    review_id TEXT PRIMARY KEY NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    due_at TIMESTAMP NOT NULL
);
