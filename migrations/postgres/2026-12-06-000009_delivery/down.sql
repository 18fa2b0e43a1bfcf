DROP TABLE round_events;
DROP TABLE team_webhooks;
DROP TABLE mailed_links;
DROP TABLE outbox;
