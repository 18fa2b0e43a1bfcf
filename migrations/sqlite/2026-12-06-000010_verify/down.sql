ALTER TABLE spent_tokens DROP COLUMN message_sha256;
