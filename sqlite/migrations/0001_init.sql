-- Organisations, tokens, groups and audiences: the access model.
CREATE TABLE orgs (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL UNIQUE,
	country  TEXT NOT NULL,
	kind     TEXT NOT NULL,
	identity TEXT NOT NULL UNIQUE,
	operator INTEGER NOT NULL DEFAULT 0,
	created  INTEGER NOT NULL -- microseconds since the epoch
);

CREATE TABLE tokens (
	id        INTEGER PRIMARY KEY,
	org_id    INTEGER NOT NULL REFERENCES orgs(id),
	role      TEXT NOT NULL,
	label     TEXT NOT NULL,
	hash      BLOB NOT NULL UNIQUE,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL DEFAULT 0,
	revoked   INTEGER NOT NULL DEFAULT 0,
	last_used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_org ON tokens(org_id);

CREATE TABLE groups (
	id      INTEGER PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	created INTEGER NOT NULL
);

-- Direct members of a group: organisations and groups.
CREATE TABLE group_orgs (
	group_id INTEGER NOT NULL REFERENCES groups(id),
	org_id   INTEGER NOT NULL REFERENCES orgs(id),
	PRIMARY KEY (group_id, org_id)
) WITHOUT ROWID;
CREATE INDEX group_orgs_org ON group_orgs(org_id, group_id);

CREATE TABLE group_groups (
	group_id  INTEGER NOT NULL REFERENCES groups(id),
	member_id INTEGER NOT NULL REFERENCES groups(id),
	PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_groups_member ON group_groups(member_id, group_id);

CREATE TABLE audiences (
	id            INTEGER PRIMARY KEY,
	kind          TEXT NOT NULL,          -- community, group, org
	ref_id        INTEGER NOT NULL,       -- group or org id; 0 for the community
	collection_id TEXT NOT NULL UNIQUE,
	title         TEXT NOT NULL,
	default_tlp   INTEGER NOT NULL,
	UNIQUE (kind, ref_id)
);
INSERT INTO audiences (id, kind, ref_id, collection_id, title, default_tlp)
VALUES (1, 'community', 0, '2d1a0b7e-3c4f-4e8a-9b6d-5f0c1e2a3b4c', 'community', 2);

-- Intelligence. objects holds one row per STIX id and its author (the first
-- organisation to submit it); versions holds each version's exact JSON once;
-- submissions publishes a version to an audience. date_added is the
-- submission's rowid: unique and strictly increasing, in microseconds.
CREATE TABLE objects (
	oid   INTEGER PRIMARY KEY,
	id    TEXT NOT NULL UNIQUE,
	type  TEXT NOT NULL,
	owner INTEGER NOT NULL
);

CREATE TABLE versions (
	vid          INTEGER PRIMARY KEY,
	oid          INTEGER NOT NULL,
	version_ns   INTEGER NOT NULL,  -- modified, else created; 0 when the object has neither
	spec_version TEXT NOT NULL,
	revoked      INTEGER NOT NULL,
	valid_until  INTEGER NOT NULL,  -- nanoseconds; 0 when absent
	raw          BLOB NOT NULL,
	UNIQUE (oid, version_ns)
);

CREATE TABLE submissions (
	date_added INTEGER PRIMARY KEY,
	audience   INTEGER NOT NULL,
	oid        INTEGER NOT NULL,
	vid        INTEGER NOT NULL,
	version_ns INTEGER NOT NULL,
	tlp        INTEGER NOT NULL,
	org_id     INTEGER NOT NULL,
	latest     INTEGER NOT NULL,  -- 1: newest version of oid in this audience
	first      INTEGER NOT NULL,  -- 1: oldest version of oid in this audience
	UNIQUE (oid, audience, version_ns)
);
CREATE INDEX submissions_audience ON submissions(audience, date_added);
CREATE INDEX submissions_latest ON submissions(audience, date_added) WHERE latest = 1;

-- The value index: normalised observable values each version carries.
CREATE TABLE obj_values (
	vid   INTEGER NOT NULL,
	kind  TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (vid, kind, value)
) WITHOUT ROWID;
CREATE INDEX obj_values_value ON obj_values(kind, value);

-- Removals, for incremental index consumers: seq comes from the same
-- counter as date_added.
CREATE TABLE removals (
	seq      INTEGER PRIMARY KEY,
	oid      INTEGER NOT NULL,
	audience INTEGER NOT NULL
);

-- counters holds the last date_added allocated.
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('date_added', 0);

CREATE TABLE statuses (
	id            TEXT PRIMARY KEY,
	collection_id TEXT NOT NULL,
	org_id        INTEGER NOT NULL,
	requested     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE status_details (
	id         INTEGER PRIMARY KEY,
	status_id  TEXT NOT NULL,
	object_id  TEXT NOT NULL,
	version_ns INTEGER NOT NULL,
	state      INTEGER NOT NULL, -- 0 pending, 1 success, 2 failure
	message    TEXT NOT NULL
);
CREATE INDEX status_details_pending ON status_details(status_id, object_id, state);

CREATE TABLE audit (
	id       INTEGER PRIMARY KEY,
	time     INTEGER NOT NULL,
	org_id   INTEGER NOT NULL,
	org_name TEXT NOT NULL,
	token_id INTEGER NOT NULL,
	action   TEXT NOT NULL,
	target   TEXT NOT NULL,
	outcome  TEXT NOT NULL,
	remote   TEXT NOT NULL,
	detail   TEXT NOT NULL
);
CREATE INDEX audit_org ON audit(org_id, id);

-- Audit rows are never changed or removed.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
