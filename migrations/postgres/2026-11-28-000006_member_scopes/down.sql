DROP INDEX eligibility_member;
