-- Alert subscriptions: what each organisation wants to be alerted about,
-- and where its webhook is. The secret signs the webhook's posts, so it is
-- kept as given (it is never shown back).
CREATE TABLE subscriptions (
	id             INTEGER PRIMARY KEY,
	org_id         INTEGER NOT NULL,
	kind           TEXT NOT NULL,
	key            TEXT NOT NULL,
	webhook_url    TEXT NOT NULL,
	webhook_secret TEXT NOT NULL,
	created        INTEGER NOT NULL
);
CREATE INDEX subscriptions_org ON subscriptions (org_id);
