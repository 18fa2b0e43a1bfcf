DROP TABLE followups;
DROP TABLE accounts;
DROP TABLE review_facilitators;
DROP TABLE reviews;
