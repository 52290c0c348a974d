-- Objects are of two kinds (see chooseOwners in checks.go):
--   shared: authored by a member (created_by_ref absent or a member's
--     identity) and versioned: one row per id across the store, and only
--     its author adds versions;
--   not shared: SCOs (no versions; the id follows from the value, so anyone
--     can compute it) and objects relayed from a third-party author (e.g.
--     MITRE ATT&CK): one row per organisation that holds the id out of the
--     others' sight, so that a submission's outcome never depends on what
--     the submitter cannot see.
ALTER TABLE objects ADD COLUMN shared boolean NOT NULL DEFAULT true;
UPDATE objects o SET shared = false
WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.obj_id = o.id AND v.version_ns <> 0)
   OR EXISTS (SELECT 1 FROM versions v WHERE v.obj_id = o.id
	AND convert_from(v.raw, 'UTF8')::json ->> 'created_by_ref' IS NOT NULL
	AND convert_from(v.raw, 'UTF8')::json ->> 'created_by_ref' NOT IN (SELECT identity FROM orgs));
ALTER TABLE objects DROP CONSTRAINT objects_pkey;
ALTER TABLE objects ADD PRIMARY KEY (id, owner);
CREATE UNIQUE INDEX objects_shared ON objects (id) WHERE shared;

ALTER TABLE versions ADD COLUMN owner bigint;
UPDATE versions v SET owner = o.owner FROM objects o WHERE o.id = v.obj_id;
ALTER TABLE versions ALTER COLUMN owner SET NOT NULL;
ALTER TABLE versions DROP CONSTRAINT versions_obj_id_version_ns_key;
ALTER TABLE versions ADD CONSTRAINT versions_obj_owner_version_key UNIQUE (obj_id, owner, version_ns);
