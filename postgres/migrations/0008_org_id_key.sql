-- A secret per organisation that keys the deterministic ids the hub
-- derives for its objects (dragnet.Org.IDKey), so that no other member can
-- compute them.
ALTER TABLE orgs ADD COLUMN id_key text NOT NULL DEFAULT '';
UPDATE orgs SET id_key = replace(gen_random_uuid()::text, '-', '');
