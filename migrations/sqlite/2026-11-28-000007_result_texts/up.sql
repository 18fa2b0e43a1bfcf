-- The words of a closed round (comments, free-text answers) apart from its figures: trends,
-- heat maps and exports read only the figures, so their cost does not grow with how much
-- people wrote (bench/RESULTS.md, P4 at ten million answers).
ALTER TABLE round_results ADD COLUMN texts TEXT NOT NULL DEFAULT '';
