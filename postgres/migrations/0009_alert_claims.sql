-- Alerts whose webhooks a node has claimed to post: every node sharing
-- the database makes the same alerts, and the first to claim one posts it.
CREATE TABLE alert_claims (
	id      text PRIMARY KEY,
	claimed timestamptz NOT NULL
);
CREATE INDEX alert_claims_claimed ON alert_claims (claimed);
