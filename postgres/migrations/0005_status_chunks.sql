-- Status entries in chunks, a thousand to a row, instead of three JSON
-- columns rewritten whole on every batch. A status's chunks, in seq order,
-- hold first its pending entries as they were posted (a resolved entry
-- stays in place, marked resolved), then each batch's outcomes in the order
-- they were recorded. A batch rewrites the chunks holding its pendings and
-- appends its outcomes, so its cost does not grow with the status.
-- Statuses made before this migration (chunked false) keep their JSON.
ALTER TABLE statuses ADD COLUMN chunked boolean NOT NULL DEFAULT false;

CREATE TABLE status_chunks (
	status_id text NOT NULL,
	seq       integer NOT NULL,
	pending   integer NOT NULL,
	entries   bytea NOT NULL,
	PRIMARY KEY (status_id, seq)
);
CREATE INDEX status_chunks_pending ON status_chunks (status_id, seq) WHERE pending > 0;
