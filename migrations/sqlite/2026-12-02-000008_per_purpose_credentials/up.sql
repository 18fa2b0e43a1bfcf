-- Credentials are per purpose (THREAT-MODEL G12, G13).
-- A facilitator may invite a team to a review only when the team's leader or an admin has
-- allowed it; a review then mints its own links and never reuses the team's pulse links.
ALTER TABLE teams ADD COLUMN reviews_allowed BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether staff have ever seen this member's link (shown, copied, downloaded, listed by the
-- API). Every link made before this column existed was on the team page, so it starts TRUE;
-- new links start FALSE and the member's page says which applies.
ALTER TABLE members ADD COLUMN staff_seen BOOLEAN NOT NULL DEFAULT TRUE;
