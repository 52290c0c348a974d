-- objects_shared was a second index on objects.id, beside UNIQUE (id,
-- owner), that only guarded a rule the writer already keeps: a shared
-- object's id is stored once. Every insert into objects happens inside a
-- write transaction (BEGIN IMMEDIATE: one writer at a time, across
-- processes too) after objectFor or freshIDs has looked the id up, so the
-- guard never fired; but feed ids are random, and each insert into it
-- landed on a cold page of its own: it cost a third of the CPU of
-- inserting an object into a store of a million.
DROP INDEX objects_shared;
