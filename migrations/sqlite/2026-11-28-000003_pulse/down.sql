DROP TABLE round_results;
DROP TABLE responses;
DROP TABLE round_questions;
DROP TABLE rounds;
DROP TABLE team_questions;
