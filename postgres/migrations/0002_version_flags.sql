-- Flags that make match[version]=last (the default) and first a plain
-- index range scan instead of a probe per row: latest marks the newest
-- version of an object in its audience, first the oldest. Writers keep
-- them under a lock on the object's row in objects (see flags.go).
ALTER TABLE submissions ADD COLUMN latest boolean NOT NULL DEFAULT true;
ALTER TABLE submissions ADD COLUMN first boolean NOT NULL DEFAULT true;

UPDATE submissions s SET latest = (s.version_ns = m.mx), first = (s.version_ns = m.mn)
FROM (SELECT audience_id, obj_id, max(version_ns) AS mx, min(version_ns) AS mn
      FROM submissions GROUP BY audience_id, obj_id HAVING count(*) > 1) m
WHERE s.audience_id = m.audience_id AND s.obj_id = m.obj_id;

CREATE INDEX submissions_latest ON submissions (audience_id, date_added) WHERE latest;
