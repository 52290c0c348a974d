-- Alert subscriptions: what each organisation wants to be alerted about,
-- and where its webhook is. The secret signs the webhook's posts, so it is
-- kept as given (it is never shown back).
CREATE TABLE subscriptions (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL,
	kind           text NOT NULL,
	key            text NOT NULL,
	webhook_url    text NOT NULL,
	webhook_secret text NOT NULL,
	created        timestamptz NOT NULL
);
CREATE INDEX subscriptions_org ON subscriptions (org_id);
