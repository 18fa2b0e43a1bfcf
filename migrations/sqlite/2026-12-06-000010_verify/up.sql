-- Verifiable participation (THREAT-MODEL G16, issue 17).
-- The lowercase hex SHA-256 of each spent token's message, published in the round's or
-- review's bulletin after close so a member's browser can find its own token there. The
-- keyed `token_hash` stays the uniqueness key, so a token spent before this column existed
-- is still refused a second time. NULL only for tokens spent before it existed: those rounds
-- closed without a bulletin.
ALTER TABLE spent_tokens ADD COLUMN message_sha256 TEXT;
