-- Look-ups of an object's submissions go through submissions_by_obj (one
-- object has few); one index fewer to maintain on every publication.
DROP INDEX IF EXISTS submissions_versions;
