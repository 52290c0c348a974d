-- Scheduled feeds and what each carries from one pull to the next.
-- claimed_until is a lease: the node whose scheduler claimed a run holds
-- it until then, so several nodes pull a due feed once.
CREATE TABLE feeds (
	id            bigserial PRIMARY KEY,
	name          text NOT NULL UNIQUE,
	org_name      text NOT NULL,
	collection_id text NOT NULL,
	url           text NOT NULL,
	settings      text NOT NULL DEFAULT '',
	tlp           smallint NOT NULL DEFAULT 0,
	interval_ns   bigint NOT NULL,
	gone          text NOT NULL DEFAULT 'revoke',
	enabled       boolean NOT NULL DEFAULT true,
	created       timestamptz NOT NULL,
	last_run      timestamptz,
	last_success  timestamptz,
	last_error    text NOT NULL DEFAULT '',
	last_summary  text NOT NULL DEFAULT '',
	etag          text NOT NULL DEFAULT '',
	last_modified text NOT NULL DEFAULT '',
	failures      integer NOT NULL DEFAULT 0,
	claimed_until timestamptz
);

CREATE TABLE feed_state (
	feed_id bigint PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
	state   bytea NOT NULL
);
