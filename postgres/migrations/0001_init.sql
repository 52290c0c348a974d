-- The Dragnet schema on PostgreSQL. date_added is int64 microseconds and
-- object versions int64 nanoseconds since the Unix epoch (STIX timestamps
-- may carry nanoseconds); wall-clock records (created, expires, audit time)
-- are timestamptz.

-- Organisations and groups share one namespace: a name is claimed here first.
CREATE TABLE names (
	name text PRIMARY KEY
);

CREATE TABLE orgs (
	id       bigserial PRIMARY KEY,
	name     text NOT NULL UNIQUE REFERENCES names (name),
	country  text NOT NULL,
	kind     text NOT NULL,
	identity text NOT NULL UNIQUE,
	operator boolean NOT NULL DEFAULT false,
	created  timestamptz NOT NULL
);
-- At most one operator organisation, even when several nodes start at once.
CREATE UNIQUE INDEX orgs_one_operator ON orgs (operator) WHERE operator;

CREATE TABLE groups (
	id      bigserial PRIMARY KEY,
	name    text NOT NULL UNIQUE REFERENCES names (name),
	created timestamptz NOT NULL
);

-- Direct membership: exactly one of member_org, member_group is set.
CREATE TABLE group_members (
	group_id     bigint NOT NULL REFERENCES groups (id),
	member_org   bigint REFERENCES orgs (id),
	member_group bigint REFERENCES groups (id),
	CHECK ((member_org IS NULL) <> (member_group IS NULL))
);
CREATE UNIQUE INDEX group_members_org ON group_members (group_id, member_org) WHERE member_org IS NOT NULL;
CREATE UNIQUE INDEX group_members_group ON group_members (group_id, member_group) WHERE member_group IS NOT NULL;
CREATE INDEX group_members_by_org ON group_members (member_org) WHERE member_org IS NOT NULL;
CREATE INDEX group_members_by_group ON group_members (member_group) WHERE member_group IS NOT NULL;

CREATE TABLE audiences (
	id            bigserial PRIMARY KEY,
	kind          text NOT NULL CHECK (kind IN ('community', 'group', 'org')),
	ref_id        bigint NOT NULL,
	collection_id text NOT NULL UNIQUE,
	title         text NOT NULL,
	default_tlp   smallint NOT NULL,
	UNIQUE (kind, ref_id)
);
INSERT INTO audiences (id, kind, ref_id, collection_id, title, default_tlp)
VALUES (1, 'community', 0, '2d1a0b7e-3c4f-4e8a-9b6d-5f0c1e2a3b4c', 'community', 2);
SELECT setval('audiences_id_seq', 1);

CREATE TABLE tokens (
	id        bigserial PRIMARY KEY,
	org_id    bigint NOT NULL REFERENCES orgs (id),
	role      text NOT NULL,
	label     text NOT NULL DEFAULT '',
	hash      bytea NOT NULL UNIQUE,
	created   timestamptz NOT NULL,
	expires   timestamptz,
	revoked   timestamptz,
	last_used timestamptz
);
CREATE INDEX tokens_by_org ON tokens (org_id);

-- The first organisation to submit an object id owns it.
CREATE TABLE objects (
	id    text PRIMARY KEY,
	owner bigint NOT NULL
);

-- Object versions, each stored once with its exact JSON. version_ns is the
-- object's modified (else created) time, 0 for objects with neither;
-- valid_until_ns is an indicator's valid_until, 0 when absent.
CREATE TABLE versions (
	vid            bigserial PRIMARY KEY,
	obj_id         text NOT NULL,
	version_ns     bigint NOT NULL,
	type           text NOT NULL,
	spec_version   text NOT NULL,
	revoked        boolean NOT NULL,
	valid_until_ns bigint NOT NULL DEFAULT 0,
	digest         bytea NOT NULL,
	raw            bytea NOT NULL,
	UNIQUE (obj_id, version_ns)
);

-- One row per version published to an audience. date_added is unique and
-- strictly increasing in commit order (allocated from date_clock, whose row
-- stays locked until the writing transaction commits). version_ns is the
-- version's (0: none, and TAXII then shows date_added as the version).
CREATE TABLE submissions (
	date_added   bigint PRIMARY KEY,
	audience_id  bigint NOT NULL,
	vid          bigint NOT NULL,
	obj_id       text NOT NULL,
	version_ns   bigint NOT NULL,
	type         text NOT NULL,
	spec_version text NOT NULL,
	revoked      boolean NOT NULL,
	tlp          smallint NOT NULL,
	submitter    bigint NOT NULL,
	UNIQUE (vid, audience_id)
);
CREATE INDEX submissions_page ON submissions (audience_id, date_added);
CREATE INDEX submissions_versions ON submissions (audience_id, obj_id, version_ns);
CREATE INDEX submissions_by_obj ON submissions (obj_id);

-- Removals of an object's versions from an audience, for incremental index
-- consumers; seq comes from date_clock like date_added.
CREATE TABLE removals (
	seq         bigint PRIMARY KEY,
	obj_id      text NOT NULL,
	audience_id bigint NOT NULL
);

CREATE TABLE date_clock (
	one  boolean PRIMARY KEY DEFAULT true CHECK (one),
	last bigint NOT NULL
);
INSERT INTO date_clock (last) VALUES (0);

-- The value index: normalised observable values carried by each version.
-- (The hot tables carry no foreign keys: one code path writes them, and
-- per-row key checks would halve ingest.)
CREATE TABLE obj_values (
	kind  text NOT NULL,
	value text NOT NULL,
	vid   bigint NOT NULL
);
CREATE INDEX obj_values_lookup ON obj_values (kind, value);
CREATE INDEX obj_values_by_vid ON obj_values (vid);

CREATE TABLE statuses (
	id                text PRIMARY KEY,
	collection_id     text NOT NULL,
	org_id            bigint NOT NULL,
	request_timestamp timestamptz NOT NULL,
	successes         jsonb NOT NULL DEFAULT '[]',
	failures          jsonb NOT NULL DEFAULT '[]',
	pendings          jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE audit (
	id       bigserial PRIMARY KEY,
	time     timestamptz NOT NULL,
	org_id   bigint NOT NULL DEFAULT 0,
	org_name text NOT NULL DEFAULT '',
	token_id bigint NOT NULL DEFAULT 0,
	action   text NOT NULL,
	target   text NOT NULL DEFAULT '',
	outcome  text NOT NULL DEFAULT '',
	remote   text NOT NULL DEFAULT '',
	detail   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_org ON audit (org_id, id);
