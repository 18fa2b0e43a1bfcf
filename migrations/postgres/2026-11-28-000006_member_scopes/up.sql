-- A member's open rounds and reviews are looked up by member on every visit to /p: without
-- this index that lookup scans every roster ever frozen (bench/RESULTS.md, P3).
CREATE INDEX eligibility_member ON eligibility (member_id);
