ALTER TABLE round_results DROP COLUMN texts;
