-- Unlinkable participation (RFC 9474 blind tokens). A "scope" is a pulse round or a review.
-- Tables that hold anonymous or participation data are WITHOUT ROWID: a rowid would record
-- insertion order (THREAT-MODEL G1).
CREATE TABLE signing_keys (
    scope_id TEXT PRIMARY KEY NOT NULL,
    public_der TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- Destroyed (set NULL) when the scope closes: no token can be minted afterwards.
    secret_der TEXT
) WITHOUT ROWID;

-- The roster frozen when the scope opened (G9): who may be issued a token.
CREATE TABLE eligibility (
    scope_id TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (scope_id, member_id)
) WITHOUT ROWID;

-- That a member was issued a token for a scope, and nothing else: no time, no order.
-- Deleted when the scope closes (G3).
CREATE TABLE issuances (
    scope_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (scope_id, member_id)
) WITHOUT ROWID;

-- Keyed hashes of redeemed token messages; the key makes a second redemption fail.
CREATE TABLE spent_tokens (
    scope_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    PRIMARY KEY (scope_id, token_hash)
) WITHOUT ROWID;
