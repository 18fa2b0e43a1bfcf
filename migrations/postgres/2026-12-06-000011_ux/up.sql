-- Released accounts keep one order (issue 15): each batch is shuffled once, as it is
-- released, and numbered after the accounts already released, so "Account 2" is the same
-- account on every page load and in every pre-read. Held accounts have position 0. The
-- number says only which release batch an account came out in, which facilitators see
-- anyway as the count grows; within a batch the order is random.
ALTER TABLE accounts ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
