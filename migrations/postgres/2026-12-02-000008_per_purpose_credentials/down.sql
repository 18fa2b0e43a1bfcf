ALTER TABLE members DROP COLUMN staff_seen;
ALTER TABLE teams DROP COLUMN reviews_allowed;
