-- Status entries in chunks: each row holds up to a thousand entries of one
-- status, in order, encoded by status.go (state, object id, version,
-- message), and how many of them are pending. A posted envelope costs one
-- row per thousand objects instead of one row per object, and a batch
-- resolves its pendings by rewriting the chunk that holds them.
-- status_details keeps the entries of statuses made before this migration.
CREATE TABLE status_chunks (
	status_id TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	pending   INTEGER NOT NULL,
	entries   BLOB NOT NULL,
	PRIMARY KEY (status_id, seq)
) WITHOUT ROWID;
