-- An object without versions (an SCO: its id follows from its value, so
-- anyone can compute it) is stored per organisation that holds it, so that
-- a submission's outcome never depends on whether another member holds the
-- same id in collections the submitter cannot see (see checks.go).
-- Versioned objects keep one author across the store.
ALTER TABLE objects ADD COLUMN versioned boolean NOT NULL DEFAULT true;
UPDATE objects o SET versioned = false
WHERE EXISTS (SELECT 1 FROM versions v WHERE v.obj_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.obj_id = o.id AND v.version_ns <> 0);
ALTER TABLE objects DROP CONSTRAINT objects_pkey;
ALTER TABLE objects ADD PRIMARY KEY (id, owner);
CREATE UNIQUE INDEX objects_versioned ON objects (id) WHERE versioned;

ALTER TABLE versions ADD COLUMN owner bigint;
UPDATE versions v SET owner = o.owner FROM objects o WHERE o.id = v.obj_id;
ALTER TABLE versions ALTER COLUMN owner SET NOT NULL;
ALTER TABLE versions DROP CONSTRAINT versions_obj_id_version_ns_key;
ALTER TABLE versions ADD CONSTRAINT versions_obj_owner_version_key UNIQUE (obj_id, owner, version_ns);
