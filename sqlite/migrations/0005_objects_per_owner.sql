-- An object id is unique per authoring organisation, not across the store:
-- a member that submits an id whose every version lies in audiences it
-- cannot see gets an object of its own under that id, so that whether the
-- submission succeeds never depends on intelligence it may not see. Within
-- one audience an id still belongs to one object (see add.go).
CREATE TABLE objects_by_owner (
	oid   INTEGER PRIMARY KEY,
	id    TEXT NOT NULL,
	type  TEXT NOT NULL,
	owner INTEGER NOT NULL,
	UNIQUE (id, owner)
);
INSERT INTO objects_by_owner (oid, id, type, owner) SELECT oid, id, type, owner FROM objects;
DROP TABLE objects;
ALTER TABLE objects_by_owner RENAME TO objects;
