DROP TABLE review_notices;
DROP TABLE review_events;
