ALTER TABLE accounts DROP COLUMN position;
