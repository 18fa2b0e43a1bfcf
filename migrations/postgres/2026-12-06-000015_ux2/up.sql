-- A writer is never locked out by a lost token (issue 15). Issuance keeps, beside the
-- (scope, member) it already records, a keyed hash of the blinded message it signed, so the
-- same blinded message asked again (the response was lost, the tab closed) is signed again:
-- RSA signing is deterministic, so the same blinded message yields the same blind signature
-- and the same one token. A different blinded message is still refused. The blinded message
-- is uniformly random to anyone without the member's blinding factor, so this hash carries
-- nothing of the token; the row is deleted at close like the rest (G3). NULL for the
-- no-JavaScript route, which signs nothing, and for rows issued before this column existed.
ALTER TABLE issuances ADD COLUMN blinded_hash TEXT;
