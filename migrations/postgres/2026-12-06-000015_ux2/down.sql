ALTER TABLE issuances DROP COLUMN blinded_hash;
