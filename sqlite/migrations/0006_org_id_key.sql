-- A secret per organisation that keys the deterministic ids the hub
-- derives for its objects (dragnet.Org.IDKey), so that no other member can
-- compute them.
ALTER TABLE orgs ADD COLUMN id_key TEXT NOT NULL DEFAULT '';
UPDATE orgs SET id_key = lower(hex(randomblob(16)));
