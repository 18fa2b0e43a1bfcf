DROP TABLE comment_replies;
DROP TABLE comment_threads;
