-- Objects are of two kinds (see objectFor in add.go):
--   shared = 1: authored by a member (created_by_ref absent or a member's
--     identity) and versioned: one row per id across the store, and only
--     its author adds versions;
--   shared = 0: SCOs (no versions; the id follows from the value, so anyone
--     can compute it) and objects relayed from a third-party author (e.g.
--     MITRE ATT&CK): one row per organisation that holds the id out of the
--     others' sight, so that a submission's outcome never depends on what
--     the submitter cannot see.
CREATE TABLE objects_by_owner (
	oid    INTEGER PRIMARY KEY,
	id     TEXT NOT NULL,
	type   TEXT NOT NULL,
	owner  INTEGER NOT NULL,
	shared INTEGER NOT NULL DEFAULT 1,
	UNIQUE (id, owner)
);
INSERT INTO objects_by_owner (oid, id, type, owner, shared)
SELECT oid, id, type, owner,
	EXISTS (SELECT 1 FROM versions v WHERE v.oid = o.oid AND v.version_ns <> 0)
	AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.oid = o.oid
		AND json_extract(CAST(v.raw AS TEXT), '$.created_by_ref') IS NOT NULL
		AND json_extract(CAST(v.raw AS TEXT), '$.created_by_ref') NOT IN (SELECT identity FROM orgs))
FROM objects o;
DROP TABLE objects;
ALTER TABLE objects_by_owner RENAME TO objects;
CREATE UNIQUE INDEX objects_shared ON objects (id) WHERE shared = 1;
