-- generation counts committed write transactions, so that a process can
-- notice another's writes with one cheap read.
INSERT INTO counters (name, value) VALUES ('generation', 0);
