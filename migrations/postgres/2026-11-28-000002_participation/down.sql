DROP TABLE spent_tokens;
DROP TABLE issuances;
DROP TABLE eligibility;
DROP TABLE signing_keys;
